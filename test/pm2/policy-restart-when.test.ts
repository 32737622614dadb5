/**
 * restartWhen() under a real pm2 daemon, with pm2's injected @pm2/io and with `pmx: false`: an app
 * whose memory grows past its limit while a task runs restarts after the task ends, and the next
 * generation reads the memory reason; an uptime limit restarts a stable app once per generation, never
 * before the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import {
  eventsFile,
  findEvent,
  indexOf,
  ofPid,
  startApps,
  startedOf,
  waitForEvents,
  waitOnline,
  type AppSpec,
} from '../apps/restart/harness.js';

const VARIANTS = PMX_VARIANTS;

describe('restartWhen under real pm2', () => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => eventsFile(sandbox, name);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-policy-');
    await startApps(
      sandbox,
      VARIANTS.flatMap(({ suffix, pmx }): AppSpec[] => [
        { name: `memory${suffix}`, scenario: 'memory-policy', env: { TASK_MS: '3000' }, pm2: pmx },
        {
          name: `uptime${suffix}`,
          scenario: 'uptime-policy',
          env: { MAX_UPTIME_MS: '2500', JITTER_MS: '1000' },
          pm2: pmx,
        },
      ]),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  describe.each(VARIANTS)('$label', ({ suffix }) => {
    it('memory past the limit while a task runs: the restart waits for the task, and the next generation reads the reason', async () => {
      const name = `memory${suffix}`;
      const events = await waitForEvents(file(name), startedOf('1'));
      const gen0 = events.filter(ofPid(findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid));
      const requested = indexOf(gen0, (e) => e.event === 'requested');
      const ended = indexOf(gen0, (e) => e.event === 'task-ended');
      const exited = indexOf(gen0, (e) => e.event === 'exit');
      expect(indexOf(gen0, (e) => e.event === 'ballast')).toBeLessThan(requested);
      expect(requested).toBeLessThan(ended);
      expect(findEvent(gen0, (e) => e.event === 'deferred')).toBeDefined();
      expect(ended).toBeLessThan(exited);
      const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
      expect(gen1.lastRestart).toMatchObject({ initiator: 'self', forced: false, tasksCut: 0 });
      expect((gen1.lastRestart as { reason: string }).reason).toMatch(/^rss \d+ MB > \d+ MB for 1 s$/);
      expect((await waitOnline(sandbox, name, 1)).pm2_env.unstable_restarts).toBe(0);
    });

    it('an uptime limit restarts a stable app once per generation, never before the limit', async () => {
      const name = `uptime${suffix}`;
      const events = await waitForEvents(file(name), startedOf('2'), 30_000);
      for (const gen of ['0', '1']) {
        const own = events.filter((e) => e.gen === gen);
        const started = findEvent(own, (e) => e.event === 'started');
        const exit = findEvent(own, (e) => e.event === 'exit');
        expect(own.filter((e) => e.event === 'requested')).toHaveLength(1);
        expect(exit.at - (started.pmUptime as number)).toBeGreaterThanOrEqual(2500);
      }
      const gen2 = findEvent(events, (e) => e.event === 'started' && e.gen === '2');
      expect((gen2.lastRestart as { reason: string }).reason).toMatch(
        /^uptime \d+ (ms|s) reached \(max 2500 ms\)$/,
      );
    });
  });
});
