/**
 * gracefulRestart() of the BUILT package under a real pm2 daemon (fork mode, pm2 defaults):
 * deferral while busy, idle restart, min_uptime, coalescing and cancellation.
 * Every app starts at once in beforeAll; each test waits for its own app's events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PM2_RELEASES } from '../helpers/pm2-releases.js';
import {
  entryOf,
  eventsFile,
  indexOf,
  ofPid,
  readEvents,
  sleep,
  startApps,
  waitForEvents,
  waitOnline,
  startedOf,
  findEvent,
} from '../apps/restart/harness.js';

describe.each(PM2_RELEASES)('gracefulRestart under a real pm2 daemon (fork mode, $label)', (release) => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => eventsFile(sandbox, name);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-restart-self-', { bin: release.bin });
    await startApps(sandbox, [
      { name: 'busy', scenario: 'busy', env: { TASK_MS: '800' } },
      { name: 'idle', scenario: 'idle' },
      { name: 'early', scenario: 'early', env: { START_DELAY_MS: '200' } },
      { name: 'bare-exit', scenario: 'bare-exit', pm2: { min_uptime: 5000, max_restarts: 3 } },
      { name: 'coalesce', scenario: 'coalesce', env: { TASK_MS: '800' } },
      { name: 'clear', scenario: 'clear', env: { TASK_MS: '800' } },
    ]);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('busy: defers, lets the task end, runs the hook, exits, and comes back with a restart record', async () => {
    const events = await waitForEvents(file('busy'), startedOf('1'));
    const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid;
    const old = events.filter(ofPid(gen0));
    expect(findEvent(old, (e) => e.event === 'outcome').outcome).toMatchObject({
      status: 'deferred',
      tasks: 1,
    });
    expect(old.some((e) => e.event === 'deferred')).toBe(true);

    const taskEnded = indexOf(old, (e) => e.event === 'task-ended');
    const hookRan = indexOf(old, (e) => e.event === 'hook-ran');
    const restarting = indexOf(old, (e) => e.event === 'restarting');
    const exited = indexOf(old, (e) => e.event === 'exit');
    expect(taskEnded).toBeGreaterThan(indexOf(old, (e) => e.event === 'task-begun'));
    expect(hookRan).toBeGreaterThan(taskEnded);
    expect(restarting).toBeGreaterThan(hookRan);
    expect(exited).toBeGreaterThan(restarting);
    expect(old[exited]?.code).toBe(0);
    expect(old[restarting]?.detail).toMatchObject({ reason: 'update', strategy: { type: 'exit', code: 0 } });

    const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
    expect(gen1.pid).not.toBe(gen0);
    expect(gen1.lastRestart).toMatchObject({
      reason: 'update',
      initiator: 'self',
      strategy: 'exit',
      forced: false,
      tasksCut: 0,
      previousPid: gen0,
      previousRestarts: 0,
    });

    const entry = await waitOnline(sandbox, 'busy', 1);
    expect(entry.pid).toBe(gen1.pid);
    expect(entry.pm2_env.unstable_restarts).toBe(0);
  });

  it('idle: restarts at once with a new pid', async () => {
    const events = await waitForEvents(file('idle'), startedOf('1'));
    const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid;
    const old = events.filter(ofPid(gen0));
    expect(findEvent(old, (e) => e.event === 'outcome').outcome).toMatchObject({
      status: 'restarting',
      strategy: { type: 'exit', code: 0 },
    });
    expect(old.some((e) => e.event === 'deferred')).toBe(false);
    const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
    expect(gen1.pid).not.toBe(gen0);
    expect(gen1.lastRestart).toMatchObject({
      reason: 'idle',
      initiator: 'self',
      strategy: 'exit',
      forced: false,
      tasksCut: 0,
    });
    const entry = await waitOnline(sandbox, 'idle', 1);
    expect(entry.pid).toBe(gen1.pid);
    expect(entry.pm2_env.unstable_restarts).toBe(0);
  });

  it('early: a restart asked for ~200 ms after start waits for min_uptime, so pm2 counts no unstable restart', async () => {
    const events = await waitForEvents(file('early'), startedOf('1'));
    const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid;
    const old = events.filter(ofPid(gen0));
    expect(findEvent(old, (e) => e.event === 'outcome').outcome).toMatchObject({ status: 'restarting' });
    expect(indexOf(old, (e) => e.event === 'exit')).toBeGreaterThan(
      indexOf(old, (e) => e.event === 'restarting'),
    );
    const entry = await waitOnline(sandbox, 'early', 1);
    expect(entry.pm2_env.unstable_restarts).toBe(0);
    expect(entry.pid).toBe(findEvent(events, (e) => e.event === 'started' && e.gen === '1').pid);
  });

  it('control: a bare process.exit(0) at every start (min_uptime 5000, max_restarts 3: every exit is well inside it, even on a loaded machine) is unstable and ends errored', async () => {
    // pm2 counts an exit as unstable only within min_uptime * max_restarts of the app's creation, and
    // resets unstable_restarts to 0 when it gives up: accept either sign, errored is the usual one.
    const list = await sandbox.waitFor((l) =>
      l.some(
        (p) => p.name === 'bare-exit' && (p.pm2_env.status === 'errored' || p.pm2_env.unstable_restarts > 0),
      ),
    );
    const entry = entryOf(list, 'bare-exit');
    await sandbox.pm2(['delete', 'bare-exit']);
    if (entry.pm2_env.status === 'errored') {
      expect(entry.pid).toBe(0);
      expect(entry.pm2_env.restart_time).toBeGreaterThanOrEqual(2);
    } else {
      expect(entry.pm2_env.unstable_restarts).toBeGreaterThan(0);
    }
  });

  it('coalescing: three requests while busy give deferred, alreadyPending, alreadyPending and one restart', async () => {
    const events = await waitForEvents(file('coalesce'), startedOf('1'));
    const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid;
    const old = events.filter(ofPid(gen0));
    const outcomes = findEvent(old, (e) => e.event === 'outcomes').outcomes as { status: string }[];
    expect(outcomes.map((o) => o.status)).toEqual(['deferred', 'alreadyPending', 'alreadyPending']);
    expect(
      old.filter((e) => e.event === 'requested').map((e) => (e.detail as { coalesced: boolean }).coalesced),
    ).toEqual([false, true, true]);
    expect(old.filter((e) => e.event === 'restarting')).toHaveLength(1);
    const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
    expect(gen1.lastRestart).toMatchObject({ reason: 'first', initiator: 'self', tasksCut: 0 });

    await waitOnline(sandbox, 'coalesce', 1);
    await sleep(Math.max(0, gen1.at + 1_500 - Date.now()));
    const entry = entryOf(await sandbox.jlist(), 'coalesce');
    expect(entry.pm2_env.restart_time).toBe(1);
    expect(entry.pm2_env.status).toBe('online');
    expect(entry.pid).toBe(gen1.pid);
    const after = await readEvents(file('coalesce'));
    expect(after.filter((e) => e.event === 'started').map((e) => e.gen)).toEqual(['0', '1']);
  });

  it('clearPendingRestart() while deferred cancels: the task ends and no restart happens', async () => {
    const events = await waitForEvents(file('clear'), (all) => all.some((e) => e.event === 'after-task'));
    const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid;
    const cleared = findEvent(events, (e) => e.event === 'cleared');
    expect(cleared).toMatchObject({
      pid: gen0,
      cleared: true,
      pendingAfter: false,
      outcome: { status: 'deferred' },
    });
    expect(findEvent(events, (e) => e.event === 'cancelled').detail).toMatchObject({
      reason: 'to-be-cleared',
      cause: 'cleared',
    });
    const afterTask = findEvent(events, (e) => e.event === 'after-task');
    expect(afterTask).toMatchObject({ pending: false, phase: 'idle' });
    expect(indexOf(events, (e) => e.event === 'task-ended')).toBeGreaterThan(
      indexOf(events, (e) => e.event === 'cleared'),
    );

    // settle: well past the moment the task ended (a restart would follow it within ~0.1 s)
    await sleep(Math.max(0, afterTask.at + 1_500 - Date.now()));
    const entry = entryOf(await sandbox.jlist(), 'clear');
    expect(entry.pm2_env.restart_time).toBe(0);
    expect(entry.pm2_env.status).toBe('online');
    expect(entry.pid).toBe(gen0);
    const after = await readEvents(file('clear'));
    expect(after.some((e) => ['draining', 'restarting', 'exit'].includes(e.event))).toBe(false);
    expect(after.filter((e) => e.event === 'started')).toHaveLength(1);
  });
});
