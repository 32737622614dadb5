/**
 * The new process's side of a turn: once it is ready, it gives back the slot its predecessor (the
 * same pm_id) took for the restart, so the next instance goes only when this one is available again.
 * Ready means: pm2-self has started in it (its identity resolved), and, for a `wait_ready` app, the
 * daemon shows it `online` (pm2 waits for `process.send('ready')`, or `listen_timeout`). The identity
 * resolves on a later turn of the event loop, so the hand-back never comes before the main module's
 * synchronous code (a slow synchronous boot) has run.
 * @module
 */
import { debug } from '../common/debug.js';
import type { DaemonQuery } from '../daemon/daemon-query.js';
import type { ManagedIdentity } from '../identity/identity.js';
import { isTrackedByPm2 } from '../identity/relation.js';
import type { Clock } from '../ports/ports.js';
import { cancellableDelay } from './cancellable-delay.js';
import { TURN_POLL_MS } from './turn-lease.js';
import type { Turns } from './turns.js';

/** The longest a `wait_ready` process waits to be listed online before it hands the slot back anyway. */
export const READY_WAIT_MAX_MS = 120_000;

/** What {@link handBackWhenReady} works with. */
export interface HandBackParts {
  readonly turns: Turns;
  readonly daemon: DaemonQuery;
  readonly clock: Clock;
}

/** Hands the predecessor's slot back once this process is ready. Never rejects. */
export async function handBackWhenReady(parts: HandBackParts, identity: ManagedIdentity): Promise<void> {
  if (!isTrackedByPm2(identity.relation)) return;
  try {
    if (identity.settings.waitReady === true) await listedOnline(parts, identity);
    const given = await parts.turns.handBack(identity);
    if (given > 0) debug('turns: gave back %d slot(s) of the previous process', given);
  } catch (error) {
    debug('turns: the slot was not given back: %s', error);
  }
}

async function listedOnline(parts: HandBackParts, identity: ManagedIdentity): Promise<void> {
  const until = parts.clock.now() + READY_WAIT_MAX_MS;
  while (parts.clock.now() < until) {
    const list = await parts.daemon.list({ fresh: true });
    const entry = list.ok
      ? list.entries.find((e) => e.pmId === identity.pmId && e.pid === identity.trackedPid)
      : undefined;
    if (entry?.status === 'online') return;
    await cancellableDelay(parts.clock, TURN_POLL_MS * 2).done;
  }
}
