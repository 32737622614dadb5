/**
 * The restart controller (the machine's interpreter) through `createPm2Self({ ports })`: recorded pm2
 * env snapshots and daemon list, in-memory files, a scripted daemon client, a simulated clock and an
 * exit spy. No real time, no real process exit, no pm2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPm2Self, type Pm2Self } from '../../src/create-pm2-self.js';
import { DEFAULTS, PM2_DEFAULTS } from '../../src/common/defaults.js';
import { isPm2SelfError, type Pm2SelfErrorCode } from '../../src/common/errors.js';
import type { Pm2SelfOptions } from '../../src/options.js';
import type {
  DaemonClient,
  FileSystem,
  ProcessPort,
  RpcResult,
  ShutdownSignal,
} from '../../src/ports/ports.js';
import type { RestartEventName, RestartEvents } from '../../src/restart/events.js';
import { RESTART_EVENT_NAMES } from '../../src/restart/events.js';
import { restartMachine, type RestartEffect, type RestartMachine } from '../../src/restart/machine.js';
import { parseRestartRecord } from '../../src/restart/read-restart-record.js';
import type { RestartRecord } from '../../src/restart/restart-record.js';
import { createSimClock, flush, type SimClock } from '../helpers/sim-clock.js';

// ---- recorded fixtures ----

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

interface EnvSnapshot {
  readonly pid: number;
  readonly ppid: number;
  readonly env: Record<string, string>;
  readonly pidFile: string | null;
}

type EnvName = 'fork' | 'eco-fork' | 'grandchild';

const envSnapshot = (name: EnvName): EnvSnapshot =>
  JSON.parse(readFileSync(join(FIXTURES, 'env', `${name}.json`), 'utf8')) as EnvSnapshot;

type JlistEntry = { pid: number; name: string; pm_id: number; pm2_env: Record<string, unknown> };
const fullJlist = (): JlistEntry[] =>
  JSON.parse(readFileSync(join(FIXTURES, 'jlist', 'full.json'), 'utf8')) as JlistEntry[];

/** The daemon of the recording: the parent of every app pm2 started. */
const DAEMON_PID = 7381;
const FORK = envSnapshot('fork');
const ECO = envSnapshot('eco-fork');
const PM2_HOME = FORK.env.PM2_HOME as string;
const FORK_STARTED_AT = Number(FORK.env.pm_uptime);
const ECO_STARTED_AT = Number(ECO.env.pm_uptime);
const recordFile = (pmId: number) => join(PM2_HOME, 'pm2-self', `restart-${pmId}.json`);

// ---- fakes ----

interface DaemonCall {
  readonly method: string;
  readonly arg: unknown;
  readonly options: { timeoutMs: number; waitForReply?: boolean };
}

interface WorldOptions {
  /** The env snapshot of this process; null: a plain process outside pm2. */
  readonly env?: EnvName | null;
  /** Replaces or adds env variables of the snapshot. */
  readonly envPatch?: Record<string, string>;
  /** Simulated time at the start. */
  readonly now?: number;
  /** False: no daemon pid file, so the daemon counts as unreachable. */
  readonly daemon?: boolean;
  /** Edits the daemon's list before it is served. */
  readonly editList?: (list: JlistEntry[]) => void;
  readonly files?: Map<string, string>;
  readonly pid?: number;
  readonly machine?: RestartMachine;
  /** The daemon's answer to restartProcessId (default: accepted). */
  readonly restartAnswer?: RpcResult<unknown>;
  /** The daemon client throws (a broken custom port). */
  readonly daemonThrows?: boolean;
  /** The process port's uptime throws (a broken custom port). */
  readonly uptimeThrows?: boolean;
  /** The file port's writes reject (a broken custom port). */
  readonly writeThrows?: boolean;
}

interface World {
  readonly clock: SimClock;
  readonly files: Map<string, string>;
  readonly exits: Array<{ code: number; at: number }>;
  readonly daemonCalls: DaemonCall[];
  /** The daemon's list as served (mutable: edit it to change what the daemon answers next). */
  readonly list: JlistEntry[];
  readonly events: Array<{ name: RestartEventName; event: RestartEvents[RestartEventName] }>;
  readonly self: Pm2Self;
  /** Delivers a shutdown signal to the listeners registered through `onShutdown`. */
  signal(source?: ShutdownSignal | 'message'): void;
  listenerCount(): number;
  eventNames(): RestartEventName[];
  /** How many keep-alive holds are not released. */
  holds(): number;
}

const EVENT_NAMES = RESTART_EVENT_NAMES;

function createWorld(options: WorldOptions = {}): World {
  const snapshot = options.env === null ? null : envSnapshot(options.env ?? 'fork');
  const clock = createSimClock(options.now ?? FORK_STARTED_AT + 200);
  const files = options.files ?? new Map<string, string>();
  if (snapshot?.pidFile != null && snapshot.env.pm_pid_path)
    files.set(snapshot.env.pm_pid_path, snapshot.pidFile);
  if (options.daemon !== false) files.set(join(PM2_HOME, 'pm2.pid'), `${DAEMON_PID}\n`);
  else files.delete(join(PM2_HOME, 'pm2.pid'));

  const list = fullJlist();
  options.editList?.(list);
  const exits: World['exits'] = [];
  const daemonCalls: DaemonCall[] = [];
  const listeners = new Set<(source: ShutdownSignal | 'message') => void>();
  const holds = { count: 0 };
  const pid = options.pid ?? snapshot?.pid ?? 5_000;

  const fs: FileSystem = {
    readText: async (path) => files.get(path) ?? null,
    async writeText(path, text) {
      if (options.writeThrows) throw new Error('broken port');
      files.set(path, text);
      return true;
    },
    remove: async (path) => files.delete(path),
    whyUnreadable: async () => 'missing',
    list: async (dir) =>
      [...files.keys()]
        .filter((path) => path.startsWith(`${dir}/`))
        .map((path) => path.slice(dir.length + 1)),
  };

  const daemon: DaemonClient = {
    async call<T>(
      _socketPath: string,
      method: string,
      arg: unknown,
      callOptions: { timeoutMs: number; waitForReply?: boolean },
    ): Promise<RpcResult<T>> {
      daemonCalls.push({ method, arg, options: callOptions });
      if (options.daemonThrows) throw new Error('broken port');
      if (method === 'getVersion') return { ok: true, value: '7.0.4' as T };
      if (method === 'getMonitorData') return { ok: true, value: structuredClone(list) as T };
      if (method === 'restartProcessId' && options.restartAnswer)
        return options.restartAnswer as RpcResult<T>;
      if (method === 'ping' || method === 'restartProcessId') return { ok: true, value: undefined as T };
      return { ok: false, reason: 'remoteError', message: `unexpected ${method}` };
    },
  };

  const process: ProcessPort = {
    pid,
    ppid: snapshot?.ppid ?? 4_999,
    platform: 'linux',
    env: { ...snapshot?.env, ...options.envPatch },
    homedir: () => '/home/tester',
    uptimeSeconds: () => {
      if (options.uptimeThrows) throw new Error('broken port');
      return 30;
    },
    residentMemoryBytes: () => 1,
    heapUsedBytes: () => 1,
    isAlive: (other) => other === pid || other === DAEMON_PID,
    parentPidOf: async () => null,
    describe: async () => null,
    keepAlive: () => {
      holds.count += 1;
      return () => {
        holds.count -= 1;
      };
    },
    exit: (code) => exits.push({ code, at: clock.now() }),
    onShutdown(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  const pm2Options: Pm2SelfOptions = {
    route: 'rpc',
    ports: {
      clock,
      fs,
      daemon,
      process,
      runner: { run: async () => ({ ok: false, reason: 'notFound', message: 'no CLI in unit tests' }) },
    },
  };
  const self = createPm2Self(options.machine ? { ...pm2Options, machine: options.machine } : pm2Options);
  const events: World['events'] = [];
  for (const name of EVENT_NAMES) self.on(name, (event) => events.push({ name, event }));

  return {
    clock,
    files,
    exits,
    daemonCalls,
    list,
    events,
    self,
    signal(source = 'SIGINT') {
      for (const listener of [...listeners]) listener(source);
    },
    listenerCount: () => listeners.size,
    eventNames: () => events.map((entry) => entry.name),
    holds: () => holds.count,
  };
}

const eventsOf = <K extends RestartEventName>(world: World, name: K): Array<RestartEvents[K]> =>
  world.events.filter((entry) => entry.name === name).map((entry) => entry.event as RestartEvents[K]);

const readRecord = (world: World, pmId: number): RestartRecord =>
  JSON.parse(world.files.get(recordFile(pmId)) ?? 'null') as RestartRecord;

const expectRefused = (outcome: unknown, code: Pm2SelfErrorCode) =>
  expect(outcome).toMatchObject({ status: 'refused', code });

/** The earliest exit time allowed by pm2's min_uptime (plus the library's margin). */
const minUptimeEnd = (startedAt: number, minUptimeMs: number) =>
  startedAt + minUptimeMs + DEFAULTS.minUptimeMarginMs;

// ---- tests ----

describe('gracefulRestart when idle', () => {
  it('restarts with the exit strategy, waiting out min_uptime (never before startedAt + min_uptime)', async () => {
    const world = createWorld();
    const outcome = await world.self.gracefulRestart({ reason: 'update' });
    expect(outcome).toEqual({
      status: 'restarting',
      strategy: { type: 'exit', code: 0 },
      why: expect.any(String),
    });
    expect(world.self.hasPendingRestart()).toBe(true);

    const earliest = minUptimeEnd(FORK_STARTED_AT, PM2_DEFAULTS.minUptimeMs);
    await world.clock.advanceTo(FORK_STARTED_AT + PM2_DEFAULTS.minUptimeMs);
    expect(world.exits).toEqual([]);
    await world.clock.advanceTo(earliest - 1);
    expect(world.exits).toEqual([]);
    await world.clock.advanceTo(earliest);
    expect(world.exits).toEqual([{ code: 0, at: earliest }]);
    expect(world.eventNames()).toEqual(['requested', 'draining', 'restarting']);
    expect(eventsOf(world, 'restarting')[0]).toMatchObject({
      reason: 'update',
      strategy: { type: 'exit', code: 0 },
    });
  });

  it('restarts without waiting when min_uptime has long passed', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    await world.self.gracefulRestart();
    await flush();
    expect(world.exits).toEqual([{ code: 0, at: FORK_STARTED_AT + 60_000 }]);
  });

  it('a hook that starts after a pm2 signal arrived during the hooks is told kind shutdown', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    world.self.installShutdownHandler();
    const kinds: string[] = [];
    const hook = () => async (context: { kind: string }) => {
      kinds.push(context.kind);
      await new Promise<void>((resolve) => world.clock.setTimeout(resolve, 50));
    };
    await world.self.gracefulRestart({ reason: 'deploy', beforeExit: [hook(), hook()] });
    await world.clock.advance(10);
    world.signal('SIGINT');
    await world.clock.advance(100);
    expect(kinds).toEqual(['restart', 'shutdown']);
    expect(world.exits).toHaveLength(1);
  });

  it('resolves before any hook runs: the caller has its outcome when the hooks start', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const caller: { outcome?: unknown } = {};
    const seenByHook: unknown[] = [];
    caller.outcome = await world.self.gracefulRestart({
      beforeExit: () => void seenByHook.push(caller.outcome),
    });
    await world.clock.runAll();
    expect(seenByHook).toEqual([
      { status: 'restarting', strategy: { type: 'exit', code: 0 }, why: expect.any(String) },
    ]);
    expect(world.exits).toHaveLength(1);
  });

  it('keeps the process alive while a request is under way, and holds nothing when idle', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    expect(world.holds()).toBe(0);
    const task = world.self.beginTask('job');
    await world.self.gracefulRestart();
    expect(world.holds()).toBe(1);
    expect(world.self.clearPendingRestart()).toBe(true);
    expect(world.holds()).toBe(0);
    task.end();
    const pending = world.self.gracefulRestart();
    // Pending from the moment it is asked for, while the plan is made.
    expect(world.self.hasPendingRestart()).toBe(true);
    expect(world.self.restartState.phase).toBe('planning');
    expect(world.holds()).toBe(1);
    await pending;
    await world.clock.runAll();
    expect(world.exits).toHaveLength(1);
  });

  it('a port that rejects while planning is a refusal, and the controller is idle again', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000, daemonThrows: true });
    // The daemon query turns the throw into an unusable answer: a fork env alone cannot plan an exit.
    expect(await world.self.gracefulRestart()).toMatchObject({
      status: 'refused',
      code: 'ERR_PM2SELF_DAEMON_UNREACHABLE',
    });
    expect(world.self.restartState.phase).toBe('idle');
    expect(world.holds()).toBe(0);
    // A plan that throws outright (here: the process port) is refused with ERR_PM2SELF_PLAN_FAILED.
    const broken = createWorld({ now: FORK_STARTED_AT + 60_000, uptimeThrows: true });
    expect(await broken.self.gracefulRestart()).toMatchObject({
      status: 'refused',
      code: 'ERR_PM2SELF_PLAN_FAILED',
    });
    expect(broken.self.restartState.phase).toBe('idle');
    expect(broken.holds()).toBe(0);
  });

  it('a port that rejects while the exit is prepared: failed (portFailed), idle again, no unhandled rejection', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000, writeThrows: true });
    expect(await world.self.gracefulRestart({ reason: 'deploy' })).toMatchObject({ status: 'restarting' });
    await world.clock.runAll();
    expect(eventsOf(world, 'failed')).toEqual([
      {
        type: 'failed',
        reason: 'deploy',
        cause: 'portFailed',
        message: expect.stringContaining('broken port'),
      },
    ]);
    expect(world.exits).toEqual([]);
    expect(world.self.restartState.phase).toBe('idle');
    expect(world.holds()).toBe(0);
  });

  it('runs the beforeExit hooks, in order, before the exit', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const calls: string[] = [];
    const hook = (name: string) => async (context: { reason: string; kind: string; signal: AbortSignal }) => {
      calls.push(`${name}:${context.kind}:${context.reason}:exits=${world.exits.length}`);
      await new Promise<void>((resolve) => world.clock.setTimeout(resolve, 50));
    };
    await world.self.gracefulRestart({ reason: 'deploy', beforeExit: [hook('a'), hook('b')] });
    await world.clock.advance(49);
    expect(calls).toEqual(['a:restart:deploy:exits=0']);
    await world.clock.advance(1);
    expect(calls).toEqual(['a:restart:deploy:exits=0', 'b:restart:deploy:exits=0']);
    await world.clock.advance(49);
    expect(world.exits).toEqual([]);
    await world.clock.advance(1);
    expect(world.exits.map((exit) => exit.at)).toEqual([FORK_STARTED_AT + 60_100]);
  });

  it('cuts a hook that never resolves at hooksTimeoutMs, emits hookFailed, and exits', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    let aborted = false;
    const stuck = ({ signal }: { signal: AbortSignal }) =>
      new Promise<void>(() => {
        signal.addEventListener('abort', () => (aborted = true));
      });
    await world.self.gracefulRestart({ reason: 'stuck', beforeExit: stuck, hooksTimeoutMs: 700 });
    await world.clock.advance(699);
    expect(world.exits).toEqual([]);
    expect(eventsOf(world, 'hookFailed')).toEqual([]);
    await world.clock.advance(1);
    expect(aborted).toBe(true);
    expect(eventsOf(world, 'hookFailed')).toEqual([
      {
        type: 'hookFailed',
        reason: 'stuck',
        hook: 'stuck',
        budgetMs: 700,
        message: 'hook exceeded its 700 ms budget',
      },
    ]);
    expect(world.exits).toEqual([{ code: 0, at: FORK_STARTED_AT + 60_700 }]);
  });

  it('a hook that throws is reported and the exit goes on', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    await world.self.gracefulRestart({
      beforeExit: () => {
        throw new Error('flush failed');
      },
    });
    await flush();
    expect(eventsOf(world, 'hookFailed')).toEqual([
      {
        type: 'hookFailed',
        reason: 'requested',
        hook: 'beforeExit',
        budgetMs: DEFAULTS.hooksTimeoutMs,
        message: 'hook failed: flush failed',
      },
    ]);
    expect(world.exits).toHaveLength(1);
  });

  it('writes the restart record to $PM2_HOME/pm2-self/restart-<pmId>.json before exiting', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    await world.self.gracefulRestart({ reason: 'new config' });
    await flush();
    expect(world.exits).toHaveLength(1);
    expect(readRecord(world, 0)).toEqual({
      initiator: 'self',
      reason: 'new config',
      signal: null,
      name: FORK.env.name,
      namespace: FORK.env.namespace,
      pmId: 0,
      previousPid: FORK.pid,
      previousRestarts: 0,
      requestedAt: FORK_STARTED_AT + 60_000,
      deferredMs: 0,
      exitedAt: FORK_STARTED_AT + 60_000,
      // pm2's default kill_timeout (1600 ms) + restart delay 0 + 10 s of slack.
      expiresAt: FORK_STARTED_AT + 60_000 + 11_600,
      strategy: 'exit',
      forced: false,
      tasksCut: 0,
    });
  });

  it('a second request while one is under way is alreadyPending and does not exit twice', async () => {
    const world = createWorld();
    await world.self.gracefulRestart();
    expect(await world.self.gracefulRestart({ reason: 'again' })).toEqual({
      status: 'alreadyPending',
      phase: 'draining',
      pending: { kind: 'restart', reason: 'requested' },
      rejectedHooks: 0,
    });
    await world.clock.runAll();
    expect(world.exits).toHaveLength(1);
    expect(eventsOf(world, 'requested').map((event) => event.coalesced)).toEqual([false, true]);
  });
});

describe('gracefulRestart while tasks run', () => {
  it('defers, and the last task end triggers the restart by itself', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const first = world.self.beginTask('upload');
    const second = world.self.beginTask('encode');
    expect(await world.self.gracefulRestart({ reason: 'idle later' })).toEqual({
      status: 'deferred',
      tasks: 2,
    });
    expect(world.self.hasPendingRestart()).toBe(true);
    await world.clock.advance(5_000);
    first.end();
    await world.clock.advance(5_000);
    expect(world.exits).toEqual([]);
    second.end();
    await flush();
    // min_uptime passed long ago: the exit follows the last task end at once.
    expect(world.exits).toEqual([{ code: 0, at: FORK_STARTED_AT + 70_000 }]);
    expect(readRecord(world, 0)).toMatchObject({
      reason: 'idle later',
      deferredMs: 10_000,
      strategy: 'exit',
      forced: false,
      tasksCut: 0,
    });
    expect(world.eventNames()).toEqual(['requested', 'deferred', 'draining', 'restarting']);
  });

  it('does not exit when a reload replaced this process while the restart was deferred (pm2 stops it itself)', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const task = world.self.beginTask('job');
    expect(await world.self.gracefulRestart({ reason: 'update' })).toEqual({ status: 'deferred', tasks: 1 });
    // A reload: pm2 started a new process for pm_id 0 and rewrote the pid file; the daemon agrees.
    world.files.set(FORK.env.pm_pid_path as string, '424242');
    (world.list.find((entry) => entry.pm_id === 0) as JlistEntry).pid = 424242;
    task.end();
    await world.clock.advance(1_000);
    expect(world.exits).toEqual([]);
    expect(eventsOf(world, 'failed')).toMatchObject([{ reason: 'update', cause: 'superseded' }]);
    expect(world.self.hasPendingRestart()).toBe(false);
    expect(world.files.has(recordFile(0))).toBe(false);
  });

  it('does not exit when the daemon already moved our pm_id to a new worker, before the pid file says so', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const task = world.self.beginTask('job');
    expect(await world.self.gracefulRestart({ reason: 'update' })).toEqual({ status: 'deferred', tasks: 1 });
    (world.list.find((entry) => entry.pm_id === 0) as JlistEntry).pid = 434343;
    task.end();
    await world.clock.advance(1_000);
    expect(world.exits).toEqual([]);
    expect(eventsOf(world, 'failed')).toMatchObject([{ reason: 'update', cause: 'superseded' }]);
    expect(world.files.has(recordFile(0))).toBe(false);
  });

  it('a daemon that refuses the restart request leaves no restart record behind', async () => {
    const world = createWorld({
      env: 'eco-fork',
      now: ECO_STARTED_AT + 60_000,
      restartAnswer: { ok: false, reason: 'remoteError', message: 'refused' },
    });
    expect(await world.self.gracefulRestart({ reason: 'update' })).toMatchObject({
      status: 'restarting',
      strategy: { type: 'daemon' },
    });
    await world.clock.advance(1_000);
    expect(world.exits).toEqual([]);
    expect(eventsOf(world, 'failed')).toMatchObject([{ reason: 'update', cause: 'daemonRefused' }]);
    expect(world.files.has(recordFile(4))).toBe(false);
  });

  it('still respects min_uptime when the tasks end early', async () => {
    const world = createWorld();
    const task = world.self.beginTask();
    await world.self.gracefulRestart();
    await world.clock.advance(100);
    task.end();
    const earliest = minUptimeEnd(FORK_STARTED_AT, PM2_DEFAULTS.minUptimeMs);
    await world.clock.advanceTo(earliest - 1);
    expect(world.exits).toEqual([]);
    await world.clock.advanceTo(earliest);
    expect(world.exits).toEqual([{ code: 0, at: earliest }]);
  });

  it('does not wait min_uptime again after a long deferral (the wait counts from the request)', async () => {
    const world = createWorld();
    const task = world.self.beginTask();
    await world.self.gracefulRestart();
    await world.clock.advance(10_000);
    task.end();
    await flush();
    expect(world.exits).toEqual([{ code: 0, at: FORK_STARTED_AT + 10_200 }]);
  });

  it('a deadline with force restarts past running tasks and records them', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    world.self.beginTask();
    await world.self.gracefulRestart({ deadlineMs: 2_000 });
    await world.clock.advance(1_999);
    expect(world.exits).toEqual([]);
    await world.clock.advance(1);
    expect(world.exits).toHaveLength(1);
    expect(eventsOf(world, 'draining')).toEqual([expect.objectContaining({ forced: true, tasks: 1 })]);
    expect(readRecord(world, 0)).toMatchObject({ forced: true, tasksCut: 1, deferredMs: 2_000 });
  });

  it('a deadline with giveUp drops the request and the process keeps running', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const task = world.self.beginTask();
    await world.self.gracefulRestart({ deadlineMs: 2_000, onDeadline: 'giveUp' });
    await world.clock.advance(2_000);
    expect(eventsOf(world, 'cancelled')).toEqual([
      { type: 'cancelled', reason: 'requested', cause: 'deadline' },
    ]);
    expect(world.self.hasPendingRestart()).toBe(false);
    task.end();
    await world.clock.runAll();
    expect(world.exits).toEqual([]);
  });

  it('runTask ends the task when the work resolves, rejects or throws', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    let resolveWork!: (value: string) => void;
    const running = world.self.runTask(new Promise<string>((resolve) => (resolveWork = resolve)), 'resolves');
    expect(world.self.restartState.tasks).toBe(1);
    resolveWork('done');
    await expect(running).resolves.toBe('done');
    expect(world.self.restartState.tasks).toBe(0);

    const rejecting = world.self.runTask(async () => {
      await Promise.resolve();
      throw new Error('work failed');
    });
    expect(world.self.restartState.tasks).toBe(1);
    await expect(rejecting).rejects.toThrow('work failed');
    expect(world.self.restartState.tasks).toBe(0);

    await expect(
      world.self.runTask(() => {
        throw new Error('sync failure');
      }),
    ).rejects.toThrow('sync failure');
    expect(world.self.restartState.tasks).toBe(0);
  });

  it('a restart deferred behind runTask happens when the work rejects', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    let rejectWork!: (error: Error) => void;
    const running = world.self.runTask(new Promise<void>((_resolve, reject) => (rejectWork = reject)));
    expect(await world.self.gracefulRestart()).toMatchObject({ status: 'deferred', tasks: 1 });
    rejectWork(new Error('boom'));
    await expect(running).rejects.toThrow('boom');
    await flush();
    expect(world.exits).toHaveLength(1);
  });

  it('task handles end once; a second end() is ignored', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const a = world.self.beginTask('a');
    world.self.beginTask('b');
    await world.self.gracefulRestart();
    a.end();
    a.end();
    expect(a.ended).toBe(true);
    await flush();
    expect(world.self.restartState).toMatchObject({ phase: 'deferred', tasks: 1 });
    expect(world.exits).toEqual([]);
  });

  it('beginTask during draining throws ERR_PM2SELF_NOT_ACCEPTING_TASKS', async () => {
    const world = createWorld();
    await world.self.gracefulRestart();
    expect(world.self.restartState.phase).toBe('draining');
    let thrown: unknown;
    try {
      world.self.beginTask('late');
    } catch (error) {
      thrown = error;
    }
    expect(isPm2SelfError(thrown, 'ERR_PM2SELF_NOT_ACCEPTING_TASKS')).toBe(true);
    expect((thrown as { context: unknown }).context).toEqual({ phase: 'draining', label: 'late' });
    await expect(world.self.runTask(async () => 1)).rejects.toSatisfy((error) =>
      isPm2SelfError(error, 'ERR_PM2SELF_NOT_ACCEPTING_TASKS'),
    );
    expect(world.self.restartState.tasks).toBe(0);
  });

  it('refuseNewTasks refuses tasks while the restart is deferred', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    world.self.beginTask();
    await world.self.gracefulRestart({ refuseNewTasks: true });
    expect(() => world.self.beginTask()).toThrow(
      expect.objectContaining({ code: 'ERR_PM2SELF_NOT_ACCEPTING_TASKS' }),
    );
    expect(world.self.restartState.tasks).toBe(1);
  });

  it('clearPendingRestart cancels once (true), then has nothing to cancel (false)', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const task = world.self.beginTask();
    expect(world.self.hasPendingRestart()).toBe(false);
    expect(world.self.clearPendingRestart()).toBe(false);
    await world.self.gracefulRestart({ reason: 'maybe', beforeExit: () => undefined });
    expect(world.self.hasPendingRestart()).toBe(true);
    expect(world.self.clearPendingRestart()).toBe(true);
    expect(world.self.clearPendingRestart()).toBe(false);
    expect(world.self.hasPendingRestart()).toBe(false);
    expect(eventsOf(world, 'cancelled')).toEqual([{ type: 'cancelled', reason: 'maybe', cause: 'cleared' }]);
    task.end();
    await world.clock.runAll();
    expect(world.exits).toEqual([]);
  });

  it('a restart cannot be cleared once it drains', async () => {
    const world = createWorld();
    await world.self.gracefulRestart();
    expect(world.self.clearPendingRestart()).toBe(false);
    await world.clock.runAll();
    expect(world.exits).toHaveLength(1);
  });
});

describe('strategies', () => {
  it('autorestart false (eco-fork): the daemon restarts pm_id 4; no exit from the app', async () => {
    const world = createWorld({ env: 'eco-fork', now: ECO_STARTED_AT + 60_000 });
    const outcome = await world.self.gracefulRestart({ reason: 'reload' });
    expect(outcome).toMatchObject({ status: 'restarting', strategy: { type: 'daemon', pmId: 4 } });
    await flush();
    const restartCalls = world.daemonCalls.filter((call) => call.method === 'restartProcessId');
    expect(restartCalls).toHaveLength(1);
    expect(restartCalls[0]).toMatchObject({ arg: { id: 4 }, options: { waitForReply: false } });
    expect(world.exits).toEqual([]);
    expect(readRecord(world, 4)).toMatchObject({
      initiator: 'self',
      strategy: 'daemon',
      pmId: 4,
      previousPid: ECO.pid,
    });
  });

  it('daemon strategy: the daemon SIGINT that follows exits at once', async () => {
    const world = createWorld({ env: 'eco-fork', now: ECO_STARTED_AT + 60_000 });
    world.self.installShutdownHandler();
    await world.self.gracefulRestart();
    await flush();
    expect(world.self.restartState.phase).toBe('exiting');
    world.signal('SIGINT');
    expect(world.exits).toEqual([{ code: 0, at: ECO_STARTED_AT + 60_000 }]);
  });

  it('daemon strategy: when the daemon never stops us, the restart fails and the app runs on', async () => {
    const world = createWorld({ env: 'eco-fork', now: ECO_STARTED_AT + 60_000 });
    await world.self.gracefulRestart({ reason: 'reload' });
    // The grace follows the app's kill_timeout (3000 ms in eco-fork), plus the library's slack.
    await world.clock.advance(3_000 + DEFAULTS.daemonRestartGraceMs - 1);
    expect(eventsOf(world, 'failed')).toEqual([]);
    await world.clock.advance(1);
    expect(eventsOf(world, 'failed')).toEqual([
      { type: 'failed', reason: 'reload', cause: 'daemonTimedOut', message: expect.any(String) },
    ]);
    expect(world.self.hasPendingRestart()).toBe(false);
    expect(world.exits).toEqual([]);
  });

  it('eco-fork waits out its own min_uptime (2000 ms) before asking the daemon', async () => {
    const world = createWorld({ env: 'eco-fork', now: ECO_STARTED_AT + 100 });
    await world.self.gracefulRestart();
    const earliest = minUptimeEnd(ECO_STARTED_AT, 2_000);
    await world.clock.advanceTo(earliest - 1);
    expect(world.daemonCalls.some((call) => call.method === 'restartProcessId')).toBe(false);
    await world.clock.advanceTo(earliest);
    expect(world.daemonCalls.some((call) => call.method === 'restartProcessId')).toBe(true);
  });

  it('stop_exit_codes [0]: exits with 75 so pm2 restarts the app', async () => {
    const world = createWorld({
      now: FORK_STARTED_AT + 60_000,
      editList: (list) => {
        const entry = list.find((item) => item.pm_id === 0) as JlistEntry;
        entry.pm2_env.stop_exit_codes = [0];
      },
    });
    expect(await world.self.gracefulRestart()).toMatchObject({
      status: 'restarting',
      strategy: { type: 'exit', code: 75 },
    });
    await flush();
    expect(world.exits.map((exit) => exit.code)).toEqual([75]);
  });

  it('not under pm2: refused with ERR_PM2SELF_NOT_UNDER_PM2 and no exit', async () => {
    const world = createWorld({ env: null, daemon: false });
    const outcome = await world.self.gracefulRestart({ reason: 'try' });
    expectRefused(outcome, 'ERR_PM2SELF_NOT_UNDER_PM2');
    expect(eventsOf(world, 'refused')).toEqual([
      expect.objectContaining({ reason: 'try', code: 'ERR_PM2SELF_NOT_UNDER_PM2' }),
    ]);
    expect(world.self.hasPendingRestart()).toBe(false);
    await world.clock.runAll();
    expect(world.exits).toEqual([]);
  });

  it('not under pm2 with allowPlainExit: a plain exit, and no record', async () => {
    const world = createWorld({ env: null, daemon: false });
    expect(await world.self.gracefulRestart({ allowPlainExit: true })).toMatchObject({
      status: 'restarting',
      strategy: { type: 'plainExit', code: 0 },
    });
    await world.clock.runAll();
    expect(world.exits.map((exit) => exit.code)).toEqual([0]);
    expect([...world.files.keys()].some((path) => path.includes('pm2-self'))).toBe(false);
  });

  it('a descendant that only inherited pm2 variables: refused with ERR_PM2SELF_NOT_TRACKED', async () => {
    const world = createWorld({ env: 'grandchild' });
    expectRefused(await world.self.gracefulRestart(), 'ERR_PM2SELF_NOT_TRACKED');
    await world.clock.runAll();
    expect(world.exits).toEqual([]);
  });

  it('daemon unreachable and settings unknown (fork env lacks stop_exit_codes): ERR_PM2SELF_DAEMON_UNREACHABLE', async () => {
    const world = createWorld({ daemon: false });
    expectRefused(await world.self.gracefulRestart(), 'ERR_PM2SELF_DAEMON_UNREACHABLE');
    await world.clock.runAll();
    expect(world.exits).toEqual([]);
    expect(world.daemonCalls).toEqual([]);
  });
});

describe('installShutdownHandler', () => {
  const budget = (killTimeoutMs: number) => killTimeoutMs - DEFAULTS.killTimeoutMarginMs;

  it('with no task running, a signal runs the hooks and exits', async () => {
    const world = createWorld();
    const kinds: string[] = [];
    world.self.installShutdownHandler({ beforeExit: ({ kind }) => void kinds.push(kind) });
    await flush();
    const at = world.clock.now();
    world.signal('SIGTERM');
    await flush();
    expect(kinds).toEqual(['shutdown']);
    expect(world.exits).toEqual([{ code: 0, at }]);
    // A pm2 stop is not a restart: 'exiting' says who asked, 'restarting' is for self-restarts only.
    expect(eventsOf(world, 'restarting')).toEqual([]);
    expect(eventsOf(world, 'exiting')).toEqual([
      {
        type: 'exiting',
        initiator: 'pm2',
        signal: 'SIGTERM',
        reason: 'pm2 SIGTERM',
        record: 'written',
        secondSignal: false,
      },
    ]);
  });

  it('a signal while a task runs waits for it, up to kill_timeout - margin, then exits', async () => {
    const world = createWorld();
    world.self.installShutdownHandler();
    await flush();
    world.self.beginTask('long');
    const at = world.clock.now();
    world.signal('SIGINT');
    await world.clock.advance(budget(PM2_DEFAULTS.killTimeoutMs) - 1);
    expect(world.exits).toEqual([]);
    await world.clock.advance(1);
    expect(world.exits).toEqual([{ code: 0, at: at + budget(PM2_DEFAULTS.killTimeoutMs) }]);
    expect(eventsOf(world, 'draining')).toEqual([
      expect.objectContaining({ kind: 'shutdown', forced: true, tasks: 1 }),
    ]);
  });

  it('reads kill_timeout from pm2 (eco-fork: 3000 ms)', async () => {
    const world = createWorld({ env: 'eco-fork', now: ECO_STARTED_AT + 60_000 });
    world.self.installShutdownHandler({ marginMs: 500 });
    await flush();
    world.self.beginTask();
    world.signal('message');
    await world.clock.advance(2_499);
    expect(world.exits).toEqual([]);
    await world.clock.advance(1);
    expect(world.exits).toHaveLength(1);
  });

  it('a task that ends within the budget lets the exit happen at once', async () => {
    const world = createWorld();
    world.self.installShutdownHandler();
    await flush();
    const task = world.self.beginTask();
    world.signal();
    await world.clock.advance(400);
    expect(world.exits).toEqual([]);
    task.end();
    await flush();
    expect(world.exits).toHaveLength(1);
  });

  it('a second signal exits at once', async () => {
    const world = createWorld();
    world.self.installShutdownHandler();
    await flush();
    world.self.beginTask();
    world.signal('SIGINT');
    await world.clock.advance(10);
    expect(world.exits).toEqual([]);
    world.signal('SIGINT');
    expect(world.exits).toEqual([{ code: 0, at: world.clock.now() }]);
    await world.clock.runAll();
    expect(world.exits).toHaveLength(1);
  });

  it('a signal during a restart drain turns it into a shutdown (exit 0), within the kill budget', async () => {
    const world = createWorld({
      now: FORK_STARTED_AT + 60_000,
      editList: (list) =>
        void ((list.find((item) => item.pm_id === 0) as JlistEntry).pm2_env.stop_exit_codes = [0]),
    });
    world.self.installShutdownHandler();
    let aborted = false;
    const stuck = ({ signal }: { signal: AbortSignal }) =>
      new Promise<void>(() => signal.addEventListener('abort', () => (aborted = true)));
    await world.self.gracefulRestart({ beforeExit: stuck, hooksTimeoutMs: 60_000 });
    expect(world.self.restartState.phase).toBe('draining');
    await world.clock.advance(1_000);
    const at = world.clock.now();
    world.signal();
    await world.clock.advanceTo(at + budget(PM2_DEFAULTS.killTimeoutMs) - 1);
    expect(world.exits).toEqual([]);
    await world.clock.advance(1);
    // Not 75 (a restart exit code): pm2 is stopping the app, and the hook was cut at pm2's budget, not its own.
    expect(world.exits).toEqual([{ code: 0, at: at + budget(PM2_DEFAULTS.killTimeoutMs) }]);
    expect(aborted).toBe(true);
    expect(eventsOf(world, 'hookFailed')).toHaveLength(1);
    expect(eventsOf(world, 'restarting')).toEqual([]);
    expect(eventsOf(world, 'exiting')).toEqual([
      expect.objectContaining({ initiator: 'pm2', signal: 'SIGINT', reason: 'requested' }),
    ]);
  });

  it('a signal during the min_uptime wait of a restart ends the wait: hooks run and the exit lands within the kill budget', async () => {
    const world = createWorld({
      editList: (list) =>
        void ((list.find((item) => item.pm_id === 0) as JlistEntry).pm2_env.min_uptime = 10_000),
    });
    world.self.installShutdownHandler();
    const kinds: string[] = [];
    await world.self.gracefulRestart({ beforeExit: ({ kind }) => void kinds.push(kind) });
    expect(world.self.restartState.phase).toBe('draining');
    await world.clock.advance(100);
    const at = world.clock.now();
    world.signal();
    await world.clock.advanceTo(at + budget(PM2_DEFAULTS.killTimeoutMs));
    expect(kinds).toEqual(['shutdown']);
    expect(world.exits).toEqual([{ code: 0, at }]);
  });

  it('Ctrl-C outside pm2 is a signal, not pm2; a second delivery exits at once and says so', async () => {
    const world = createWorld({ env: null, daemon: false });
    world.self.installShutdownHandler();
    world.self.beginTask('long');
    await flush();
    world.signal('SIGINT');
    await flush();
    expect(eventsOf(world, 'requested')).toEqual([
      { type: 'requested', kind: 'shutdown', reason: 'SIGINT', coalesced: false },
    ]);
    expect(world.exits).toEqual([]);
    world.signal('SIGINT');
    expect(eventsOf(world, 'exiting')).toEqual([
      {
        type: 'exiting',
        initiator: 'signal',
        signal: 'SIGINT',
        reason: 'second SIGINT',
        record: 'none',
        secondSignal: true,
      },
    ]);
    expect(world.exits).toHaveLength(1);
  });

  it('uninstall removes the listeners', async () => {
    const world = createWorld();
    const uninstall = world.self.installShutdownHandler();
    expect(world.listenerCount()).toBe(1);
    uninstall();
    expect(world.listenerCount()).toBe(0);
    world.signal();
    await world.clock.runAll();
    expect(world.exits).toEqual([]);
    expect(world.self.hasPendingRestart()).toBe(false);
  });
});

describe('getLastRestart', () => {
  const NEXT_PID = 9_100;
  /** The next generation (restart 4, pid NEXT_PID) over the files the previous one left. */
  const nextGeneration = (files: Map<string, string>, startedAt: number, now?: number) => {
    const after = createWorld({
      files,
      pid: NEXT_PID,
      ...(now === undefined ? {} : { now }),
      envPatch: { restart_time: '4', pm_uptime: String(startedAt) },
    });
    files.set(FORK.env.pm_pid_path as string, String(NEXT_PID));
    return after;
  };

  it('reads the record the previous generation wrote', async () => {
    const files = new Map<string, string>();
    const before = createWorld({ files, now: FORK_STARTED_AT + 60_000, envPatch: { restart_time: '3' } });
    await before.self.gracefulRestart({ reason: 'upgrade' });
    await flush();
    expect(before.exits).toHaveLength(1);

    const after = nextGeneration(files, FORK_STARTED_AT + 60_100, FORK_STARTED_AT + 61_000);
    expect(await after.self.getLastRestart()).toMatchObject({
      initiator: 'self',
      reason: 'upgrade',
      pmId: 0,
      previousPid: FORK.pid,
      previousRestarts: 3,
      strategy: 'exit',
    });
  });

  it('reads the record a pm2 restart (signal) left, with initiator pm2', async () => {
    const files = new Map<string, string>();
    const before = createWorld({ files, envPatch: { restart_time: '3' } });
    before.self.installShutdownHandler();
    await flush();
    before.signal('SIGINT');
    await flush();
    expect(before.exits).toHaveLength(1);

    const after = nextGeneration(files, FORK_STARTED_AT + 300);
    expect(await after.self.getLastRestart()).toMatchObject({
      initiator: 'pm2',
      reason: 'pm2 SIGINT',
      signal: 'SIGINT',
      strategy: 'shutdown',
      previousPid: FORK.pid,
      previousRestarts: 3,
    });
  });

  it("a pm2 restart while a self-restart's hooks run leaves a record naming both (issue 19 review B4)", async () => {
    const files = new Map<string, string>();
    const before = createWorld({ files, now: FORK_STARTED_AT + 60_000, envPatch: { restart_time: '3' } });
    const goodbye = () => new Promise<void>((resolve) => before.clock.setTimeout(resolve, 500));
    before.self.installShutdownHandler({ beforeExit: goodbye });
    await before.self.gracefulRestart({ reason: 'deploy' });
    expect(before.self.restartState.phase).toBe('draining');
    await before.clock.advance(100);
    before.signal('SIGINT');
    await before.clock.advance(1_000);
    expect(before.exits).toEqual([{ code: 0, at: FORK_STARTED_AT + 60_500 }]);
    expect(eventsOf(before, 'exiting')).toEqual([
      expect.objectContaining({ initiator: 'pm2', signal: 'SIGINT', record: 'written' }),
    ]);

    const after = nextGeneration(files, FORK_STARTED_AT + 60_600, FORK_STARTED_AT + 61_000);
    expect(await after.self.getLastRestart()).toMatchObject({
      initiator: 'pm2',
      reason: 'pm2 SIGINT (a self-restart was pending: deploy)',
      signal: 'SIGINT',
      strategy: 'shutdown',
      previousPid: FORK.pid,
      previousRestarts: 3,
    });
  });

  const record = (overrides: Partial<RestartRecord> = {}): RestartRecord => ({
    initiator: 'self',
    reason: 'upgrade',
    signal: null,
    name: FORK.env.name as string,
    namespace: FORK.env.namespace as string,
    pmId: 0,
    previousPid: 7_000,
    previousRestarts: 3,
    requestedAt: FORK_STARTED_AT - 5_000,
    deferredMs: 0,
    exitedAt: FORK_STARTED_AT - 5_000,
    expiresAt: FORK_STARTED_AT + 6_600,
    strategy: 'exit',
    forced: false,
    tasksCut: 0,
    ...overrides,
  });
  const reader = {
    name: FORK.env.name as string,
    namespace: FORK.env.namespace as string,
    pmId: 0,
    pid: FORK.pid,
    restarts: 4,
    startedAt: FORK_STARTED_AT,
    lifetimeMs: 11_600,
    readAt: FORK_STARTED_AT + 1_000,
  };

  const lastRestartWith = async (written: RestartRecord, restartTime = '4') => {
    const files = new Map([[recordFile(0), JSON.stringify(written)]]);
    const world = createWorld({ files, envPatch: { restart_time: restartTime } });
    return world.self.getLastRestart();
  };

  it('accepts a record whose previousRestarts is restarts - 1', async () => {
    expect(await lastRestartWith(record())).toEqual(record());
    expect(parseRestartRecord(JSON.stringify(record()), reader)).toEqual(record());
  });

  it('ignores the record of another app that had the same pm_id (after pm2 delete)', async () => {
    expect(await lastRestartWith(record({ name: 'another-app' }))).toBeNull();
    expect(await lastRestartWith(record({ namespace: 'other' }))).toBeNull();
  });

  it('ignores an expired record: this generation started after the record expired', async () => {
    expect(await lastRestartWith(record({ expiresAt: FORK_STARTED_AT - 1 }))).toBeNull();
    expect(await lastRestartWith(record({ expiresAt: FORK_STARTED_AT }))).not.toBeNull();
  });

  it('reads a record once per generation: the file goes, the answer stays (pm2 stop + start keeps restart_time)', async () => {
    const files = new Map([[recordFile(0), JSON.stringify(record())]]);
    const world = createWorld({ files, envPatch: { restart_time: '4' } });
    expect(await world.self.getLastRestart()).toEqual(record());
    expect(files.has(recordFile(0))).toBe(false);
    expect(await world.self.getLastRestart()).toEqual(record());
    // The generation after a pm2 stop + pm2 start has the same restart_time, and reads nothing.
    const restarted = createWorld({ files, pid: NEXT_PID, envPatch: { restart_time: '4' } });
    files.set(FORK.env.pm_pid_path as string, String(NEXT_PID));
    expect(await restarted.self.getLastRestart()).toBeNull();
  });

  it("a descendant never reads (or removes) its app's record", async () => {
    const files = new Map([[recordFile(0), JSON.stringify(record())]]);
    const child = createWorld({ files, env: 'grandchild', envPatch: { restart_time: '4' } });
    expect((await child.self.getIdentity()).managed).toBe(true);
    expect(await child.self.getLastRestart()).toBeNull();
    expect(files.has(recordFile(0))).toBe(true);
  });

  it('ignores a record written by this very pid', async () => {
    expect(await lastRestartWith(record({ previousPid: FORK.pid }))).toBeNull();
  });

  it('ignores a record of another pm_id', async () => {
    expect(await lastRestartWith(record({ pmId: 1 }))).toBeNull();
  });

  it('ignores a stale record (previousRestarts is not restarts - 1)', async () => {
    expect(await lastRestartWith(record({ previousRestarts: 2 }))).toBeNull();
    expect(await lastRestartWith(record({ previousRestarts: 4 }))).toBeNull();
  });

  it('is null without a record, or outside pm2', async () => {
    expect(await createWorld().self.getLastRestart()).toBeNull();
    expect(await createWorld({ env: null, daemon: false }).self.getLastRestart()).toBeNull();
  });
});

describe('an injected machine', () => {
  it('a wrapper that turns the second deferral into an immediate (forced) drain is the one the controller uses', async () => {
    let deferrals = 0;
    const capped: RestartMachine = {
      initialState: restartMachine.initialState,
      transition(state, event) {
        const next = restartMachine.transition(state, event);
        if (state.phase === 'deferred' || next.state.phase !== 'deferred' || next.state.request === null)
          return next;
        deferrals += 1;
        if (deferrals < 2) return next;
        // Pretend the deadline is now, with the force policy.
        const request = { ...next.state.request, deadlineAt: event.at, onDeadline: 'force' as const };
        const forced = restartMachine.transition(
          { ...next.state, request },
          { type: 'deadlineReached', at: event.at },
        );
        const kept = next.effects.filter(
          (effect: RestartEffect) =>
            effect.type !== 'startDeadlineTimer' &&
            !(effect.type === 'notify' && effect.notice.type === 'deferred'),
        );
        return { state: forced.state, effects: [...kept, ...forced.effects] };
      },
    };
    const world = createWorld({ now: FORK_STARTED_AT + 60_000, machine: capped });
    world.self.beginTask();
    expect(await world.self.gracefulRestart({ reason: 'first' })).toMatchObject({ status: 'deferred' });
    expect(world.self.clearPendingRestart()).toBe(true);
    expect(await world.self.gracefulRestart({ reason: 'second' })).toMatchObject({ status: 'restarting' });
    await flush();
    expect(world.exits).toHaveLength(1);
    expect(eventsOf(world, 'deferred')).toHaveLength(1);
    expect(eventsOf(world, 'draining')).toEqual([
      expect.objectContaining({ reason: 'second', forced: true, tasks: 1 }),
    ]);
    expect(readRecord(world, 0)).toMatchObject({ reason: 'second', forced: true, tasksCut: 1 });
    expect(world.self.restartState.phase).toBe('exiting');
  });
});

describe('restart record files', () => {
  it('temporary files of writers that died between write and rename are found for removal', async () => {
    const { staleTemporaryFiles } = await import('../../src/restart/restart-record.js');
    const alive = new Set([100]);
    expect(
      staleTemporaryFiles(
        ['restart-0.json', 'restart-0.json.100.tmp', 'restart-1.json.200.tmp', 'list-v1.json', 'x.tmp'],
        (pid) => alive.has(pid),
      ),
    ).toEqual(['restart-1.json.200.tmp']);
  });

  it("writing a record sweeps a dead writer's temporary file", async () => {
    const files = new Map([[`${recordFile(0)}.999999.tmp`, '{"partial']]);
    const world = createWorld({ files, now: FORK_STARTED_AT + 60_000 });
    await world.self.gracefulRestart();
    await world.clock.runAll();
    expect(world.exits).toHaveLength(1);
    expect([...files.keys()].filter((path) => path.endsWith('.tmp'))).toEqual([]);
    expect(files.has(recordFile(0))).toBe(true);
  });

  it('getInfo() is frozen, live or not', async () => {
    const world = createWorld();
    const info = await world.self.getInfo();
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info?.settings)).toBe(true);
    expect(Object.isFrozen(await world.self.getInfo({ live: true }))).toBe(true);
  });
});

describe("the shutdown handler's hooks run on every exit pm2-self performs", () => {
  /** A hook that notes each run as `name:kind:reason` and whether the process had exited yet. */
  const noting = (world: World, calls: string[], name: string) => {
    const hook = (context: { kind: string; reason: string }) => {
      calls.push(`${name}:${context.kind}:${context.reason}:exits=${world.exits.length}`);
    };
    Object.defineProperty(hook, 'name', { value: name });
    return hook;
  };

  it("gracefulRestart(): the request's own hooks, then the handler's goodbye, before the exit", async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const calls: string[] = [];
    world.self.installShutdownHandler({ beforeExit: noting(world, calls, 'goodbye') });
    await world.self.gracefulRestart({ reason: 'deploy', beforeExit: noting(world, calls, 'flush') });
    await flush(5);
    expect(calls).toEqual(['flush:restart:deploy:exits=0', 'goodbye:restart:deploy:exits=0']);
    expect(world.exits).toHaveLength(1);
  });

  it('a hook given to the handler twice and to the request runs once', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const calls: string[] = [];
    const goodbye = noting(world, calls, 'goodbye');
    world.self.installShutdownHandler({ beforeExit: goodbye });
    world.self.installShutdownHandler({ beforeExit: goodbye });
    await world.self.gracefulRestart({
      reason: 'deploy',
      beforeExit: [noting(world, calls, 'flush'), goodbye],
    });
    await flush(5);
    expect(calls).toEqual(['flush:restart:deploy:exits=0', 'goodbye:restart:deploy:exits=0']);
    expect(world.exits).toHaveLength(1);
  });

  it('restartWhen() with a failing health check runs the goodbye once, then exits', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const calls: string[] = [];
    world.self.installShutdownHandler({ beforeExit: noting(world, calls, 'goodbye') });
    world.self.restartWhen({ healthCheck: () => false, unhealthyForMs: 0, checkEveryMs: 100 });
    await world.clock.advance(1_000);
    expect(calls).toEqual([
      expect.stringMatching(/^goodbye:restart:health check failing for \d+ ms: returned false:exits=0$/),
    ]);
    expect(world.exits).toHaveLength(1);
  });

  it('restartWhen({ maxUptimeMs }) runs the goodbye once, then exits', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const calls: string[] = [];
    world.self.installShutdownHandler({ beforeExit: noting(world, calls, 'goodbye') });
    world.self.restartWhen({ maxUptimeMs: 1_000, checkEveryMs: 100 });
    await world.clock.advance(1_000);
    expect(calls).toEqual(['goodbye:restart:uptime 30 s reached (max 1 s):exits=0']);
    expect(world.exits).toHaveLength(1);
  });

  it("the handler's larger hooksTimeoutMs is the restart's hook budget", async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    let finished = false;
    const slow = () =>
      new Promise<void>((resolve) => world.clock.setTimeout(() => resolve(void (finished = true)), 7_000));
    world.self.installShutdownHandler({ beforeExit: slow, hooksTimeoutMs: 8_000 });
    await world.self.gracefulRestart({ reason: 'deploy' });
    await world.clock.advance(7_000);
    expect(finished).toBe(true);
    expect(eventsOf(world, 'hookFailed')).toEqual([]);
    expect(world.exits).toHaveLength(1);
  });

  it('a pm2 signal during the restart exit runs no hook a second time', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000, envPatch: { autorestart: 'false' } });
    const calls: string[] = [];
    world.self.installShutdownHandler({ beforeExit: noting(world, calls, 'goodbye') });
    await world.self.gracefulRestart({ reason: 'deploy' });
    await flush(5);
    world.signal('SIGINT');
    await world.clock.advance(2_000);
    expect(calls).toEqual(['goodbye:restart:deploy:exits=0']);
  });

  it('a handler installed while the restart is deferred runs its goodbye on that restart, once (issue 19 review B5)', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const calls: string[] = [];
    const task = world.self.beginTask('job');
    expect(await world.self.gracefulRestart({ reason: 'deploy' })).toMatchObject({ status: 'deferred' });
    await world.clock.advance(100);
    world.self.installShutdownHandler({ beforeExit: noting(world, calls, 'goodbye') });
    task.end();
    await flush(5);
    expect(calls).toEqual(['goodbye:restart:deploy:exits=0']);
    expect(world.exits).toHaveLength(1);
  });

  it('a handler uninstalled while the restart is deferred does not say goodbye on it', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const calls: string[] = [];
    const uninstall = world.self.installShutdownHandler({ beforeExit: noting(world, calls, 'goodbye') });
    const task = world.self.beginTask('job');
    await world.self.gracefulRestart({ reason: 'deploy', beforeExit: noting(world, calls, 'flush') });
    uninstall();
    task.end();
    await flush(5);
    expect(calls).toEqual(['flush:restart:deploy:exits=0']);
    expect(world.exits).toHaveLength(1);
  });

  it('once the handler is uninstalled, a restart runs only its own hooks', async () => {
    const world = createWorld({ now: FORK_STARTED_AT + 60_000 });
    const calls: string[] = [];
    const uninstall = world.self.installShutdownHandler({ beforeExit: noting(world, calls, 'goodbye') });
    uninstall();
    await world.self.gracefulRestart({ reason: 'deploy', beforeExit: noting(world, calls, 'flush') });
    await flush(5);
    expect(calls).toEqual(['flush:restart:deploy:exits=0']);
    expect(world.exits).toHaveLength(1);
  });
});
