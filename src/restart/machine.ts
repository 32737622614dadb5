/**
 * The restart-deferral machine: a pure `transition(state, event)` that returns the next state and
 * the effects to perform, as data. The request (its options, hooks and plan) lives in the state, so
 * merging a second request is a transition. The machine performs nothing; the controller interprets
 * the effects. Its types are in `machine-types.ts`; asking and planning in `machine-request.ts`, pm2's
 * stop in `machine-shutdown.ts`, the steps they share in `machine-steps.ts`.
 */
import type { PendingRequest } from './request.js';
import type { RestartEvent, RestartMachine, RestartState, Transition } from './machine-types.js';
import { acceptsTasks, endWithout, idle, notify, proceed, stay, waitOrDrain } from './machine-steps.js';
import { onPlanned, onRestartRequested } from './machine-request.js';
import { onShutdownRequested } from './machine-shutdown.js';

export { needsTurn } from './machine-request.js';
export { acceptsTasks } from './machine-steps.js';
export { mergeDeadlines } from './request.js';
export type { DeadlinePolicy, PendingRequest, RequestKind, RequestOptions } from './request.js';
export type * from './machine-types.js';

function onTurnTaken(state: RestartState, event: Extract<RestartEvent, { type: 'turnTaken' }>) {
  const request = state.request;
  if (state.phase !== 'waitingTurn' || request === null || request.id !== event.requestId) return stay(state);
  // The wait for other instances does not count against the deadline.
  const waitedMs = event.at - (request.waitingTurnSince ?? event.at);
  const deadlineAt = request.deadlineAt === null ? null : request.deadlineAt + waitedMs;
  if (state.tasks > 0 && !request.refuseNewTasks && !request.forced) {
    // A task began while it waited: the instance keeps taking work, so it holds no turn. The turn
    // goes back at once, and is asked again when the last task ends (or a forcing deadline comes).
    const giveBack: PendingRequest = { ...request, turn: 'needed', waitingTurnSince: null, deadlineAt };
    return waitOrDrain(state, giveBack, event.at, [{ type: 'releaseTurn' }]);
  }
  // No task runs, or the instance is stopping (refuseNewTasks, forced): it drains with the turn held.
  const held: PendingRequest = { ...request, turn: 'held', waitingTurnSince: null, deadlineAt };
  return proceed(state, held, event.at, []);
}

function onTurnFailed(state: RestartState, event: Extract<RestartEvent, { type: 'turnFailed' }>) {
  const request = state.request;
  if (state.phase !== 'waitingTurn' || request === null || request.id !== event.requestId) return stay(state);
  const failed = {
    type: 'failed',
    reason: request.reason,
    cause: 'portFailed',
    message: event.message,
  } as const;
  return { state: idle(state), effects: endWithout(request, failed) };
}

function onTaskStarted(state: RestartState): Transition {
  if (!acceptsTasks(state)) return { state, effects: [{ type: 'refuseTask' }] };
  return { state: { ...state, tasks: state.tasks + 1 }, effects: [{ type: 'acceptTask' }] };
}

function onTaskEnded(state: RestartState, at: number): Transition {
  if (state.tasks === 0) return stay(state);
  const next = { ...state, tasks: state.tasks - 1 };
  if (state.phase === 'deferred' && next.tasks === 0) {
    return proceed(next, state.request as PendingRequest, at, []);
  }
  return stay(next);
}

function onCancelRequested(state: RestartState): Transition {
  const request = state.request;
  const cancellable =
    state.phase === 'planning' || state.phase === 'deferred' || state.phase === 'waitingTurn';
  if (!cancellable || request === null || request.kind !== 'restart') return stay(state);
  return {
    state: idle(state),
    effects: [
      { type: 'cancelDeadlineTimer' },
      ...endWithout(request, { type: 'cancelled', reason: request.reason, cause: 'cleared' }),
    ],
  };
}

function onDeadlineReached(state: RestartState, at: number): Transition {
  const request = state.request;
  if (
    state.phase !== 'deferred' ||
    request === null ||
    request.deadlineAt === null ||
    at < request.deadlineAt
  ) {
    return stay(state);
  }
  const reached = notify({
    type: 'deadlineReached',
    reason: request.reason,
    policy: request.onDeadline,
    tasks: state.tasks,
  });
  if (request.onDeadline === 'giveUp' && request.kind === 'restart') {
    return {
      state: idle(state),
      effects: [
        reached,
        ...endWithout(request, { type: 'cancelled', reason: request.reason, cause: 'deadline' }),
      ],
    };
  }
  return proceed(state, { ...request, forced: true }, at, [reached]);
}

function onRestartFailed(state: RestartState, event: Extract<RestartEvent, { type: 'restartFailed' }>) {
  const request = state.request;
  if (state.phase !== 'exiting' || request?.kind !== 'restart') return stay(state);
  const failed = {
    type: 'failed',
    reason: request.reason,
    cause: event.cause,
    message: event.message,
  } as const;
  return { state: idle(state), effects: endWithout(request, failed) };
}

/** The default transition function. Events with no transition in a phase leave the state unchanged. */
export function transition(state: RestartState, event: RestartEvent): Transition {
  switch (event.type) {
    case 'restartRequested':
      return onRestartRequested(state, event);
    case 'planned':
      return onPlanned(state, event);
    case 'shutdownRequested':
      return onShutdownRequested(state, event);
    case 'taskStarted':
      return onTaskStarted(state);
    case 'taskEnded':
      return onTaskEnded(state, event.at);
    case 'turnTaken':
      return onTurnTaken(state, event);
    case 'turnFailed':
      return onTurnFailed(state, event);
    case 'cancelRequested':
      return onCancelRequested(state);
    case 'deadlineReached':
      return onDeadlineReached(state, event.at);
    case 'drainFinished':
      if (state.phase !== 'draining') return stay(state);
      return { state: { ...state, phase: 'exiting' }, effects: [{ type: 'exit' }] };
    case 'restartFailed':
      return onRestartFailed(state, event);
  }
}

/** The default restart machine. */
export const restartMachine: RestartMachine = {
  initialState: { phase: 'idle', tasks: 0, request: null, nextId: 1 },
  transition,
};
