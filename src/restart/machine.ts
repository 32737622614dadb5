/**
 * The restart-deferral machine: a pure `transition(state, event)` that returns the next state and
 * the effects to perform, as data. The request (its options, hooks and plan) lives in the state, so
 * merging a second request is a transition. The machine performs nothing; the controller interprets
 * the effects. Its types are in `machine-types.ts`.
 */
import {
  mergeHooks,
  mergeRequest,
  openRequest,
  type PendingRequest,
  type RequestOptions,
} from './request.js';
import type {
  MachineNotice,
  RestartEffect,
  RestartEvent,
  RestartMachine,
  RestartState,
  ShutdownRequest,
  Transition,
} from './machine-types.js';

export { mergeDeadlines } from './request.js';
export type { DeadlinePolicy, PendingRequest, RequestKind, RequestOptions } from './request.js';
export type * from './machine-types.js';

const stay = (state: RestartState): Transition => ({ state, effects: [] });
const notify = (notice: MachineNotice): RestartEffect => ({ type: 'notify', notice });
const idle = (state: RestartState): RestartState => ({ ...state, phase: 'idle', request: null });

function startDrain(state: RestartState, request: PendingRequest, before: RestartEffect[]): Transition {
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

function deadlineTimer(request: PendingRequest, at: number): RestartEffect {
  if (request.deadlineAt === null) return { type: 'cancelDeadlineTimer' };
  return { type: 'startDeadlineTimer', delayMs: Math.max(0, request.deadlineAt - at) };
}

/**
 * The request moves towards the exit: a turn is taken first when one is needed and the instance is
 * about to stop taking work (no task runs, `refuseNewTasks`, or a forcing deadline); else it waits
 * for tasks, holding no turn, or drains.
 */
function proceed(state: RestartState, request: PendingRequest, at: number, before: RestartEffect[]) {
  const stopsTakingWork = state.tasks === 0 || request.refuseNewTasks || request.forced;
  if (request.turn === 'needed' && stopsTakingWork) {
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

function waitOrDrain(
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

function onRestartRequested(
  state: RestartState,
  event: Extract<RestartEvent, { type: 'restartRequested' }>,
): Transition {
  const { options } = event;
  if (state.phase === 'idle') {
    const request = openRequest(state.nextId, event.at, options);
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
  const deadlineChanged =
    request.deadlineAt !== current.deadlineAt || request.onDeadline !== current.onDeadline;
  if (state.phase === 'deferred' && deadlineChanged) effects.push(deadlineTimer(request, event.at));
  return { state: { ...state, request }, effects };
}

function onPlanned(state: RestartState, event: Extract<RestartEvent, { type: 'planned' }>): Transition {
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
  const turn = event.needsTurn ? 'needed' : 'none';
  return proceed(state, { ...request, plan: event.planned, plannedAt: event.at, turn }, event.at, []);
}

function onTurnTaken(state: RestartState, event: Extract<RestartEvent, { type: 'turnTaken' }>) {
  const request = state.request;
  if (state.phase !== 'waitingTurn' || request === null || request.id !== event.requestId) return stay(state);
  // The wait for other instances does not count against the deadline.
  const waitedMs = event.at - (request.waitingTurnSince ?? event.at);
  const deadlineAt = request.deadlineAt === null ? null : request.deadlineAt + waitedMs;
  const held: PendingRequest = { ...request, turn: 'held', waitingTurnSince: null, deadlineAt };
  return proceed(state, held, event.at, []);
}

function onTurnFailed(state: RestartState, event: Extract<RestartEvent, { type: 'turnFailed' }>) {
  const request = state.request;
  if (state.phase !== 'waitingTurn' || request === null || request.id !== event.requestId) return stay(state);
  const failed = notify({
    type: 'failed',
    reason: request.reason,
    cause: 'portFailed',
    message: event.message,
  });
  return { state: idle(state), effects: [failed] };
}

function onShutdownRequested(
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
    return { state: { ...state, request: { ...request, hardStopAt: budgetAt } }, effects: [requested] };
  }
  const base = current ?? openRequest(state.nextId, event.at, shutdownOptions(event));
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
    turn: base.turn === 'needed' ? 'none' : base.turn,
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

function onTaskStarted(state: RestartState): Transition {
  // `refuseNewTasks` applies once the request waits for tasks: while it is only being planned (a few
  // milliseconds), a task may still begin, so a task loop never races the plan into a refusal.
  // While it waits for its turn the instance still serves, unless a deadline already forced the restart.
  const refuse =
    state.phase === 'draining' ||
    state.phase === 'exiting' ||
    (state.phase === 'deferred' && state.request?.refuseNewTasks === true) ||
    (state.phase === 'waitingTurn' && state.request?.forced === true);
  if (refuse) return { state, effects: [{ type: 'refuseTask' }] };
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
      notify({ type: 'cancelled', reason: request.reason, cause: 'cleared' }),
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
      effects: [reached, notify({ type: 'cancelled', reason: request.reason, cause: 'deadline' })],
    };
  }
  return proceed(state, { ...request, forced: true }, at, [reached]);
}

function onRestartFailed(state: RestartState, event: Extract<RestartEvent, { type: 'restartFailed' }>) {
  if (state.phase !== 'exiting' || state.request?.kind !== 'restart') return stay(state);
  const failed = notify({
    type: 'failed',
    reason: state.request.reason,
    cause: event.cause,
    message: event.message,
  });
  return { state: idle(state), effects: [failed] };
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
