import { join } from 'node:path';
import type { CommandFailureReason, Ports, RpcFailureReason } from '../ports/ports.js';
import { instantOf, monotonicNow, type Instant } from '../ports/monotonic-now.js';
import { parseCount } from '../pm2/parse-values.js';
import { debug } from '../common/debug.js';
import { parseJlistOutput, readProcessList } from '../pm2/process-list.js';
import type { DaemonListResult, DaemonProblem } from './daemon-list.js';
import type { PingResult } from './daemon-liveness.js';
import type { Pm2Command } from './find-pm2-bin.js';
import type { Pm2HomePaths } from './pm2-home.js';
import { createDaemonVersionGate } from './daemon-version.js';
import { createSharedList, SHARED_LIST_FILE, type SharedList } from './shared-list.js';

export type { DaemonListAnswer, DaemonListResult, DaemonProblem } from './daemon-list.js';

/** How the daemon's list is fetched: its RPC socket, the `pm2 jlist` CLI, or RPC with the CLI as fallback. */
export type DaemonRoute = 'auto' | 'rpc' | 'cli';

/** Settings of a {@link DaemonQuery}. */
export interface DaemonQueryOptions {
  readonly ports: Ports;
  readonly paths: Pm2HomePaths;
  readonly route: DaemonRoute;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number;
  readonly maxListBytes: number;
  /** Resolved lazily, only when the CLI route is taken. */
  readonly pm2Command: () => Pm2Command;
  /** Told of each list this process asked the daemon for itself (not of shared or cached ones). */
  readonly onAsked?: (list: DaemonListResult) => void;
}

/** Whether the daemon took a restart request. */
export type RestartRequestResult =
  { readonly ok: true } | { readonly ok: false; readonly problem: DaemonProblem; readonly message: string };

/** Options of one {@link DaemonQuery.list} call. */
export interface ListOptions {
  /** Ask the daemon now: no cache, no shared snapshot. */
  readonly fresh?: boolean;
  /** Only an answer to a question sent after this moment will do. */
  readonly askedAfter?: Instant;
}

/**
 * Fetches the daemon's list with one in-flight query shared by all callers of this process, a short
 * cache, and (when the file system can create a file exclusively and `cacheTtlMs` is above 0) a
 * snapshot shared with every process of the same `PM2_HOME`, so N processes make one query per
 * `cacheTtlMs` between them.
 */
export interface DaemonQuery {
  /**
   * The list, asked less than `cacheTtlMs` ago (longer only while another process's refresh of the shared
   * snapshot is under way, up to the query time limit), never asked before this process started nor
   * before `askedAfter`; asked now when `fresh` is set.
   */
  list(options?: ListOptions): Promise<DaemonListResult>;
  /** The daemon's pid when its pid file names a live process; no socket is touched. */
  daemonPid(): Promise<number | null>;
  /**
   * The live daemon's pid when its pm2 is supported (version checked once per daemon pid), else why it
   * cannot be used.
   */
  usable(): Promise<number | Extract<DaemonListResult, { ok: false }>>;
  /** Pings the daemon's socket within `timeoutMs`: a paused daemon answers nothing (`timeout`). */
  ping(timeoutMs: number): Promise<PingResult>;
  /** Asks the daemon to restart a pm_id; resolves once the request is written. */
  requestRestart(pmId: number): Promise<RestartRequestResult>;
}

function fromRpc(reason: RpcFailureReason | 'unsupportedVersion'): DaemonProblem {
  if (reason === 'noDaemon' || reason === 'accessDenied' || reason === 'timeout') return reason;
  if (reason === 'unsupportedVersion') return reason;
  if (reason === 'tooLarge') return 'outputTooLarge';
  return 'protocol';
}

function fromCommand(reason: CommandFailureReason): DaemonProblem {
  if (reason === 'notFound') return 'cliNotFound';
  if (reason === 'timeout' || reason === 'outputTooLarge') return reason;
  return 'cliFailed';
}

/** The part of a whole-query budget left at `now`; at least 1 ms so a call still fails by itself. */
function remaining(deadline: number, now: number): number {
  return Math.max(1, deadline - now);
}

/** Creates a {@link DaemonQuery}. Nothing here ever starts a pm2 daemon. */
export function createDaemonQuery(options: DaemonQueryOptions): DaemonQuery {
  const { ports, paths } = options;

  const daemonPid = async (): Promise<number | null> => {
    const text = await ports.fs.readText(paths.daemonPidFile);
    const pid = text === null ? undefined : parseCount(text.trim());
    return pid !== undefined && pid > 0 && ports.process.isAlive(pid) ? pid : null;
  };

  const versions = createDaemonVersionGate({
    daemon: ports.daemon,
    rpcSocket: paths.rpcSocket,
    timeoutMs: options.timeoutMs,
  });

  /**
   * The daemon's pid when a daemon of a supported pm2 runs; otherwise why it must not be used (none
   * runs, its home belongs to another user, or its pm2 is outside `SUPPORTED_PM2`). The version check
   * spends the caller's budget, which ends at `deadline` (on the monotonic clock, as every deadline here:
   * a wall clock stepped during a query neither ends nor stretches its budget).
   */
  const usableDaemon = async (
    deadline: number,
  ): Promise<number | Extract<DaemonListResult, { ok: false }>> => {
    const pid = await daemonPid();
    if (pid === null) return absent();
    const verdict = await versions.check(pid, remaining(deadline, monotonicNow(ports.clock)));
    return verdict.ok ? pid : { ok: false, problem: fromRpc(verdict.reason), message: verdict.message };
  };

  /** Why no daemon can be used: none runs, or its home belongs to another user. */
  const absent = async (): Promise<Extract<DaemonListResult, { ok: false }>> => {
    if ((await ports.fs.whyUnreadable(paths.daemonPidFile)) === 'denied') {
      const message = `PM2_HOME ${paths.home} is not readable by this user`;
      return { ok: false, problem: 'accessDenied', message };
    }
    return { ok: false, problem: 'noDaemon', message: `no live pm2 daemon for PM2_HOME ${paths.home}` };
  };

  const viaRpc = async (askedAt: number, deadline: number): Promise<DaemonListResult> => {
    const reply = await ports.daemon.call<unknown>(
      paths.rpcSocket,
      'getMonitorData',
      {},
      {
        timeoutMs: remaining(deadline, monotonicNow(ports.clock)),
        maxReplyBytes: options.maxListBytes,
      },
    );
    if (!reply.ok) return { ok: false, problem: fromRpc(reply.reason), message: reply.message };
    const reading = readProcessList(reply.value);
    if (!reading.ok) {
      return { ok: false, problem: reading.problem, message: `getMonitorData: ${reading.problem}` };
    }
    return { ...reading, via: 'rpc', at: ports.clock.now(), askedAt };
  };

  const viaCli = async (askedAt: number, deadline: number): Promise<DaemonListResult> => {
    // The CLI spawns a daemon when none answers: run it only after the daemon answered a ping.
    const timeoutMs = () => remaining(deadline, monotonicNow(ports.clock));
    const ping = await ports.daemon.call<unknown>(paths.rpcSocket, 'ping', {}, { timeoutMs: timeoutMs() });
    if (!ping.ok) return { ok: false, problem: fromRpc(ping.reason), message: ping.message };
    const command = options.pm2Command();
    // pm2 prefers OVER_HOME to PM2_HOME: drop it so the CLI reaches the daemon that answered the ping.
    const env = { ...ports.process.env, PM2_HOME: paths.home, OVER_HOME: undefined, PM2_SILENT: 'true' };
    const result = await ports.runner.run(command.file, [...command.prefixArgs, 'jlist', '-s'], {
      env,
      timeoutMs: timeoutMs(),
      maxBufferBytes: options.maxListBytes,
    });
    if (!result.ok) {
      return { ok: false, problem: fromCommand(result.reason), message: result.message };
    }
    const reading = parseJlistOutput(result.stdout);
    if (!reading.ok) return { ok: false, problem: reading.problem, message: `pm2 jlist: ${reading.problem}` };
    return { ...reading, via: 'cli', at: ports.clock.now(), askedAt };
  };

  /**
   * One question to the daemon, whose pid file named a live process, within the budget that ends at
   * `deadline` (the whole query's, version check included).
   */
  const ask = async (deadline: number): Promise<DaemonListResult> => {
    const askedAt = ports.clock.now();
    if (options.route === 'cli') return viaCli(askedAt, deadline);
    const rpc = await viaRpc(askedAt, deadline);
    const final =
      rpc.ok ||
      options.route === 'rpc' ||
      ['noDaemon', 'accessDenied', 'timeout', 'outputTooLarge'].includes(rpc.problem);
    const result = final ? rpc : await viaCli(askedAt, deadline);
    const outcome = result.ok ? `via ${result.via}` : result.problem;
    debug('daemon: list %s in %d ms', outcome, ports.clock.now() - askedAt);
    options.onAsked?.(result);
    return result;
  };

  const shared = sharedListOf(options, ask);
  let startedAt: number | undefined;

  const query = async (askedAfter: number, fresh: boolean): Promise<DaemonListResult> => {
    // One budget for the whole query: the version check (first query to a daemon) and the question.
    const deadline = monotonicNow(ports.clock) + options.timeoutMs;
    const pid = await usableDaemon(deadline);
    if (typeof pid !== 'number') return pid;
    if (fresh || shared === null) return ask(deadline);
    // A snapshot asked before this process started cannot know it (a restart is a new process).
    startedAt ??= ports.clock.now() - ports.process.uptimeSeconds() * 1000;
    return shared.get(pid, Math.max(askedAfter, startedAt), deadline);
  };

  /** The last answer and when it was asked, on the monotonic clock: a wall clock step changes no age. */
  let cached: { result: DaemonListResult; askedAt: number } | undefined;
  /** The query under way; its answer will have been asked after `askedAfter` (monotonic). */
  let inFlight: { promise: Promise<DaemonListResult>; askedAfter: number } | undefined;

  const list = (listOptions: ListOptions = {}): Promise<DaemonListResult> => {
    const fresh = listOptions.fresh === true;
    const now = instantOf(ports.clock);
    // A fresh answer is one asked from now on.
    const askedAfter = fresh
      ? { wall: now.wall - 1, mono: now.mono - 1 }
      : (listOptions.askedAfter ?? { wall: -Infinity, mono: -Infinity });
    const ageMs = cached === undefined ? Infinity : now.mono - cached.askedAt;
    if (!fresh && cached && ageMs >= 0 && ageMs < options.cacheTtlMs && cached.askedAt > askedAfter.mono)
      return Promise.resolve(cached.result);
    if (inFlight && inFlight.askedAfter >= askedAfter.mono) return inFlight.promise;
    const started = query(askedAfter.wall, fresh).then(
      (result) => {
        // A shared answer was asked before this query: its age then, by the wall clock, is taken off.
        const before = result.ok ? Math.max(0, now.wall - result.askedAt) : 0;
        cached = { result, askedAt: now.mono - before };
        return result;
      },
      (error: unknown): DaemonListResult => ({ ok: false, problem: 'protocol', message: String(error) }),
    );
    const current = {
      askedAfter: askedAfter.mono,
      promise: started.finally(() => {
        if (inFlight === current) inFlight = undefined;
      }),
    };
    inFlight = current;
    return current.promise;
  };

  const requestRestart = async (pmId: number): Promise<RestartRequestResult> => {
    const deadline = monotonicNow(ports.clock) + options.timeoutMs;
    const pid = await usableDaemon(deadline);
    if (typeof pid !== 'number') return pid;
    const sent = await ports.daemon.call(
      paths.rpcSocket,
      'restartProcessId',
      { id: pmId },
      {
        timeoutMs: remaining(deadline, monotonicNow(ports.clock)),
        waitForReply: false,
      },
    );
    if (sent.ok) return { ok: true };
    return { ok: false, problem: fromRpc(sent.reason), message: sent.message };
  };

  const ping = async (timeoutMs: number): Promise<PingResult> => {
    const reply = await ports.daemon.call<unknown>(paths.rpcSocket, 'ping', {}, { timeoutMs });
    return reply.ok ? { ok: true } : { ok: false, problem: fromRpc(reply.reason), message: reply.message };
  };

  return {
    list,
    daemonPid,
    usable: () => usableDaemon(monotonicNow(ports.clock) + options.timeoutMs),
    ping,
    requestRestart,
  };
}

/** The shared snapshot, when the file system can claim a refresh and answers may be reused at all. */
function sharedListOf(
  options: DaemonQueryOptions,
  ask: (deadline: number) => Promise<DaemonListResult>,
): SharedList | null {
  const { fs, clock, process: self } = options.ports;
  const createExclusive = fs.createExclusive?.bind(fs);
  if (createExclusive === undefined || options.cacheTtlMs <= 0) return null;
  return createSharedList({
    fs: {
      readText: (path) => fs.readText(path),
      writeText: (path, text) => fs.writeText(path, text),
      remove: (path) => fs.remove(path),
      readStamped: fs.readStamped?.bind(fs),
      replaceAbandoned: fs.replaceAbandoned?.bind(fs),
      createExclusive,
    },
    clock,
    pid: self.pid,
    isAlive: (pid) => self.isAlive(pid),
    keepAlive: () => self.keepAlive(),
    file: join(options.paths.recordDir, SHARED_LIST_FILE),
    ttlMs: options.cacheTtlMs,
    // One budget per query, whatever the route.
    queryTimeoutMs: options.timeoutMs,
    claimExpiresMs: options.timeoutMs + 1_000,
    ask,
  });
}
