import type { CommandFailureReason, Ports, RpcFailureReason } from '../ports/ports.js';
import { parseCount } from '../pm2/parse-values.js';
import type { Pm2Command } from './find-pm2-bin.js';
import type { Pm2HomePaths } from './pm2-home.js';
import { createDaemonVersionGate } from './daemon-version.js';
import {
  parseJlistOutput,
  readProcessList,
  type ProcessEntry,
  type ProcessListProblem,
} from '../pm2/process-list.js';

/** How the daemon's list is fetched: its RPC socket, the `pm2 jlist` CLI, or RPC with the CLI as fallback. */
export type DaemonRoute = 'auto' | 'rpc' | 'cli';

/** Why the daemon's list could not be had (`unsupportedVersion`: a pm2 outside `SUPPORTED_PM2`). */
export type DaemonProblem =
  | 'noDaemon'
  | 'unsupportedVersion'
  | 'accessDenied'
  | 'timeout'
  | 'protocol'
  | 'cliNotFound'
  | 'cliFailed'
  | 'outputTooLarge'
  | ProcessListProblem;

/** The daemon's list, or why there is none. */
export type DaemonListResult =
  | {
      readonly ok: true;
      readonly entries: readonly ProcessEntry[];
      readonly skipped: number;
      readonly via: 'rpc' | 'cli';
      readonly at: number;
    }
  | { readonly ok: false; readonly problem: DaemonProblem; readonly message: string };

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

/** Fetches the daemon's list with one in-flight query shared by all callers and a short cache. */
export interface DaemonQuery {
  /** The list, at most `cacheTtlMs` old unless `fresh` is set. */
  list(options?: { fresh?: boolean }): Promise<DaemonListResult>;
  /** The daemon's pid when its pid file names a live process; no socket is touched. */
  daemonPid(): Promise<number | null>;
  /** Asks the daemon to restart a pm_id; resolves once the request is written. */
  requestRestart(
    pmId: number,
  ): Promise<{ ok: true } | { ok: false; problem: DaemonProblem; message: string }>;
}

function fromRpc(reason: RpcFailureReason | 'unsupportedVersion'): DaemonProblem {
  if (reason === 'noDaemon' || reason === 'accessDenied' || reason === 'timeout') return reason;
  if (reason === 'unsupportedVersion') return reason;
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
  let cached: { result: DaemonListResult; at: number } | undefined;
  let inFlight: Promise<DaemonListResult> | undefined;
  const versions = createDaemonVersionGate({
    daemon: ports.daemon,
    rpcSocket: paths.rpcSocket,
    timeoutMs: options.timeoutMs,
  });
  /** Null when a daemon of a supported pm2 runs; otherwise why the daemon must not be used. */
  const refusal = async (): Promise<{ ok: false; problem: DaemonProblem; message: string } | null> => {
    const pid = await daemonPid();
    if (pid === null)
      return { ok: false, problem: 'noDaemon', message: `no live pm2 daemon for PM2_HOME ${paths.home}` };
    const verdict = await versions.check(pid);
    return verdict.ok ? null : { ok: false, problem: fromRpc(verdict.reason), message: verdict.message };
  };

  const daemonPid = async (): Promise<number | null> => {
    const text = await ports.fs.readText(paths.daemonPidFile);
    const pid = text === null ? undefined : parseCount(text.trim());
    return pid !== undefined && pid > 0 && ports.process.isAlive(pid) ? pid : null;
  };

  const viaRpc = async (): Promise<DaemonListResult> => {
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
    return { ...reading, via: 'rpc', at: ports.clock.now() };
  };

  const viaCli = async (): Promise<DaemonListResult> => {
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
    return { ...reading, via: 'cli', at: ports.clock.now() };
  };

  const query = async (): Promise<DaemonListResult> => {
    const refused = await refusal();
    if (refused) return refused;
    if (options.route === 'cli') return viaCli();
    const rpc = await viaRpc();
    if (rpc.ok || options.route === 'rpc' || rpc.problem === 'noDaemon' || rpc.problem === 'accessDenied')
      return rpc;
    return viaCli();
  };

  const list = (listOptions: { fresh?: boolean } = {}): Promise<DaemonListResult> => {
    if (!listOptions.fresh && cached && ports.clock.now() - cached.at < options.cacheTtlMs)
      return Promise.resolve(cached.result);
    if (inFlight) return inFlight;
    const started = query().then(
      (result) => {
        cached = { result, at: ports.clock.now() };
        return result;
      },
      (error: unknown): DaemonListResult => ({ ok: false, problem: 'protocol', message: String(error) }),
    );
    inFlight = started.finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const requestRestart = async (pmId: number) => {
    const refused = await refusal();
    if (refused) return refused;
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
