import { checkPm2Version } from '../pm2/pm2-version.js';
import type { DaemonClient, RpcFailureReason } from '../ports/ports.js';

/** The outcome of {@link DaemonVersionGate.check}. */
export type DaemonVersionVerdict =
  | { readonly ok: true; readonly version: string }
  | {
      readonly ok: false;
      /**
       * `unsupportedVersion`: the daemon runs a pm2 outside the supported range, or cannot say which
       * (no `getVersion` method, an answer that is not a version); otherwise why it could not be asked.
       */
      readonly reason: 'unsupportedVersion' | Exclude<RpcFailureReason, 'remoteError'>;
      readonly message: string;
    };

/** Asks a daemon for its pm2 version once, and remembers the verdict for as long as its pid lives. */
export interface DaemonVersionGate {
  /**
   * The verdict for the daemon whose pid file names `daemonPid` (one `getVersion` call per new pid),
   * asked within `timeoutMs` (the caller's budget; the gate's own limit when absent).
   */
  check(daemonPid: number, timeoutMs?: number): Promise<DaemonVersionVerdict>;
}

/** Settings of {@link createDaemonVersionGate}. */
export interface DaemonVersionGateOptions {
  readonly daemon: DaemonClient;
  readonly rpcSocket: string;
  readonly timeoutMs: number;
}

/**
 * Creates a {@link DaemonVersionGate}. A definite verdict (supported or not) is kept per daemon pid,
 * so `pm2 update` (a new daemon, a new pid) is checked again; a failed call is not kept.
 */
export function createDaemonVersionGate(options: DaemonVersionGateOptions): DaemonVersionGate {
  let known: { pid: number; verdict: DaemonVersionVerdict } | undefined;
  return {
    async check(daemonPid, timeoutMs = options.timeoutMs) {
      if (known?.pid === daemonPid) return known.verdict;
      const reply = await options.daemon.call<unknown>(options.rpcSocket, 'getVersion', {}, { timeoutMs });
      if (!reply.ok && reply.reason !== 'remoteError')
        return { ok: false, reason: reply.reason, message: `getVersion: ${reply.message}` };
      const checked = checkPm2Version(reply.ok ? reply.value : undefined);
      const verdict: DaemonVersionVerdict = checked.ok
        ? { ok: true, version: checked.version }
        : {
            ok: false,
            reason: 'unsupportedVersion',
            message: reply.ok ? checked.message : `${checked.message}; getVersion failed: ${reply.message}`,
          };
      known = { pid: daemonPid, verdict };
      return verdict;
    },
  };
}
