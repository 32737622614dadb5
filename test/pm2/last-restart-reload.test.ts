/**
 * getLastRestart() after a cluster `pm2 reload`: pm2 starts each new worker while the old one still
 * runs, and stops the old one (which writes its record from its shutdown handler) only once the new
 * one listens. Both new workers of a 2-instance cluster read that pm2 reloaded them, and no record is
 * left behind. With pm2's injected @pm2/io and with `pmx: false`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import { eventsFile, startApps, waitForEvents, type AppSpec } from '../apps/restart/harness.js';

describe('getLastRestart after a cluster pm2 reload', () => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => eventsFile(sandbox, name);
  const startedOfGen = (gen: string, count: number) => (all: { event: string; gen: string | null }[]) =>
    all.filter((e) => e.event === 'started' && e.gen === gen).length === count;

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-reload-record-');
    await startApps(
      sandbox,
      PMX_VARIANTS.map(({ suffix, pmx }): AppSpec => ({
        name: `reloaded${suffix}`,
        scenario: 'measure-cli',
        env: { SHUTDOWN_HANDLER: '1' },
        pm2: { exec_mode: 'cluster', instances: 2, ...pmx },
      })),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  describe.each(PMX_VARIANTS)('$label', ({ suffix }) => {
    it('both new workers read that pm2 reloaded them (SIGINT), and no record is left behind', async () => {
      const name = `reloaded${suffix}`;
      await waitForEvents(file(name), startedOfGen('0', 2), 30_000);
      await sandbox.pm2(['reload', name]);
      const events = await waitForEvents(file(name), startedOfGen('1', 2), 30_000);
      const fresh = events.filter((e) => e.event === 'started' && e.gen === '1');
      for (const started of fresh) {
        expect(started.lastRestart).toMatchObject({
          initiator: 'pm2',
          signal: 'SIGINT',
          strategy: 'shutdown',
        });
      }
      const left = (await readdir(join(sandbox.home, 'pm2-self'))).filter((f) => /^restart-/.test(f));
      expect(left).toEqual([]);
    });
  });
});
