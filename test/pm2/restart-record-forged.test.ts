/**
 * Issue 18, a forged record under a real pm2: a `restart-<pm_id>.json` planted with
 * `previousRestarts: null`, `requestedAt: 0` and a huge `expiresAt`, then `kill -9`: the next
 * generation's getLastRestart() is null (no `initiator: 'self'`, no forged reason, no `tasksCut`),
 * and the file is gone. As a control, a record with the right count and times, planted the same way,
 * is read by the generation after the next `kill -9`. With pm2's injected @pm2/io and with `pmx: false`.
 */
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import { eventsFile, startApps, waitForEvents, type AppEvent } from '../apps/restart/harness.js';

describe('a forged restart record under a real pm2', () => {
  let sandbox: Pm2Sandbox;

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-forged-record-');
    await startApps(
      sandbox,
      PMX_VARIANTS.map(({ suffix, pmx }) => ({ name: `forged${suffix}`, scenario: 'measure-cli', pm2: pmx })),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  const startedOf = (events: AppEvent[], gen: string) =>
    events.find((e) => e.event === 'started' && e.gen === gen);
  /** The `started` event of generation `gen` of the app whose events are in `file`, once it is there. */
  const generation = async (file: string, gen: string): Promise<AppEvent> => {
    const events = await waitForEvents(file, (all) => startedOf(all, gen) !== undefined, 30_000);
    const started = startedOf(events, gen);
    if (started === undefined || !Number.isInteger(started.pid) || started.pid <= 1)
      throw new Error('no pid');
    return started;
  };

  describe.each(PMX_VARIANTS)('$label', ({ suffix }) => {
    it('after kill -9 the next generation does not believe the forged record; a plausible one is read', async () => {
      const name = `forged${suffix}`;
      const file = eventsFile(sandbox, name);
      const first = await generation(file, '0');
      const pmId = (await sandbox.jlist()).find((entry) => entry.name === name)?.pm_id;
      if (pmId === undefined) throw new Error(`${name} is not in the list`);
      const recordFile = join(sandbox.home, 'pm2-self', `restart-${pmId}.json`);
      const base = {
        signal: null,
        name,
        namespace: 'default',
        pmId,
        previousPid: first.pid,
        strategy: 'exit',
      };
      await writeFile(
        recordFile,
        JSON.stringify({
          ...base,
          initiator: 'self',
          reason: 'forged',
          previousRestarts: null,
          requestedAt: 0,
          deferredMs: 0,
          exitedAt: Date.now(),
          expiresAt: 9_999_999_999_999,
          forced: true,
          tasksCut: 7,
        }),
        { mode: 0o600 },
      );
      process.kill(first.pid, 'SIGKILL');
      const second = await generation(file, '1');
      expect(second.lastRestart).toBeNull();
      expect(existsSync(recordFile)).toBe(false);

      // The control: the right count and times, and the next generation reads it.
      const now = Date.now();
      await writeFile(
        recordFile,
        JSON.stringify({
          ...base,
          previousPid: second.pid,
          initiator: 'self',
          reason: 'plausible',
          previousRestarts: 1,
          requestedAt: now,
          deferredMs: 0,
          exitedAt: now,
          expiresAt: now + 11_600,
          forced: false,
          tasksCut: 0,
        }),
        { mode: 0o600 },
      );
      process.kill(second.pid, 'SIGKILL');
      const third = await generation(file, '2');
      expect(third.lastRestart).toMatchObject({
        initiator: 'self',
        reason: 'plausible',
        previousRestarts: 1,
      });
    });
  });
});
