import { join } from 'node:path';
import type { CommandFailureReason, Ports, RpcFailureReason } from '../ports/ports.js';
import { parseCount } from '../pm2/parse-values.js';
import { parseJlistOutput, readProcessList } from '../pm2/process-list.js';
import type { DaemonListResult, DaemonProblem } from './daemon-list.js';
import type { Pm2Command } from './find-pm2-bin.js';
import type { Pm2HomePaths } from './pm2-home.js';
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
}

/** Options of one {@link DaemonQuery.list} call. */
export interface ListOptions {
  /** Ask the daemon now: no cache, no shared snapshot. */
  readonly fresh?: boolean;
  /** Only an answer to a question sent after this time (epoch ms) will do. */
  readonly askedAfter?: number;
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
  /** Asks the daemon to restart a pm_id; resolves once the request is written. */
  requestRestart(
    pmId: number,
  ): Promise<{ ok: true } | { ok: false; problem: DaemonProblem; message: string }>;
}

function fromRpc(reason: RpcFailureReason): DaemonProblem {
  if (reason === 'noDaemon' || reason === 'accessDenied' || reason === 'timeout') return reason;
  return 'protocol';
}

function fromCommand(reason: CommandFailureReason): DaemonProblem {
  if (reason === 'notFound') return 'cliNotFound';
  if (reason === 'timeout' || reason === 'outputTooLarge') return reason;
  return 'cliFailed';
}

/** Creates a {@link DaemonQuery}. Nothing here ever starts a pm2 daemon. */
export function createDaemonQuery(options: DaemonQueryOptions): DaemonQuery {
  const { ports, paths } = options;

  const daemonPid = async (): Promise<number | null> => {
    const text = await ports.fs.readText(paths.daemonPidFile);
    const pid = text === null ? undefined : parseCount(text.trim());
    return pid !== undefined && pid > 0 && ports.process.isAlive(pid) ? pid : null;
  };

  const viaRpc = async (askedAt: number): Promise<DaemonListResult> => {
    const reply = await ports.daemon.call<unknown>(
      paths.rpcSocket,
      'getMonitorData',
      {},
      { timeoutMs: options.timeoutMs },
    );
    if (!reply.ok) return { ok: false, problem: fromRpc(reply.reason), message: reply.message };
    const reading = readProcessList(reply.value);
    if (!reading.ok)
      return { ok: false, problem: reading.problem, message: `getMonitorData: ${reading.problem}` };
    return { ...reading, via: 'rpc', at: ports.clock.now(), askedAt };
  };

  const viaCli = async (askedAt: number): Promise<DaemonListResult> => {
    // The CLI spawns a daemon when none answers: run it only after the daemon answered a ping.
    const ping = await ports.daemon.call<unknown>(
      paths.rpcSocket,
      'ping',
      {},
      { timeoutMs: options.timeoutMs },
    );
    if (!ping.ok) return { ok: false, problem: fromRpc(ping.reason), message: ping.message };
    const command = options.pm2Command();
    // pm2 prefers OVER_HOME to PM2_HOME: drop it so the CLI reaches the daemon that answered the ping.
    const env = { ...ports.process.env, PM2_HOME: paths.home, OVER_HOME: undefined, PM2_SILENT: 'true' };
    const result = await ports.runner.run(command.file, [...command.prefixArgs, 'jlist', '-s'], {
      env,
      timeoutMs: options.timeoutMs,
      maxBufferBytes: options.maxListBytes,
    });
    if (!result.ok) {
      return { ok: false, problem: fromCommand(result.reason), message: result.message };
    }
    const reading = parseJlistOutput(result.stdout);
    if (!reading.ok) return { ok: false, problem: reading.problem, message: `pm2 jlist: ${reading.problem}` };
    return { ...reading, via: 'cli', at: ports.clock.now(), askedAt };
  };

  const noDaemon = {
    ok: false as const,
    problem: 'noDaemon' as const,
    message: `no live pm2 daemon for PM2_HOME ${paths.home}`,
  };

  /** One question to the daemon, whose pid file named a live process. */
  const ask = async (): Promise<DaemonListResult> => {
    const askedAt = ports.clock.now();
    if (options.route === 'cli') return viaCli(askedAt);
    const rpc = await viaRpc(askedAt);
    if (rpc.ok || options.route === 'rpc' || rpc.problem === 'noDaemon' || rpc.problem === 'accessDenied')
      return rpc;
    return viaCli(askedAt);
  };

  const shared = sharedListOf(options, ask);
  let startedAt: number | undefined;

  const query = async (askedAfter: number, fresh: boolean): Promise<DaemonListResult> => {
    const pid = await daemonPid();
    if (pid === null) return noDaemon;
    if (fresh || shared === null) return ask();
    // A snapshot asked before this process started cannot know it (a restart is a new process).
    startedAt ??= ports.clock.now() - ports.process.uptimeSeconds() * 1000;
    return shared.get(pid, Math.max(askedAfter, startedAt));
  };

  let cached: { result: DaemonListResult; askedAt: number } | undefined;
  /** The query under way; its answer will have been asked after `askedAfter`. */
  let inFlight: { promise: Promise<DaemonListResult>; askedAfter: number } | undefined;

  const list = (listOptions: ListOptions = {}): Promise<DaemonListResult> => {
    const fresh = listOptions.fresh === true;
    const now = ports.clock.now();
    // A fresh answer is one asked from now on.
    const askedAfter = fresh ? now - 1 : (listOptions.askedAfter ?? -Infinity);
    if (!fresh && cached && now - cached.askedAt < options.cacheTtlMs && cached.askedAt > askedAfter)
      return Promise.resolve(cached.result);
    if (inFlight && inFlight.askedAfter >= askedAfter) return inFlight.promise;
    const started = query(askedAfter, fresh).then(
      (result) => {
        cached = { result, askedAt: result.ok ? result.askedAt : now };
        return result;
      },
      (error: unknown): DaemonListResult => ({ ok: false, problem: 'protocol', message: String(error) }),
    );
    const current = {
      askedAfter,
      promise: started.finally(() => {
        if (inFlight === current) inFlight = undefined;
      }),
    };
    inFlight = current;
    return current.promise;
  };

  const requestRestart = async (pmId: number) => {
    if ((await daemonPid()) === null) return noDaemon;
    const sent = await ports.daemon.call(
      paths.rpcSocket,
      'restartProcessId',
      { id: pmId },
      { timeoutMs: options.timeoutMs, waitForReply: false },
    );
    return sent.ok
      ? { ok: true as const }
      : { ok: false as const, problem: fromRpc(sent.reason), message: sent.message };
  };

  return { list, daemonPid, requestRestart };
}

/** The shared snapshot, when the file system can claim a refresh and answers may be reused at all. */
function sharedListOf(options: DaemonQueryOptions, ask: () => Promise<DaemonListResult>): SharedList | null {
  const { fs, clock, process: self } = options.ports;
  const createExclusive = fs.createExclusive?.bind(fs);
  if (createExclusive === undefined || options.cacheTtlMs <= 0) return null;
  return createSharedList({
    fs: {
      readText: (path) => fs.readText(path),
      writeText: (path, text) => fs.writeText(path, text),
      remove: (path) => fs.remove(path),
      createExclusive,
    },
    clock,
    pid: self.pid,
    isAlive: (pid) => self.isAlive(pid),
    file: join(options.paths.recordDir, SHARED_LIST_FILE),
    ttlMs: options.cacheTtlMs,
    queryTimeoutMs: options.route === 'rpc' ? options.timeoutMs : 2 * options.timeoutMs,
    // The CLI route may wait twice (ping, then jlist).
    claimExpiresMs: 2 * options.timeoutMs + 1_000,
    ask,
  });
}
