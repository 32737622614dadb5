/**
 * Healing under a real pm2 daemon, with pm2's injected @pm2/io and with `pmx: false`: a health check
 * that keeps failing restarts the app gracefully (after the running task), and the next generation
 * reads the reason; a check that never settles counts as failing. All apps start together with one
 * `pm2 start`, so the cases run at the same time.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import {
  eventsFile,
  findEvent,
  indexOf,
  startApps,
  startedOf,
  waitForEvents,
  waitOnline,
  type AppEvent,
  type AppSpec,
} from '../apps/restart/harness.js';

const HEALING_APP = resolve(import.meta.dirname, '../apps/healing/app.cjs');
const VARIANTS = PMX_VARIANTS;

const ofGen = (events: readonly AppEvent[], gen: string) => events.filter((e) => e.gen === gen);
const reasonOf = (started: AppEvent) => (started.lastRestart as { reason: string } | null)?.reason;

describe('healing under real pm2', () => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => eventsFile(sandbox, name);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-healing-');
    await startApps(
      sandbox,
      VARIANTS.flatMap(({ suffix, pmx }): AppSpec[] =>
        ['health-task', 'health-hang'].map((scenario) => ({
          name: `${scenario}${suffix}`,
          scenario,
          pm2: { ...pmx, script: HEALING_APP },
        })),
      ),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  describe.each(VARIANTS)('$label', ({ suffix }) => {
    it('a health check failing from 1 s with unhealthyForMs 1500 while a 5 s task runs: the restart waits for the task, the record names the check', async () => {
      const name = `health-task${suffix}`;
      const events = await waitForEvents(file(name), startedOf('1'), 30_000);
      const gen0 = ofGen(events, '0');
      const unhealthy = findEvent(gen0, (e) => e.event === 'unhealthy');
      const requested = findEvent(gen0, (e) => e.event === 'requested');
      expect(
        unhealthy.at - (findEvent(gen0, (e) => e.event === 'started').startedAt as number),
      ).toBeGreaterThanOrEqual(1000);
      expect((requested.detail as { reason: string }).reason).toMatch(
        /^health check failing for \d+ ms: returned false$/,
      );
      expect(requested.at - unhealthy.at).toBeGreaterThanOrEqual(1500);
      expect(findEvent(gen0, (e) => e.event === 'deferred')).toBeDefined();
      const ended = indexOf(gen0, (e) => e.event === 'task-ended');
      expect(indexOf(gen0, (e) => e.event === 'requested')).toBeLessThan(ended);
      expect(ended).toBeLessThan(indexOf(gen0, (e) => e.event === 'restarting'));
      const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
      expect(gen1.lastRestart).toMatchObject({ initiator: 'self', forced: false, tasksCut: 0 });
      expect(reasonOf(gen1)).toMatch(/^health check failing for \d+ ms: returned false$/);
      expect((await waitOnline(sandbox, name, 1)).pm2_env.unstable_restarts).toBe(0);
    });

    it('a check that never settles counts as failing', async () => {
      const name = `health-hang${suffix}`;
      const events = await waitForEvents(file(name), startedOf('1'), 30_000);
      const unhealthy = findEvent(ofGen(events, '0'), (e) => e.event === 'unhealthy');
      expect((unhealthy.detail as { error: string }).error).toBe('no answer within 300 ms');
      const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
      expect(reasonOf(gen1)).toMatch(/^health check failing for \d+ ms: no answer within 300 ms$/);
      // The next generation's check passes: it is not restarted again.
      const later = await waitForEvents(
        file(name),
        (all) => ofGen(all, '1').filter((e) => e.event === 'health').length >= 6,
      );
      const lastHealth = ofGen(later, '1')
        .filter((e) => e.event === 'health')
        .at(-1)?.health;
      expect(lastHealth).toMatchObject({ checking: true, lastOk: true, failingSince: null });
      expect(ofGen(later, '1').some((e) => e.event === 'requested')).toBe(false);
    });
  });
});
