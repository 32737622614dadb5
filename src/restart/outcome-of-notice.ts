import type { MachineNotice, RestartState } from './machine-types.js';
import type { PendingRequest } from './request.js';
import type { RestartOutcome } from './restart-outcome.js';

/**
 * The answer to a caller whose request joined one already pending (or whose request pm2's stop took
 * over): the pending request's kind, reason and phase (`planning` for a request just closed), and how
 * many of its hooks were refused because the hooks already ran.
 */
export function alreadyPendingOutcome(state: RestartState, rejectedHooks: number): RestartOutcome {
  const request = state.request as PendingRequest;
  const phase = state.phase === 'idle' ? 'planning' : state.phase;
  return {
    status: 'alreadyPending',
    phase,
    pending: { kind: request.kind, reason: request.reason },
    rejectedHooks,
  };
}

/** The outcome a notice settles for the caller whose request is being planned, or null when this notice settles nothing. */
export function outcomeOfNotice(notice: MachineNotice, state: RestartState): RestartOutcome | null {
  switch (notice.type) {
    case 'refused':
      return { status: 'refused', code: notice.code, why: notice.why };
    case 'deferred':
      return { status: 'deferred', tasks: notice.tasks };
    case 'cancelled':
      return { status: 'cancelled' };
    case 'failed':
      // Before its caller had an answer, only a port that failed ends a request (its turn's files).
      return { status: 'refused', code: 'ERR_PM2SELF_PLAN_FAILED', why: notice.message };
    case 'draining': {
      const plan = state.request?.plan?.plan;
      if (notice.kind !== 'restart' || !plan?.ok) return null;
      return { status: 'restarting', strategy: plan.strategy, why: plan.why };
    }
    case 'requested':
      // pm2's stop took over the request being planned.
      return notice.kind === 'shutdown' ? alreadyPendingOutcome(state, 0) : null;
    default:
      return null;
  }
}
