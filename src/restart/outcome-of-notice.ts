import type { MachineNotice, RestartState } from './machine-types.js';
import type { RestartOutcome } from './restart-outcome.js';

/**
 * The outcome a notice settles for the caller whose request is being planned, or null when this
 * notice settles nothing. `alreadyPending` builds the answer when pm2's stop took the request over.
 */
export function outcomeOfNotice(
  notice: MachineNotice,
  state: RestartState,
  alreadyPending: (rejectedHooks: number) => RestartOutcome,
): RestartOutcome | null {
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
      return notice.kind === 'shutdown' ? alreadyPending(0) : null;
    default:
      return null;
  }
}
