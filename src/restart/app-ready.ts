/**
 * When a new process is ready for work, as the turns and the operator's rollout count it: at once for
 * an app without `wait_ready`; for a `wait_ready` app, once the app has sent `process.send('ready')`.
 * pm2 lists a `wait_ready` app `online` at its `listen_timeout` even without the message, so `online`
 * counts only when pm2 listed it before `listen_timeout` had passed (the message came before pm2-self
 * started watching): the daemon showed it so then, or, at a first look past `listen_timeout`, pm2's
 * daemon log has its `online` line from before.
 * @module
 */
import type { DaemonQuery } from '../daemon/daemon-query.js';
import type { ManagedIdentity } from '../identity/identity.js';
import type { Clock } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { ReadyWatch } from '../ports/ready-signal.js';
import { cancellableDelay } from './cancellable-delay.js';
import { onlineBeforeListenTimeout, onlineTimesInDaemonLog } from '../pm2/daemon-log-online.js';
import { TURN_POLL_MS } from './turn-lease.js';

/** The longest a `wait_ready` process waits for its `'ready'` before the turn goes back anyway. */
export const READY_WAIT_MAX_MS = 120_000;

/** What {@link waitForAppReady} works with. */
export interface AppReadyParts {
  readonly daemon: DaemonQuery;
  readonly clock: Clock;
  /** Watches for the app's own `process.send('ready')`. */
  readonly watchReady: () => ReadyWatch;
  /** pm2's `listen_timeout` for this app: `online` before it means pm2 had the app's `'ready'`. */
  readonly listenTimeoutMs: number;
  /**
   * The end of pm2's daemon log (`$PM2_HOME/pm2.log`), or null: when pm2 lists the process `online`
   * past `listen_timeout` at the first look, its logged `online` time says whether that came before.
   */
  readonly readDaemonLog?: () => Promise<string | null>;
}

/** True when pm2's daemon log shows this process went `online` before `listen_timeout`. */
async function loggedOnlineEarly(parts: AppReadyParts, identity: ManagedIdentity, startedAt: number) {
  const text = (await parts.readDaemonLog?.()) ?? null;
  if (text === null) return false;
  const times = onlineTimesInDaemonLog(text, identity.name, identity.pmId);
  return onlineBeforeListenTimeout(times, startedAt, parts.listenTimeoutMs);
}

/**
 * Resolves true once the process is ready (at once without `wait_ready`), or false when
 * {@link READY_WAIT_MAX_MS} (on the monotonic clock) passed without the app's `'ready'`. Never rejects.
 */
export async function waitForAppReady(parts: AppReadyParts, identity: ManagedIdentity): Promise<boolean> {
  if (identity.settings.waitReady !== true) return true;
  const watch = parts.watchReady();
  let sent = false;
  let logRead = false;
  void watch.seen.then(() => (sent = true));
  // Measured on this process's monotonic clock: a wall clock stepped meanwhile neither ends it at
  // once (the turn handed back before the app is ready) nor an hour late.
  const until = monotonicNow(parts.clock) + READY_WAIT_MAX_MS;
  try {
    while (!sent && monotonicNow(parts.clock) < until) {
      const list = await parts.daemon.list({ fresh: true });
      const entry = list.ok
        ? list.entries.find((e) => e.pmId === identity.pmId && e.pid === identity.trackedPid)
        : undefined;
      // Online before listen_timeout: pm2 had the 'ready' (sent before pm2-self started here).
      const early = list.ok && entry?.startedAt != null && list.at - entry.startedAt < parts.listenTimeoutMs;
      if (entry?.status === 'online' && early) return true;
      // Online past listen_timeout when first seen online (pm2-self started late): pm2's log says when.
      if (!logRead && entry?.status === 'online' && entry.startedAt != null) {
        logRead = true;
        if (await loggedOnlineEarly(parts, identity, entry.startedAt)) return true;
      }
      const wait = cancellableDelay(parts.clock, TURN_POLL_MS * 2);
      void watch.seen.then(wait.end);
      await wait.done;
    }
    return sent;
  } catch {
    return sent;
  } finally {
    watch.stop();
  }
}
