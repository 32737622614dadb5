/**
 * The new process's side of a turn: once it is ready, it gives back the slot its predecessor (the
 * same pm_id) took for the restart, so the next instance goes only when this one is available again.
 * Ready means: pm2-self has started in it (its identity resolved), and, for a `wait_ready` app, the
 * app has sent `process.send('ready')`. pm2 lists a `wait_ready` app `online` at its `listen_timeout`
 * even without the message, so `online` counts only when the daemon showed it before
 * `listen_timeout` had passed (the message came before pm2-self started). The identity resolves on a
 * later turn of the event loop, so the hand-back never comes before the main module's synchronous
 * code (a slow synchronous boot) has run.
 * @module
 */
import { debug } from '../common/debug.js';
import type { DaemonQuery } from '../daemon/daemon-query.js';
import type { ManagedIdentity } from '../identity/identity.js';
import { isTrackedByPm2 } from '../identity/relation.js';
import type { Clock } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { ReadyWatch } from '../ports/ready-signal.js';
import { cancellableDelay } from './cancellable-delay.js';
import { TURN_POLL_MS } from './turn-lease.js';
import type { Turns } from './turns.js';

/** The longest a `wait_ready` process waits for its `'ready'` before it hands the slot back anyway. */
export const READY_WAIT_MAX_MS = 120_000;

/** What {@link handBackWhenReady} works with. */
export interface HandBackParts {
  readonly turns: Turns;
  readonly daemon: DaemonQuery;
  readonly clock: Clock;
  /** Watches for the app's own `process.send('ready')`. */
  readonly watchReady: () => ReadyWatch;
  /** pm2's `listen_timeout` for this app: `online` before it means pm2 had the app's `'ready'`. */
  readonly listenTimeoutMs: number;
}

/** Hands the predecessor's slot back once this process is ready. Never rejects. */
export async function handBackWhenReady(parts: HandBackParts, identity: ManagedIdentity): Promise<void> {
  if (!isTrackedByPm2(identity.relation)) return;
  try {
    if (identity.settings.waitReady === true) await readySent(parts, identity);
    const given = await parts.turns.handBack(identity);
    if (given > 0) debug('turns: gave back %d slot(s) of the previous process', given);
  } catch (error) {
    debug('turns: the slot was not given back: %s', error);
  }
}

/** Resolves once the app has sent `'ready'`, or at {@link READY_WAIT_MAX_MS}. */
async function readySent(parts: HandBackParts, identity: ManagedIdentity): Promise<void> {
  const watch = parts.watchReady();
  let sent = false;
  void watch.seen.then(() => (sent = true));
  const until = monotonicNow(parts.clock) + READY_WAIT_MAX_MS;
  try {
    while (!sent && monotonicNow(parts.clock) < until) {
      const list = await parts.daemon.list({ fresh: true });
      const entry = list.ok
        ? list.entries.find((e) => e.pmId === identity.pmId && e.pid === identity.trackedPid)
        : undefined;
      // Online before listen_timeout: pm2 had the 'ready' (sent before pm2-self started here).
      const early = list.ok && entry?.startedAt != null && list.at - entry.startedAt < parts.listenTimeoutMs;
      if (entry?.status === 'online' && early) return;
      const wait = cancellableDelay(parts.clock, TURN_POLL_MS * 2);
      void watch.seen.then(wait.end);
      await wait.done;
    }
  } finally {
    watch.stop();
  }
}
