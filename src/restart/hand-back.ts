/**
 * The new process's side of a turn: once it is ready (see app-ready.ts: pm2-self has started in it,
 * and a `wait_ready` app has sent `process.send('ready')`), it gives back the slot its predecessor (the
 * same pm_id) took for the restart, so the next instance goes only when this one is available again.
 * The identity resolves on a later turn of the event loop, so the hand-back never comes before the
 * main module's synchronous code (a slow synchronous boot) has run.
 * @module
 */
import { debug } from '../common/debug.js';
import type { ManagedIdentity } from '../identity/identity.js';
import { isTrackedByPm2 } from '../identity/relation.js';
import type { Turns } from './turns.js';

/** What {@link handBackWhenReady} works with. */
export interface HandBackParts {
  readonly turns: Turns;
  /** Resolves once this process is ready, or gave up waiting for its `'ready'` (app-ready.ts). */
  readonly ready: (identity: ManagedIdentity) => Promise<boolean>;
}

/** Hands the predecessor's slot back once this process is ready. Never rejects. */
export async function handBackWhenReady(parts: HandBackParts, identity: ManagedIdentity): Promise<void> {
  if (!isTrackedByPm2(identity.relation)) return;
  try {
    await parts.ready(identity);
    const given = await parts.turns.handBack(identity);
    if (given > 0) debug('turns: gave back %d slot(s) of the previous process', given);
  } catch (error) {
    debug('turns: the slot was not given back: %s', error);
  }
}
