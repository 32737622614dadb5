import type { CommandFailureReason, Ports, RpcFailureReason } from '../ports/ports.js';
import { parseCount } from '../pm2/parse-values.js';
import { debug } from '../common/debug.js';
import type { Pm2Command } from './find-pm2-bin.js';
import type { Pm2HomePaths } from './pm2-home.js';
import {
  parseJlistOutput,
  readProcessList,
  type ProcessEntry,
  type ProcessListProblem,
} from '../pm2/process-list.js';

/** How the daemon's list is fetched: its RPC socket, the `pm2 jlist` CLI, or RPC with the CLI as fallback. */
export type DaemonRoute = 'auto' | 'rpc' | 'cli';

/** Why the daemon's list could not be had. */
export type DaemonProblem =
  | 'noDaemon'
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

/** Whether the daemon took a restart request. */
export type RestartRequestResult =
  { readonly ok: true } | { readonly ok: false; readonly problem: DaemonProblem; readonly message: string };

/** Fetches the daemon's list with one in-flight query shared by all callers and a short cache. */
export interface DaemonQuery {
  /** The list, at most `cacheTtlMs` old unless `fresh` is set. */
  list(options?: { fresh?: boolean }): Promise<DaemonListResult>;
  /** The daemon's pid when its pid file names a live process; no socket is touched. */
  daemonPid(): Promise<number | null>;
  /** Asks the daemon to restart a pm_id; resolves once the request is written. */
  requestRestart(pmId: number): Promise<RestartRequestResult>;
}

function fromRpc(reason: RpcFailureReason): DaemonProblem {
  if (reason === 'noDaemon' || reason === 'accessDenied' || reason === 'timeout') return reason;
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
  let cached: { result: DaemonListResult; at: number } | undefined;
  let inFlight: Promise<DaemonListResult> | undefined;

  const daemonPid = async (): Promise<number | null> => {
    const text = await ports.fs.readText(paths.daemonPidFile);
    const pid = text === null ? undefined : parseCount(text.trim());
    return pid !== undefined && pid > 0 && ports.process.isAlive(pid) ? pid : null;
  };

  /** Why no daemon can be used: none runs, or its home belongs to another user. */
  const absent = async (): Promise<Extract<DaemonListResult, { ok: false }>> => {
    if ((await ports.fs.whyUnreadable(paths.daemonPidFile)) === 'denied') {
      return {
        ok: false,
        problem: 'accessDenied',
        message: `PM2_HOME ${paths.home} is not readable by this user`,
      };
    }
    return { ok: false, problem: 'noDaemon', message: `no live pm2 daemon for PM2_HOME ${paths.home}` };
  };

  const viaRpc = async (deadline: number): Promise<DaemonListResult> => {
    const reply = await ports.daemon.call<unknown>(
      paths.rpcSocket,
      'getMonitorData',
      {},
      {
        timeoutMs: remaining(deadline, ports.clock.now()),
        maxReplyBytes: options.maxListBytes,
      },
    );
    if (!reply.ok) return { ok: false, problem: fromRpc(reply.reason), message: reply.message };
    const reading = readProcessList(reply.value);
    if (!reading.ok) {
      return { ok: false, problem: reading.problem, message: `getMonitorData: ${reading.problem}` };
    }
    return { ...reading, via: 'rpc', at: ports.clock.now() };
  };

  const viaCli = async (deadline: number): Promise<DaemonListResult> => {
    // The CLI spawns a daemon when none answers: run it only after the daemon answered a ping.
    const timeoutMs = () => remaining(deadline, ports.clock.now());
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
    return { ...reading, via: 'cli', at: ports.clock.now() };
  };

  /** One query within one budget of `timeoutMs`, whatever route it takes. */
  const query = async (): Promise<DaemonListResult> => {
    const started = ports.clock.now();
    const deadline = started + options.timeoutMs;
    if ((await daemonPid()) === null) return absent();
    if (options.route === 'cli') return viaCli(deadline);
    const rpc = await viaRpc(deadline);
    const final =
      rpc.ok ||
      options.route === 'rpc' ||
      ['noDaemon', 'accessDenied', 'timeout', 'outputTooLarge'].includes(rpc.problem);
    const result = final ? rpc : await viaCli(deadline);
    debug(
      'daemon: list %s in %d ms',
      result.ok ? `via ${result.via}` : result.problem,
      ports.clock.now() - started,
    );
    return result;
  };

  const list = (listOptions: { fresh?: boolean } = {}): Promise<DaemonListResult> => {
    if (!listOptions.fresh && cached && ports.clock.now() - cached.at < options.cacheTtlMs) {
      return Promise.resolve(cached.result);
    }
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

  const requestRestart = async (pmId: number): Promise<RestartRequestResult> => {
    if ((await daemonPid()) === null) return absent();
    const sent = await ports.daemon.call(
      paths.rpcSocket,
      'restartProcessId',
      { id: pmId },
      {
        timeoutMs: options.timeoutMs,
        waitForReply: false,
      },
    );
    if (sent.ok) return { ok: true };
    return { ok: false, problem: fromRpc(sent.reason), message: sent.message };
  };

  return { list, daemonPid, requestRestart };
}
