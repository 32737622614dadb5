/**
 * The restart machine's answer to pm2's stop: how a shutdown takes over (or opens) the request, the
 * hooks' reserve inside pm2's budget, and the exit at once on a second signal. Pure.
 */
import { mergeHooks, openRequest, type PendingRequest, type RequestOptions } from './request.js';
import type { RestartEvent, RestartState, ShutdownRequest, Transition } from './machine-types.js';
import { notify, waitOrDrain } from './machine-steps.js';

/**
 * pm2's stop (a signal or its `'shutdown'` message): the request becomes a shutdown with pm2's budget,
 * never waits for a turn, and cuts tasks early enough for the hooks; a second one exits at once.
 */
export function onShutdownRequested(
  state: RestartState,
  event: Extract<RestartEvent, { type: 'shutdownRequested' }>,
): Transition {
  const current = state.request;
  // A second delivery while pm2 already stops us, or a signal during the exit: exit at once. During
  // a restart's exit the signal is the first one (the daemon stopping us to restart us), not a second.
  if (current?.kind === 'shutdown' || state.phase === 'exiting') {
    const second = current?.kind === 'shutdown';
    const reason = second || current === null ? `second ${event.signal}` : current.reason;
    const exitNow = {
      type: 'exitNow',
      signal: event.signal,
      fromPm2: event.fromPm2,
      reason,
      second,
    } as const;
    return { state, effects: [exitNow] };
  }
  const budgetAt = event.at + event.budgetMs;
  const requested = notify({
    type: 'requested',
    kind: 'shutdown',
    reason: current?.reason ?? signalReason(event),
    coalesced: current !== null,
  });
  if (state.phase === 'draining') {
    // The hooks already run; pm2's stop takes the exit over and leaves its record (naming both).
    const request = {
      ...(current as PendingRequest),
      kind: 'shutdown' as const,
      signal: event.signal,
      fromPm2: event.fromPm2,
      recordAs: event.recordAs,
    };
    const hurry = { type: 'hurryDrain', stopHooksInMs: event.budgetMs } as const;
    return {
      state: { ...state, request: { ...request, hardStopAt: budgetAt } },
      effects: [requested, hurry],
    };
  }
  const base = current ?? openRequest(state.nextId, event.at, event.wallAt, shutdownOptions(event));
  const hooks = mergeHooks(base.hooks, event.hooks);
  const hooksTimeoutMs = Math.max(base.hooksTimeoutMs, event.hooksTimeoutMs);
  // Tasks are cut early enough that the hooks keep their reserve inside pm2's budget.
  const tasksEndAt = budgetAt - hooksReserve(event, hooks.length, hooksTimeoutMs);
  const request: PendingRequest = {
    ...base,
    kind: 'shutdown',
    signal: event.signal,
    fromPm2: event.fromPm2,
    deadlineAt: base.deadlineAt === null ? tasksEndAt : Math.min(base.deadlineAt, tasksEndAt),
    onDeadline: 'force',
    refuseNewTasks: base.refuseNewTasks || event.refuseNewTasks,
    hooks,
    hooksTimeoutMs,
    hardStopAt: budgetAt,
    recordAs: event.recordAs,
    // pm2 is stopping the process already: a shutdown never waits for a turn.
    turn: base.turn === 'held' ? 'held' : 'none',
    waitingTurnSince: null,
  };
  const next = { ...state, nextId: current === null ? state.nextId + 1 : state.nextId };
  return waitOrDrain(next, request, event.at, [requested]);
}

/**
 * The time kept for the hooks at the end of pm2's budget: `hooksReserveMs`, at most half the budget
 * and at most the hooks' own budget; none without hooks.
 */
function hooksReserve(event: ShutdownRequest, hookCount: number, hooksTimeoutMs: number): number {
  if (hookCount === 0) return 0;
  return Math.min(event.hooksReserveMs, hooksTimeoutMs, Math.floor(event.budgetMs / 2));
}

/** `pm2 SIGINT` when pm2 sent the signal; the bare signal name otherwise (Ctrl-C outside pm2). */
function signalReason(event: ShutdownRequest): string {
  return event.fromPm2 ? `pm2 ${event.signal}` : event.signal;
}

function shutdownOptions(event: ShutdownRequest): RequestOptions {
  return {
    reason: signalReason(event),
    deadlineMs: event.budgetMs,
    onDeadline: 'force',
    refuseNewTasks: event.refuseNewTasks,
    hooks: event.hooks,
    hooksTimeoutMs: event.hooksTimeoutMs,
    allowPlainExit: false,
  };
}
