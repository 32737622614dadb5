/**
 * Fake {@link Ports} for deterministic unit tests: a manual clock, in-memory files, a scripted
 * command runner and daemon client that record every call, and a fake process with an exit spy.
 * Nothing here touches real time, real files, real processes or pm2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Clock,
  CommandOptions,
  CommandResult,
  CommandRunner,
  DaemonClient,
  FileSystem,
  Ports,
  ProcessFacts,
  ProcessPort,
  RpcResult,
  ShutdownSignal,
} from '../../src/ports/ports.js';

/** A clock that only moves when told to. */
export interface FakeClock extends Clock {
  /** Moves time forward, firing due timers in order (a timer set by a callback fires if it falls due too). */
  advance(ms: number): void;
  /** Number of timers not yet fired or cleared. */
  pendingTimers(): number;
}

export function createFakeClock(start = 1_800_000_000_000): FakeClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout(callback, delayMs) {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, delayMs), callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let due: [number, { at: number; callback: () => void }] | undefined;
        for (const timer of timers)
          if (timer[1].at <= target && (due === undefined || timer[1].at < due[1].at)) due = timer;
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = target;
    },
    pendingTimers: () => timers.size,
  };
}

/** In-memory files; `reads` lists every path read, in order; `looks` every `modifiedAt` of a path. */
export interface FakeFileSystem extends FileSystem {
  readonly files: Map<string, string>;
  readonly reads: string[];
  readonly looks: string[];
  /** Paths that read as denied (another user's `PM2_HOME`). */
  readonly denied: Set<string>;
}

/**
 * With a `clock`, files carry the time they were last written (given files: the clock's time at
 * creation) and `modifiedAt` answers it; without one, there is no `modifiedAt`.
 */
export function createFakeFileSystem(files: Record<string, string> = {}, clock?: Clock): FakeFileSystem {
  const map = new Map(Object.entries(files));
  const reads: string[] = [];
  const looks: string[] = [];
  const denied = new Set<string>();
  const written = new Map<string, number>();
  const stamp = (path: string) => (clock === undefined ? undefined : written.set(path, clock.now()));
  for (const path of map.keys()) stamp(path);
  const modifiedAt =
    clock === undefined
      ? undefined
      : async (path: string) => {
          looks.push(path);
          return map.has(path) && !denied.has(path) ? (written.get(path) ?? clock.now()) : null;
        };
  return {
    files: map,
    reads,
    looks,
    denied,
    ...(modifiedAt === undefined ? {} : { modifiedAt }),
    async readText(path) {
      reads.push(path);
      return denied.has(path) ? null : (map.get(path) ?? null);
    },
    async whyUnreadable(path) {
      return denied.has(path) ? 'denied' : 'missing';
    },
    async list(dir) {
      const prefix = `${dir}/`;
      const names = [...map.keys()]
        .filter((path) => path.startsWith(prefix))
        .map((path) => path.slice(prefix.length));
      return names.filter((name) => !name.includes('/'));
    },
    async writeText(path, text) {
      map.set(path, text);
      stamp(path);
      return true;
    },
    async remove(path) {
      map.delete(path);
      return true;
    },
    async createExclusive(path, text) {
      if (map.has(path)) return false;
      map.set(path, text);
      stamp(path);
      return true;
    },
  };
}

/** One recorded command run. */
export interface RunCall {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string | undefined>;
  readonly options: CommandOptions;
}

/** Decides a command's result; the default answers `notFound`. */
export type RunScript = (call: RunCall) => CommandResult | Promise<CommandResult>;

export interface FakeRunner extends CommandRunner {
  readonly calls: RunCall[];
  script: RunScript;
}

export function createFakeRunner(
  script: RunScript = () => ({ ok: false, reason: 'notFound', message: 'no script' }),
): FakeRunner {
  const runner: FakeRunner = {
    calls: [],
    script,
    async run(file, args, options) {
      const call = { file, args: [...args], env: options.env, options };
      runner.calls.push(call);
      return runner.script(call);
    },
  };
  return runner;
}

/** One recorded daemon call. */
export interface DaemonCall {
  readonly socketPath: string;
  readonly method: string;
  readonly arg: unknown;
  readonly options: { timeoutMs: number; waitForReply?: boolean };
}

/**
 * A result per method: a fixed value or a function of the call. Unscripted methods answer `noDaemon`,
 * except `getVersion`, which answers {@link FAKE_DAEMON_VERSION} unless scripted.
 */
export type DaemonScript = Record<
  string,
  RpcResult<unknown> | ((call: DaemonCall) => RpcResult<unknown> | Promise<RpcResult<unknown>>)
>;

/** The pm2 version a fake daemon reports unless a test scripts `getVersion`. */
export const FAKE_DAEMON_VERSION = '7.0.4';

export interface FakeDaemonClient extends DaemonClient {
  /** Every call except the version handshake. */
  readonly calls: DaemonCall[];
  /**
   * The `getVersion` calls (the handshake pm2-self makes once per daemon pid before using a daemon),
   * kept apart so that tests of what is queried are not about the handshake.
   */
  readonly versionCalls: DaemonCall[];
  readonly script: DaemonScript;
  /** The methods called, in order. */
  methods(): string[];
}

export function createFakeDaemonClient(initial: DaemonScript = {}): FakeDaemonClient {
  const calls: DaemonCall[] = [];
  const versionCalls: DaemonCall[] = [];
  // A copy: tests may rescript a method without touching a shared script object.
  const script: DaemonScript = { getVersion: { ok: true, value: FAKE_DAEMON_VERSION }, ...initial };
  return {
    calls,
    versionCalls,
    script,
    methods: () => calls.map((call) => call.method),
    async call<T>(
      socketPath: string,
      method: string,
      arg: unknown,
      options: { timeoutMs: number; waitForReply?: boolean },
    ) {
      const call = { socketPath, method, arg, options };
      (method === 'getVersion' ? versionCalls : calls).push(call);
      const answer = script[method];
      const result =
        answer === undefined
          ? { ok: false as const, reason: 'noDaemon' as const, message: 'ENOENT: no daemon (fake)' }
          : typeof answer === 'function'
            ? await answer(call)
            : answer;
      return result as RpcResult<T>;
    },
  };
}

export interface FakeProcess extends ProcessPort {
  pid: number;
  ppid: number;
  env: Record<string, string | undefined>;
  /** Parent pid of other processes, for `parentPidOf`. */
  readonly parents: Map<number, number>;
  /** Pids `isAlive` answers true for (this pid is always alive). */
  readonly alive: Set<number>;
  /** Every code passed to `exit`. */
  readonly exits: number[];
  uptimeMs: number;
  rss: number;
  heapUsed: number;
  /** Other processes as `describe` reports them. */
  readonly processes: Map<number, ProcessFacts>;
  /** How many `keepAlive` holds are not released yet. */
  holds: number;
  /** Delivers a shutdown signal or message to the `onShutdown` listeners. */
  emitShutdown(source: ShutdownSignal | 'message'): void;
  listenerCount(): number;
}

export interface FakeProcessOptions {
  pid?: number;
  ppid?: number;
  env?: Record<string, string | undefined>;
  parents?: Record<number, number>;
  alive?: readonly number[];
  platform?: NodeJS.Platform;
  homedir?: string;
  uptimeMs?: number;
  rss?: number;
  processes?: readonly ProcessFacts[];
}

export function createFakeProcess(options: FakeProcessOptions = {}): FakeProcess {
  const listeners = new Set<(source: ShutdownSignal | 'message') => void>();
  const proc: FakeProcess = {
    pid: options.pid ?? 4242,
    ppid: options.ppid ?? 4241,
    platform: options.platform ?? 'linux',
    env: { ...options.env },
    parents: new Map(Object.entries(options.parents ?? {}).map(([pid, parent]) => [Number(pid), parent])),
    alive: new Set(options.alive ?? []),
    exits: [],
    uptimeMs: options.uptimeMs ?? 12_345,
    rss: options.rss ?? 40_000_000,
    heapUsed: 10_000_000,
    homedir: () => options.homedir ?? '/home/tester',
    uptimeSeconds: () => proc.uptimeMs / 1000,
    residentMemoryBytes: () => proc.rss,
    heapUsedBytes: () => proc.heapUsed,
    isAlive: (pid) => pid === proc.pid || proc.alive.has(pid),
    parentPidOf: async (pid) => proc.parents.get(pid) ?? proc.processes.get(pid)?.ppid ?? null,
    processes: new Map((options.processes ?? []).map((facts) => [facts.pid, facts])),
    describe: async (pid) => proc.processes.get(pid) ?? null,
    holds: 0,
    keepAlive() {
      proc.holds += 1;
      let released = false;
      return () => {
        if (!released) proc.holds -= 1;
        released = true;
      };
    },
    exit(code) {
      proc.exits.push(code);
    },
    onShutdown(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emitShutdown(source) {
      for (const listener of [...listeners]) listener(source);
    },
    listenerCount: () => listeners.size,
  };
  return proc;
}

export interface FakePorts extends Ports {
  clock: FakeClock;
  runner: FakeRunner;
  daemon: FakeDaemonClient;
  fs: FakeFileSystem;
  process: FakeProcess;
}

export interface FakePortsOptions extends FakeProcessOptions {
  now?: number;
  files?: Record<string, string>;
  daemon?: DaemonScript;
  run?: RunScript;
}

/** All fakes together. */
export function createFakePorts(options: FakePortsOptions = {}): FakePorts {
  const clock = createFakeClock(options.now);
  return {
    clock,
    runner: createFakeRunner(options.run),
    daemon: createFakeDaemonClient(options.daemon),
    fs: createFakeFileSystem(options.files, clock),
    process: createFakeProcess(options),
  };
}

/** Makes a live daemon visible to the ports: `<home>/pm2.pid` names `daemonPid`, which is alive. */
export function addLiveDaemon(ports: FakePorts, home: string, daemonPid: number): void {
  ports.fs.files.set(join(home, 'pm2.pid'), `${daemonPid}\n`);
  ports.process.alive.add(daemonPid);
}

// ---- recorded pm2 fixtures (test/fixtures) ----

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/** Names of the env snapshots in test/fixtures/env. */
export type EnvFixtureName =
  | 'fork'
  | 'cluster-0'
  | 'cluster-1'
  | 'wrapped-child'
  | 'direct-child'
  | 'grandchild'
  | 'eco-fork'
  | 'eco-cluster';
export const ENV_FIXTURES: readonly EnvFixtureName[] = [
  'fork',
  'cluster-0',
  'cluster-1',
  'wrapped-child',
  'direct-child',
  'grandchild',
  'eco-fork',
  'eco-cluster',
];

/** A process's own snapshot: its pid, ppid, env and the content of its pm2 pid file. */
export interface EnvFixture {
  readonly pid: number;
  readonly ppid: number;
  readonly env: Record<string, string>;
  readonly pidFile: string | null;
}

export function envFixture(name: EnvFixtureName): EnvFixture {
  return JSON.parse(readFileSync(join(FIXTURES, 'env', `${name}.json`), 'utf8')) as EnvFixture;
}

/** The raw text of a file in test/fixtures/jlist. */
export function jlistFixture(file: string): string {
  return readFileSync(join(FIXTURES, 'jlist', file), 'utf8');
}

/** The daemon pid of the recording (the parent of every app pm2 started). */
export const FIXTURE_DAEMON_PID = 7381;
export const FIXTURE_SECRET = 'sk-live-DO-NOT-LEAK-123';

/** Fake ports for the process of an env fixture: its pid, ppid, env and pid file (no daemon unless asked). */
export function portsForEnvFixture(
  name: EnvFixtureName,
  extra: FakePortsOptions & { liveDaemon?: boolean } = {},
): FakePorts {
  const fixture = envFixture(name);
  const files: Record<string, string> = { ...extra.files };
  if (fixture.pidFile !== null && fixture.env.pm_pid_path) files[fixture.env.pm_pid_path] = fixture.pidFile;
  const ports = createFakePorts({
    pid: fixture.pid,
    ppid: fixture.ppid,
    ...extra,
    env: { ...fixture.env, ...extra.env },
    files,
  });
  if (extra.liveDaemon) addLiveDaemon(ports, fixture.env.PM2_HOME as string, FIXTURE_DAEMON_PID);
  return ports;
}
