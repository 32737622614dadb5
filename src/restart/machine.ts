/**
 * The restart-deferral machine: a pure `transition(state, event)` that returns the next state and
 * the effects to perform, as data. The request (its options, hooks and plan) lives in the state, so
 * merging a second request is a transition. The machine performs nothing; the controller interprets
 * the effects. Its types are in `machine-types.ts`; asking and planning in `machine-request.ts`, pm2's
 * stop in `machine-shutdown.ts`, the steps they share in `machine-steps.ts`.
 */
import type { PendingRequest } from './request.js';
import type {
  RestartEffect,
  RestartEvent,
  RestartMachine,
  RestartState,
  Transition,
} from './machine-types.js';
import { acceptsTasks, endWithout, idle, notify, proceed, stay } from './machine-steps.js';
import { onPlanned, onRestartRequested } from './machine-request.js';
import { onShutdownRequested } from './machine-shutdown.js';

export { needsTurn } from './machine-request.js';
export { acceptsTasks } from './machine-steps.js';
export { mergeDeadlines } from './request.js';
export type { DeadlinePolicy, PendingRequest, RequestKind, RequestOptions } from './request.js';
export type * from './machine-types.js';

/**
 * How long an instance first holds its turn while the tasks that ran when it came end (it refuses new
 * ones meanwhile). Past it, unless a deadline forced the restart, the turn goes back and the instance is
 * `deferred` again, taking work, until its tasks reach 0: one endless task never blocks the other
 * instances, and a busy worker takes the turn at most once per hold. Each later hold of the same request
 * lasts twice the one before ({@link turnHoldMs}), so a worker whose next job always starts while it
 * waits for its turn still restarts once a hold outlasts its job.
 */
export const TURN_HOLD_MS = 10_000;

/** The longest a hold grows to (jobs longer than this, back to back, need a deadline). */
export const TURN_HOLD_MAX_MS = 320_000;

/** How long the next hold of a request lasts: {@link TURN_HOLD_MS}, doubled per turn given back. */
export function turnHoldMs(turnsGivenBack: number): number {
  return Math.min(TURN_HOLD_MS * 2 ** Math.min(turnsGivenBack, 16), TURN_HOLD_MAX_MS);
}

function onTurnTaken(state: RestartState, event: Extract<RestartEvent, { type: 'turnTaken' }>) {
  const request = state.request;
  if (state.phase !== 'waitingTurn' || request === null || request.id !== event.requestId) return stay(state);
  // The wait for other instances does not count against the deadline.
  const waitedMs = event.at - (request.waitingTurnSince ?? event.at);
  const deadlineAt = request.deadlineAt === null ? null : request.deadlineAt + waitedMs;
  const held: PendingRequest = {
    ...request,
    turn: 'held',
    waitingTurnSince: null,
    turnTakenAt: event.at,
    deadlineAt,
  };
  // With no task running it drains; else it stops taking work and waits for the running tasks, for
  // one hold at most (a task that began while it waited: a queue worker's next job).
  const hold: RestartEffect[] =
    state.tasks > 0 && !request.forced
      ? [{ type: 'startTurnHoldTimer', requestId: request.id, delayMs: turnHoldMs(request.turnsGivenBack) }]
      : [];
  return proceed(state, held, event.at, hold);
}

/** The turn was held one hold with tasks still running: it goes back; the request is deferred again. */
function onTurnHoldEnded(
  state: RestartState,
  event: Extract<RestartEvent, { type: 'turnHoldEnded' }>,
): Transition {
  const request = state.request;
  if (
    state.phase !== 'deferred' ||
    request?.id !== event.requestId ||
    request.kind !== 'restart' ||
    request.turn !== 'held' ||
    request.forced ||
    event.at < (request.turnTakenAt ?? event.at) + turnHoldMs(request.turnsGivenBack)
  ) {
    return stay(state);
  }
  const givenBack: PendingRequest = {
    ...request,
    turn: 'givenBack',
    turnTakenAt: null,
    turnsGivenBack: request.turnsGivenBack + 1,
  };
  const deferred = notify({ type: 'deferred', reason: request.reason, tasks: state.tasks });
  return { state: { ...state, request: givenBack }, effects: [{ type: 'releaseTurn' }, deferred] };
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
    case 'turnHoldEnded':
      return onTurnHoldEnded(state, event);
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
