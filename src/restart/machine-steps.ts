/**
 * The steps the restart machine's transitions share: staying put, notices, going idle, and moving a
 * request on towards its exit (a turn, the wait for tasks, the drain). Pure.
 */
import type { PendingRequest } from './request.js';
import type { MachineNotice, RestartEffect, RestartState, Transition } from './machine-types.js';

/** No change: the event has no transition in this phase. */
export const stay = (state: RestartState): Transition => ({ state, effects: [] });
/** The effect that reports a notice to the listeners. */
export const notify = (notice: MachineNotice): RestartEffect => ({ type: 'notify', notice });
/** Back to idle, the request gone. */
export const idle = (state: RestartState): RestartState => ({ ...state, phase: 'idle', request: null });

/**
 * True when a task begun now is accepted. `refuseNewTasks` applies once the request waits for tasks:
 * while it is only being planned (a few milliseconds), a task may still begin, so a task loop never
 * races the plan into a refusal. While it waits for its turn the instance still serves, unless a
 * deadline already forced the restart (the task would be cut). Once it holds its turn it takes no
 * new work: the tasks already running end with the turn held.
 */
export function acceptsTasks(state: RestartState): boolean {
  switch (state.phase) {
    case 'draining':
    case 'exiting':
      return false;
    case 'deferred':
      return state.request?.refuseNewTasks !== true && state.request?.turn !== 'held';
    case 'waitingTurn':
      return state.request?.forced !== true;
    default:
      return true;
  }
}

/** The effects that end a request without an exit: its notice, then the turn given back if it took part in turns. */
export function endWithout(request: PendingRequest, notice: MachineNotice): RestartEffect[] {
  return request.turn === 'none' ? [notify(notice)] : [notify(notice), { type: 'releaseTurn' }];
}

/** Starts the drain: no task runs, or the deadline forced it. */
export function startDrain(
  state: RestartState,
  request: PendingRequest,
  before: RestartEffect[],
): Transition {
  const draining = notify({
    type: 'draining',
    kind: request.kind,
    reason: request.reason,
    forced: request.forced,
    tasks: state.tasks,
  });
  return {
    state: { ...state, phase: 'draining', request },
    effects: [...before, draining, { type: 'drain' }],
  };
}

/** The deadline's timer for a request, from `at`. */
export function deadlineTimer(request: PendingRequest, at: number): RestartEffect {
  if (request.deadlineAt === null) return { type: 'cancelDeadlineTimer' };
  return { type: 'startDeadlineTimer', delayMs: Math.max(0, request.deadlineAt - at) };
}

/**
 * The request moves towards the exit: a turn is taken first when one is needed and the instance is
 * about to stop taking work (no task runs, `refuseNewTasks`, or a forcing deadline); else it waits
 * for tasks, holding no turn, or drains. A turn given back after `TURN_HOLD_MS` is asked again only
 * when no task runs (or a deadline forces it), so an endless task never makes it ask again and again.
 */
export function proceed(state: RestartState, request: PendingRequest, at: number, before: RestartEffect[]) {
  const { turn } = request;
  const stopsTakingWork =
    state.tasks === 0 || request.forced || (request.refuseNewTasks && turn === 'needed');
  if ((turn === 'needed' || turn === 'givenBack') && stopsTakingWork) {
    return {
      state: { ...state, phase: 'waitingTurn' as const, request: { ...request, waitingTurnSince: at } },
      effects: [
        ...before,
        { type: 'cancelDeadlineTimer' } as const,
        { type: 'takeTurn', requestId: request.id } as const,
      ],
    };
  }
  if (request.forced) return startDrain(state, request, before);
  return waitOrDrain(state, request, at, before);
}

/** Waits for the running tasks (deferred, the deadline's timer set), or drains when none runs. */
export function waitOrDrain(
  state: RestartState,
  request: PendingRequest,
  at: number,
  before: RestartEffect[],
): Transition {
  if (state.tasks === 0) return startDrain(state, request, [...before, { type: 'cancelDeadlineTimer' }]);
  const deferred = notify({ type: 'deferred', reason: request.reason, tasks: state.tasks });
  return {
    state: { ...state, phase: 'deferred', request },
    effects: [...before, deadlineTimer(request, at), deferred],
  };
}
