/**
 * Healing under a real pm2 daemon, with pm2's injected @pm2/io and with `pmx: false`: an event loop
 * stuck in `for (;;) {}` is restarted by the watchdog thread (with autorestart on, and off), and the
 * next generation reads where it was stuck; a health check that keeps failing restarts the app
 * gracefully (after the running task); a check that never settles counts as failing; a busy app whose
 * loop is blocked just under the limit for 60 s is never restarted. All apps start together with one
 * `pm2 start`, so the cases run at the same time (the busy app blocks with Atomics.wait: no CPU).
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
        [
          { scenario: 'health-task' },
          { scenario: 'health-hang' },
          { scenario: 'blocked' },
          { scenario: 'blocked', name: 'blocked-noauto', autorestart: false, handler: true },
          { scenario: 'busy' },
        ].map(({ scenario, name, autorestart, handler }) => ({
          name: `${name ?? scenario}${suffix}`,
          scenario,
          env: handler ? { SHUTDOWN_HANDLER: '1' } : ({} as Record<string, string>),
          pm2: { ...pmx, script: HEALING_APP, ...(autorestart === false ? { autorestart } : {}) } as Record<
            string,
            unknown
          >,
        })),
      ),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  describe.each(VARIANTS)('$label', ({ suffix }) => {
    it.each([
      ['blocked', 'autorestart on'],
      ['blocked-noauto', 'autorestart false, shutdown handler installed'],
    ])(
      '%s: for (;;) {} 1.5 s after start with eventLoopBlockedForMs 3000 (%s): it comes back, and getLastRestart() names the blocked loop',
      async (app) => {
        const name = `${app}${suffix}`;
        const events = await waitForEvents(file(name), startedOf('1'), 30_000);
        const blocking = findEvent(ofGen(events, '0'), (e) => e.event === 'blocking');
        const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
        expect(gen1.at - blocking.at).toBeGreaterThanOrEqual(3000);
        expect(gen1.lastRestart).toMatchObject({
          initiator: 'self',
          strategy: app === 'blocked' ? 'exit' : 'daemon',
          tasksCut: 1,
          forced: true,
        });
        // Where the main thread was: the spinning timer callback, from the inspector's call frames.
        expect(reasonOf(gen1)).toMatch(
          /^event loop blocked for \d+ ms; main thread at spin \(.*app\.cjs:\d+:\d+\)/,
        );
        expect(Number(/blocked for (\d+) ms/.exec(reasonOf(gen1) ?? '')?.[1])).toBeGreaterThanOrEqual(3000);
        const entry = await waitOnline(sandbox, name, 1);
        expect(entry.pm2_env.status).toBe('online');
      },
    );

    it(
      'a busy but healthy app, its loop blocked 2500 ms at a time for 60 s under a 3000 ms limit, is never restarted',
      { timeout: 120_000 },
      async () => {
        const name = `busy${suffix}`;
        const events = await waitForEvents(
          file(name),
          (all) => all.some((e) => e.event === 'busy-done'),
          100_000,
        );
        const done = findEvent(events, (e) => e.event === 'busy-done');
        expect(done.gen).toBe('0');
        expect(done.blocks as number).toBeGreaterThanOrEqual(15);
        expect(done.health).toMatchObject({ eventLoopBlockedForMs: 3000, lastOk: true });
        expect((done.health as { loopDelayMs: number }).loopDelayMs).toBeGreaterThanOrEqual(0);
        expect(events.some((e) => e.event === 'started' && e.gen !== '0')).toBe(false);
        const entry = (await sandbox.jlist()).find((p) => p.name === name);
        expect(entry?.pm2_env.restart_time).toBe(0);
      },
    );

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
