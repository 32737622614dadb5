/**
 * Issue 19 under a real pm2 daemon, with pm2's default injection and with `pmx: false`: the hooks keep
 * their reserve inside pm2's kill_timeout, a hook that hangs costs only its own share, a misspelt
 * option is refused at run time, conflicts are warned about, and the shutdown handler's hook (the
 * app's goodbye) runs once on every exit pm2-self performs: gracefulRestart() and a health-check restart;
 * a pm2 restart during a self-restart's goodbye leaves the record naming both.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import {
  entryOf,
  eventsFile,
  findEvent,
  ofPid,
  startApps,
  waitForEvents,
  waitOnline,
  type AppEvent,
} from '../apps/restart/harness.js';

const APP = resolve(import.meta.dirname, '../apps/shutdown-budget/app.cjs');
const SCENARIOS = [
  'long-task',
  'hanging-hook',
  'misspelt-key',
  'exit-on-sigint',
  'noauto-restart',
  'restart-goodbye',
  'health-goodbye',
  'pm2-during-goodbye',
] as const;
/** Ecosystem keys of a scenario beyond the script and pmx (kill_timeout stays at pm2's default). */
const EXTRA: Partial<Record<(typeof SCENARIOS)[number], Record<string, unknown>>> = {
  'noauto-restart': { autorestart: false },
};

describe.each(PMX_VARIANTS)('shutdown budget under real pm2 ($label)', ({ suffix, pmx }) => {
  let sandbox: Pm2Sandbox;
  const name = (scenario: string) => `${scenario}${suffix}`;
  const file = (scenario: string) => eventsFile(sandbox, name(scenario));
  const hasEvent = (event: string, pid?: number) => (events: readonly AppEvent[]) =>
    events.some((e) => e.event === event && (pid === undefined || e.pid === pid));

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-shutdown-budget-');
    // kill_timeout is left at pm2's default (1600 ms) on purpose.
    await startApps(
      sandbox,
      SCENARIOS.map((scenario) => ({
        name: name(scenario),
        scenario,
        pm2: { script: APP, ...pmx, ...EXTRA[scenario] },
      })),
    );
    await Promise.all(SCENARIOS.map((scenario) => waitForEvents(file(scenario), hasEvent('started'))));
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('pm2 stop with the default kill_timeout during a 6 s task: the beforeExit hook runs', async () => {
    await waitForEvents(file('long-task'), hasEvent('task-begun'));
    const { pid } = entryOf(await sandbox.jlist(), name('long-task'));
    await sandbox.pm2(['stop', name('long-task')]);
    const events = (await waitForEvents(file('long-task'), hasEvent('exit', pid))).filter(ofPid(pid));
    const order = events.map((e) => e.event);
    expect(order.indexOf('goodbye')).toBeGreaterThan(order.indexOf('draining'));
    expect(order.indexOf('exit')).toBeGreaterThan(order.indexOf('goodbye'));
    expect(findEvent(events, (e) => e.event === 'draining').detail).toMatchObject({
      kind: 'shutdown',
      forced: true,
      tasks: 1,
    });
    expect(events.filter((e) => e.event === 'hookFailed')).toEqual([]);
    // Tasks with kill_timeout at pm2's default: warned, once.
    expect(events.filter((e) => e.event === 'warning').map((e) => e.code)).toEqual([
      'PM2SELF_KILL_TIMEOUT_DEFAULT',
    ]);
  });

  it('a hook that never settles, then a second one: the second runs and the app comes back', async () => {
    const { pid } = entryOf(await sandbox.jlist(), name('hanging-hook'));
    await sandbox.pm2(['restart', name('hanging-hook')]);
    await waitOnline(sandbox, name('hanging-hook'), 1);
    const events = (await waitForEvents(file('hanging-hook'), hasEvent('exit', pid))).filter(ofPid(pid));
    expect(events.map((e) => e.event)).toContain('second-hook');
    expect(findEvent(events, (e) => e.event === 'hookFailed').detail).toMatchObject({
      hook: 'hangs',
      message: expect.stringContaining('budget'),
    });
    expect(events.filter((e) => e.event === 'hookFailed')).toHaveLength(1);
  });

  it('gracefulRestart({ refuseNewTask: true }) throws naming `refuseNewTask`, and nothing restarts', async () => {
    const events = await waitForEvents(file('misspelt-key'), hasEvent('threw'));
    expect(findEvent(events, (e) => e.event === 'threw')).toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('`refuseNewTask`'),
    });
    expect(events.map((e) => e.event)).not.toContain('requested');
    const entry = entryOf(await sandbox.jlist(), name('misspelt-key'));
    expect(entry.pm2_env).toMatchObject({ status: 'online', restart_time: 0 });
  });

  it("process.on('SIGINT', () => process.exit(0)) beside installShutdownHandler() gets a warning naming the conflict", async () => {
    const events = await waitForEvents(file('exit-on-sigint'), hasEvent('warning'));
    expect(events.filter((e) => e.event === 'warning')).toEqual([
      expect.objectContaining({
        code: 'PM2SELF_SHUTDOWN_LISTENER',
        message: expect.stringContaining("process.on('SIGINT', ...)"),
      }),
    ]);
    // No warning where there is no conflict (the app with the hanging hook runs no task and no rival).
    const quiet = await waitForEvents(file('hanging-hook'), hasEvent('started'));
    expect(quiet.filter((e) => e.event === 'warning')).toEqual([]);
  });

  it("autorestart: false, a self-restart through the daemon: its one SIGINT is not called a 'second SIGINT'", async () => {
    const events = await waitForEvents(file('noauto-restart'), (all) =>
      all.some((e) => e.event === 'started' && e.gen === '1'),
    );
    const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid;
    const old = events.filter(ofPid(gen0));
    expect(findEvent(old, (e) => e.event === 'restarting').detail).toMatchObject({
      reason: 'deploy',
      strategy: { type: 'daemon' },
    });
    expect(old.filter((e) => e.event === 'exiting').map((e) => e.detail)).toEqual([
      expect.objectContaining({ initiator: 'pm2', signal: 'SIGINT', reason: 'deploy', secondSignal: false }),
    ]);
    // The handler's goodbye ran once, for the restart, though the daemon's SIGINT came after it.
    expect(old.filter((e) => e.event === 'goodbye')).toEqual([
      expect.objectContaining({ reason: 'deploy', kind: 'restart' }),
    ]);
  });

  it.each([
    ['restart-goodbye', 'gracefulRestart()', 'deploy'],
    ['health-goodbye', 'a restartWhen() health-check restart', 'health check failing for'],
  ] as const)(
    "%s: %s runs the shutdown handler's goodbye once, and the app comes back",
    async (scenario, _what, reason) => {
      const events = await waitForEvents(file(scenario), (all) =>
        all.some((e) => e.event === 'started' && e.gen === '1'),
      );
      const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid;
      const old = (await waitForEvents(file(scenario), hasEvent('exit', gen0))).filter(ofPid(gen0));
      const order = old.map((e) => e.event);
      expect(old.filter((e) => e.event === 'goodbye')).toEqual([
        expect.objectContaining({ reason: expect.stringContaining(reason), kind: 'restart' }),
      ]);
      expect(order.indexOf('goodbye')).toBeGreaterThan(order.indexOf('draining'));
      expect(order.indexOf('exit')).toBeGreaterThan(order.indexOf('goodbye'));
      expect(findEvent(old, (e) => e.event === 'draining').detail).toMatchObject({ kind: 'restart' });
      expect(old.filter((e) => e.event === 'hookFailed')).toEqual([]);
      await waitOnline(sandbox, name(scenario), 1);
    },
  );

  it("pm2 restart while a self-restart's goodbye runs: the next generation reads a record naming both (issue 19 review B4)", async () => {
    const scenario = 'pm2-during-goodbye';
    const started = await waitForEvents(file(scenario), hasEvent('goodbye-start'));
    const gen0 = findEvent(started, (e) => e.event === 'goodbye-start').pid;
    await sandbox.pm2(['restart', name(scenario)]);
    const events = await waitForEvents(file(scenario), (all) =>
      all.some((e) => e.event === 'last-restart' && e.gen === '1'),
    );
    const exiting = findEvent(events.filter(ofPid(gen0)), (e) => e.event === 'exiting');
    expect(exiting.detail).toMatchObject({ initiator: 'pm2', record: 'written' });
    expect(findEvent(events, (e) => e.event === 'last-restart' && e.gen === '1').last).toMatchObject({
      initiator: 'pm2',
      reason: expect.stringMatching(/^pm2 SIG(INT|TERM) \(a self-restart was pending: deploy\)$/),
      strategy: 'shutdown',
      previousPid: gen0,
    });
  });
});
