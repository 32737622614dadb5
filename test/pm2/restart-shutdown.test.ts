/**
 * `pm2 restart <id>` from the CLI while the app is busy: with installShutdownHandler() (kill_timeout
 * 3000 from the ecosystem file) the running task completes before the old process exits; without
 * it (control) pm2's SIGINT cuts the task. Both apps run back-to-back tasks of TASK_MS, so one is
 * always running when the signal arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PM2_RELEASES } from '../helpers/pm2-releases.js';
import {
  entryOf,
  eventsFile,
  indexOf,
  ofPid,
  startApps,
  waitForEvents,
  waitOnline,
  startedOf,
  findEvent,
} from '../apps/restart/harness.js';

describe.each(PM2_RELEASES)('pm2 restart <id> from the CLI while a task runs ($label)', (release) => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => eventsFile(sandbox, name);

  /** Waits until gen 0 runs a task, restarts the app from the CLI, and returns every event once gen 1 started. */
  const restartWhileBusy = async (name: string) => {
    await waitForEvents(file(name), (events) =>
      events.some((e) => e.event === 'task-begun' && e.gen === '0'),
    );
    const before = entryOf(await sandbox.jlist(), name);
    await sandbox.pm2(['restart', String(before.pm_id)]);
    const events = await waitForEvents(file(name), startedOf('1'));
    const entry = await waitOnline(sandbox, name, 1);
    return { events, before, entry };
  };

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-restart-shutdown-', { bin: release.bin });
    await startApps(sandbox, [
      {
        name: 'handled',
        scenario: 'tasks',
        env: { TASK_MS: '1000', SHUTDOWN_HANDLER: '1' },
        pm2: { kill_timeout: 3000 },
      },
      { name: 'unhandled', scenario: 'tasks', env: { TASK_MS: '1000' }, pm2: { kill_timeout: 3000 } },
    ]);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('with installShutdownHandler(): the running task completes before the old process exits; the record says pm2', async () => {
    const { events, before, entry } = await restartWhileBusy('handled');
    const old = events.filter(ofPid(before.pid));
    const signalled = indexOf(
      old,
      (e) => e.event === 'requested' && (e.detail as { kind: string }).kind === 'shutdown',
    );
    expect(signalled).toBeGreaterThan(0);
    // the task that was running when pm2's SIGINT arrived
    const running = old
      .slice(0, signalled)
      .filter((e) => e.event === 'task-begun')
      .at(-1);
    expect(running).toBeDefined();
    const endedAt = indexOf(old, (e) => e.event === 'task-ended' && e.label === running?.label);
    const exited = indexOf(old, (e) => e.event === 'exit');
    expect(endedAt).toBeGreaterThan(signalled);
    expect(exited).toBeGreaterThan(endedAt);
    expect(old[exited]?.code).toBe(0);
    // every task the old process began has ended; none begun after the signal was accepted
    expect(old.filter((e) => e.event === 'task-begun').length).toBe(
      old.filter((e) => e.event === 'task-ended').length,
    );
    // pm2 stops this process: an 'exiting' event says so, with the signal; no 'restarting'.
    expect(findEvent(old, (e) => e.event === 'exiting').detail).toMatchObject({
      initiator: 'pm2',
      signal: 'SIGINT',
      record: 'written',
    });
    expect(old.some((e) => e.event === 'restarting')).toBe(false);

    const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
    expect(gen1.pid).not.toBe(before.pid);
    expect(entry.pid).toBe(gen1.pid);
    expect(gen1.lastRestart).toMatchObject({
      initiator: 'pm2',
      strategy: 'shutdown',
      previousPid: before.pid,
      forced: false,
      tasksCut: 0,
    });
  });

  it('control, without the handler: the SIGINT cuts the running task', async () => {
    const { events, before, entry } = await restartWhileBusy('unhandled');
    const old = events.filter(ofPid(before.pid));
    const begun = old.filter((e) => e.event === 'task-begun');
    const last = begun.at(-1);
    expect(last).toBeDefined();
    expect(old.some((e) => e.event === 'task-ended' && e.label === last?.label)).toBe(false);
    expect(old.some((e) => e.event === 'exit')).toBe(false);
    const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
    expect(gen1.pid).toBe(entry.pid);
    expect(gen1.lastRestart).toBeNull();
  });
});
