/**
 * When an instance the rollout asked to restart is back, as a pure function of what the daemon's list
 * shows at each look. Back means: a new process, online, ready, that then stays up for the settle
 * time without another restart. Ready: it called `exposeToPm2()` again and its `pm2-self ready` metric
 * says `yes` (a `wait_ready` app: after its own `process.send('ready')`; pm2 lists it `online` at
 * `listen_timeout` without it); an app on an older pm2-self that sends no such metric counts as ready
 * once exposed. A new process that never calls `exposeToPm2()` counts as ready after a bounded grace
 * online (pm2 marks a cluster worker online before its code runs; a `wait_ready` app at its 'ready'
 * or `listen_timeout`). A crash (the new process replaced by yet another, or no longer online), a
 * restart count that rises past the one restart asked for, `errored`, or a lasting stop (`stopped`
 * with pid 0) ends the follow as a failure.
 * @module
 */

/** How long a new process that is online may take to call exposeToPm2() before it counts as ready anyway. */
export const REEXPOSE_GRACE_MS = 10_000;
/** How long an instance may stay `stopped` with pid 0 after its old process left before it counts as not coming back. */
export const STOPPED_FINAL_MS = 3000;
/** How long a ready new process must stay up, unrestarted, to count as back (`--settle`). */
export const DEFAULT_SETTLE_MS = 5000;

/** One look at the instance in the daemon's list. */
export interface Sighting {
  readonly pid: number;
  readonly status: string;
  /** pm2's restart count; null when the list did not say. */
  readonly restarts: number | null;
  readonly exposed: boolean;
  /** Its `pm2-self ready` metric; null when it sent none. */
  readonly ready: boolean | null;
}

/** What the follow knows between looks. */
export interface FollowState {
  readonly oldPid: number;
  /** pm2's restart count when the instance was asked; null when unknown. */
  readonly restartsAtAsk: number | null;
  /** The first new process seen online; null until one is. */
  readonly newPid: number | null;
  readonly onlineSince: number | null;
  /** Since when the new process is ready (exposed again, or the grace passed). */
  readonly readySince: number | null;
  readonly exposed: boolean;
  readonly stoppedSince: number | null;
}

/** The verdict after a look. */
export type FollowVerdict =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'back'; readonly newPid: number; readonly exposed: boolean }
  | { readonly kind: 'crashed'; readonly why: string }
  | { readonly kind: 'notBack'; readonly status: string };

/** The state before the first look, for an instance asked while it ran `oldPid` after `restarts` restarts. */
export function startFollow(oldPid: number, restarts: number | null): FollowState {
  return {
    oldPid,
    restartsAtAsk: restarts,
    newPid: null,
    onlineSince: null,
    readySince: null,
    exposed: false,
    stoppedSince: null,
  };
}

/** Judges one look at `now`, a time on the caller's monotonic clock (every span here is measured on it). Pure. */
export function followLook(
  state: FollowState,
  seen: Sighting,
  now: number,
  settleMs: number,
): { readonly state: FollowState; readonly verdict: FollowVerdict } {
  const waiting = (next: FollowState) => ({ state: next, verdict: { kind: 'waiting' } as const });
  const end = (verdict: FollowVerdict) => ({ state, verdict });
  if (seen.status === 'errored') return end({ kind: 'notBack', status: seen.status });
  if (state.newPid !== null && (seen.pid !== state.newPid || seen.status !== 'online')) {
    const shown = seen.pid > 0 && seen.pid !== state.newPid ? `pid ${seen.pid}` : seen.status;
    return end({ kind: 'crashed', why: `its new process ${state.newPid} went down (now ${shown})` });
  }
  if (seen.restarts !== null && state.restartsAtAsk !== null && seen.restarts > state.restartsAtAsk + 1) {
    const times = seen.restarts - state.restartsAtAsk;
    return end({ kind: 'crashed', why: `pm2 restarted it ${times} times since it was asked` });
  }
  if (seen.pid === state.oldPid) return waiting(state);
  if (seen.status === 'online' && seen.pid > 0) {
    const onlineSince = state.onlineSince ?? now;
    const ready = seen.exposed ? seen.ready !== false : now - onlineSince >= REEXPOSE_GRACE_MS;
    const readySince = ready ? (state.readySince ?? now) : null;
    const next = {
      ...state,
      newPid: seen.pid,
      onlineSince,
      readySince,
      exposed: seen.exposed,
      stoppedSince: null,
    };
    if (readySince !== null && now - readySince >= settleMs)
      return { state: next, verdict: { kind: 'back', newPid: seen.pid, exposed: seen.exposed } };
    return waiting(next);
  }
  // pm2 lists every exited process `stopped`, pid kept, until its restart timer starts the next one
  // (`restart_delay`): only `stopped` with pid 0 is a stop, and only a lasting one is final.
  const stoppedSince = seen.status === 'stopped' && seen.pid === 0 ? (state.stoppedSince ?? now) : null;
  if (stoppedSince !== null && now - stoppedSince >= STOPPED_FINAL_MS)
    return end({ kind: 'notBack', status: seen.status });
  return waiting({ ...state, stoppedSince });
}
