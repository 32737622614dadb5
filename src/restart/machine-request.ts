/**
 * The restart machine's first two steps of a request: asked (opened, or merged into the pending one)
 * and planned (refused, or on towards the exit, with a turn when the app's instances take turns). Pure.
 */
import { mergeHooks, mergeRequest, openRequest, type PendingRequest } from './request.js';
import type { RestartEffect, RestartEvent, RestartState, Transition } from './machine-types.js';
import { deadlineTimer, idle, notify, proceed, stay } from './machine-steps.js';
import type { PlannedRestart } from './planned-restart.js';

/** A restart asked: opens a request (idle), or merges into the pending one. */
export function onRestartRequested(
  state: RestartState,
  event: Extract<RestartEvent, { type: 'restartRequested' }>,
): Transition {
  const { options } = event;
  if (state.phase === 'idle') {
    const request = openRequest(state.nextId, event.at, event.wallAt, options);
    return {
      state: { ...state, phase: 'planning', request, nextId: state.nextId + 1 },
      effects: [
        notify({ type: 'requested', kind: 'restart', reason: options.reason, coalesced: false }),
        { type: 'plan', requestId: request.id, allowPlainExit: request.allowPlainExit },
      ],
    };
  }
  const current = state.request as PendingRequest;
  const coalesced = notify({ type: 'requested', kind: 'restart', reason: options.reason, coalesced: true });
  if (state.phase === 'draining' || state.phase === 'exiting') {
    // The hooks already run (or ran): new ones would never run, so they are refused, not dropped.
    const late = mergeHooks(current.hooks, options.hooks).length - current.hooks.length;
    if (late === 0) return { state, effects: [coalesced] };
    const rejected = notify({
      type: 'hooksRejected',
      reason: options.reason,
      phase: state.phase,
      count: late,
    });
    return { state, effects: [coalesced, rejected] };
  }
  const request = mergeRequest(current, event.at, options);
  const effects: RestartEffect[] = [coalesced];
  if (state.phase === 'deferred' && request.turn === 'needed' && request.refuseNewTasks) {
    // A caller asked to refuse tasks: the instance would stop taking work, so its turn comes first.
    return proceed(state, request, event.at, effects);
  }
  const deadlineChanged =
    request.deadlineAt !== current.deadlineAt || request.onDeadline !== current.onDeadline;
  if (state.phase === 'deferred' && deadlineChanged) effects.push(deadlineTimer(request, event.at));
  return { state: { ...state, request }, effects };
}

/**
 * True when a planned restart takes a turn: turns are on, the plan restarts through pm2 (a plain exit
 * outside pm2 has no one to take turns with), and the daemon lists more than one instance (or the
 * count is unknown).
 */
export function needsTurn(planned: PlannedRestart, turnsEnabled: boolean): boolean {
  const { plan } = planned;
  return turnsEnabled && plan.ok && plan.strategy.type !== 'plainExit' && (planned.instances ?? 2) > 1;
}

/** The plan came: refused (idle), planned again with a plain exit allowed, or on towards the exit. */
export function onPlanned(
  state: RestartState,
  event: Extract<RestartEvent, { type: 'planned' }>,
): Transition {
  const request = state.request;
  if (state.phase !== 'planning' || request === null || request.id !== event.requestId) return stay(state);
  const { plan } = event.planned;
  if (!plan.ok) {
    // A caller that joined during planning allowed a plain exit: plan again with it.
    if (request.allowPlainExit && !event.allowPlainExit) {
      return { state, effects: [{ type: 'plan', requestId: request.id, allowPlainExit: true }] };
    }
    return {
      state: idle(state),
      effects: [notify({ type: 'refused', reason: request.reason, code: plan.code, why: plan.why })],
    };
  }
  const turn = needsTurn(event.planned, event.turnsEnabled) ? 'needed' : 'none';
  return proceed(state, { ...request, plan: event.planned, plannedAt: event.at, turn }, event.at, []);
}
