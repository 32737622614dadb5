/**
 * The restart controller's edge cases under a real pm2 daemon, each with pm2's injected @pm2/io and
 * with `pmx: false` (which hides neither unhandled rejections nor a process that runs out of work):
 * the shutdown handler installed twice, a restart asked for 100 ms after start inside a 2 s
 * min_uptime, a request cancelled while it is being planned, and a restart record that no later
 * generation (after pm2 stop + start, or pm2 delete) inherits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import {
  entryOf,
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

describe('restart controller edge cases under real pm2', () => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => eventsFile(sandbox, name);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-edges-');
    await startApps(
      sandbox,
      VARIANTS.flatMap(({ suffix, pmx }): AppSpec[] => [
        {
          name: `twice${suffix}`,
          scenario: 'handler-twice',
          env: { TASK_MS: '1000' },
          pm2: { kill_timeout: 4000, ...pmx },
        },
        {
          name: `early${suffix}`,
          scenario: 'early',
          env: { START_DELAY_MS: '100', NO_KEEPALIVE: '1' },
          pm2: { min_uptime: 2000, ...pmx },
        },
        { name: `cancel${suffix}`, scenario: 'cancel-planning', env: {}, pm2: pmx },
        { name: `record${suffix}`, scenario: 'idle', env: { START_DELAY_MS: '0' }, pm2: pmx },
      ]),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  describe.each(VARIANTS)('$label', ({ suffix }) => {
    it('installShutdownHandler() twice: one pm2 stop is one shutdown; the task completes and each hook runs once', async () => {
      const name = `twice${suffix}`;
      await waitForEvents(file(name), (events) => events.some((e) => e.event === 'task-begun'));
      await sandbox.pm2(['stop', name]);
      const events = await waitForEvents(file(name), (all) => all.some((e) => e.event === 'exit'));
      const old = events.filter(ofPid(findEvent(events, (e) => e.event === 'started').pid));
      const signalled = indexOf(
        old,
        (e) => e.event === 'requested' && (e.detail as { kind: string }).kind === 'shutdown',
      );
      const running = old
        .slice(0, signalled)
        .filter((e) => e.event === 'task-begun')
        .at(-1);
      const ended = indexOf(old, (e) => e.event === 'task-ended' && e.label === running?.label);
      expect(signalled).toBeGreaterThan(0);
      expect(ended).toBeGreaterThan(signalled);
      expect(old.filter((e) => e.event === 'requested')).toHaveLength(1);
      expect(old.filter((e) => e.event === 'hook-a')).toHaveLength(1);
      expect(old.filter((e) => e.event === 'hook-b')).toHaveLength(1);
      expect(indexOf(old, (e) => e.event === 'exit')).toBeGreaterThan(ended);
    });

    it('a restart 100 ms after start, inside min_uptime 2000, with nothing else alive: the process waits, comes back, nothing unstable', async () => {
      const name = `early${suffix}`;
      const events = await waitForEvents(file(name), startedOf('1'));
      const gen0 = events.filter((e) => e.gen === '0');
      expect(findEvent(gen0, (e) => e.event === 'outcome').outcome).toMatchObject({ status: 'restarting' });
      expect(findEvent(gen0, (e) => e.event === 'restarting').detail).toMatchObject({ reason: 'early' });
      const started = findEvent(gen0, (e) => e.event === 'started');
      const exit = findEvent(gen0, (e) => e.event === 'exit');
      // The exit came after min_uptime (counted from pm2's spawn time), as the library's own decision.
      expect(exit.at - (started.pmUptime as number)).toBeGreaterThanOrEqual(2000);
      const entry = await waitOnline(sandbox, name, 1);
      expect(entry.pm2_env.unstable_restarts).toBe(0);
      expect(findEvent(events, (e) => e.event === 'started' && e.gen === '1').lastRestart).toMatchObject({
        reason: 'early',
      });
    });

    it('a request is pending while it is planned, and clearPendingRestart() there cancels it', async () => {
      const name = `cancel${suffix}`;
      const events = await waitForEvents(file(name), (all) =>
        all.some((e) => e.event === 'cancelled-while-planning'),
      );
      expect(findEvent(events, (e) => e.event === 'cancelled-while-planning')).toMatchObject({
        pendingBefore: true,
        cleared: true,
        outcome: { status: 'cancelled' },
        pendingAfter: false,
      });
      expect(events.some((e) => e.event === 'restarting')).toBe(false);
      const entry = entryOf(await sandbox.jlist(), name);
      expect(entry.pm2_env.restart_time).toBe(0);
    });

    it('a restart record is read by the next generation only: not after pm2 stop + start, not by a new app with the same pm_id', async () => {
      const name = `record${suffix}`;
      let events = await waitForEvents(file(name), startedOf('1'));
      const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
      expect(gen1.lastRestart).toMatchObject({ initiator: 'self', reason: 'idle', name });
      const { pm_id: pmId } = await waitOnline(sandbox, name, 1);

      // pm2 stop + pm2 start keeps restart_time at 1: the new process must not read the old reason.
      await sandbox.pm2(['stop', name]);
      await sandbox.pm2(['start', name]);
      events = await waitForEvents(
        file(name),
        (all) => all.filter((e) => e.event === 'started').length === 3,
      );
      const afterStart = events.filter((e) => e.event === 'started').at(-1);
      expect(afterStart?.gen).toBe('1');
      expect(afterStart?.lastRestart).toBeNull();

      // A record left behind, then pm2 delete: another app that gets the same pm_id reads nothing.
      await sandbox.pm2(['delete', name]);
      const reused = `${name}-again`;
      await startApps(
        sandbox,
        [{ name: reused, scenario: 'tasks', env: { TASK_MS: '60000' }, pm2: { pmx: suffix === '' } }],
        `${reused}.json`,
      );
      const again = await waitForEvents(file(reused), startedOf('0'));
      expect(entryOf(await sandbox.jlist(), reused).pm_id).toBeGreaterThanOrEqual(0);
      expect(findEvent(again, (e) => e.event === 'started').lastRestart).toBeNull();
      expect(pmId).toBeGreaterThanOrEqual(0);
    });
  });
});
