/**
 * The restart-deferral machine: a pure `transition(state, event)` that returns the next state and
 * the effects to perform, as data. The request (its options, hooks and plan) lives in the state, so
 * merging a second request is a transition. The machine performs nothing; the controller interprets
 * the effects.
 */
import type { Pm2SelfErrorCode } from '../common/errors.js';
import type { PlannedRestart } from './plan-restart.js';
import {
  mergeHooks,
  mergeRequest,
  openRequest,
  type DeadlinePolicy,
  type PendingRequest,
  type RequestKind,
  type RequestOptions,
} from './request.js';
import type { ExitHook } from './run-hooks.js';

export { mergeDeadlines } from './request.js';
export type { DeadlinePolicy, PendingRequest, RequestKind, RequestOptions } from './request.js';

/**
 * Phases: nothing pending; a restart request being planned (it is pending already); waiting for
 * tasks; hooks running; the exit under way.
 */
export type RestartPhase = 'idle' | 'planning' | 'deferred' | 'draining' | 'exiting';

/** The machine's state. */
export interface RestartState {
  readonly phase: RestartPhase;
  /** Tasks begun and not yet ended. */
  readonly tasks: number;
  readonly request: PendingRequest | null;
  /** The id the next request gets. */
  readonly nextId: number;
}

/** What a shutdown (pm2 stopping or restarting the app) brings. */
export interface ShutdownRequest {
  /** What delivered it: `SIGINT`, `SIGTERM` or `message`. */
  readonly signal: string;
  /** Time left before pm2 kills the process, less a margin. */
  readonly budgetMs: number;
  readonly refuseNewTasks: boolean;
  readonly hooks: readonly ExitHook[];
  readonly hooksTimeoutMs: number;
  /** The pm_id and restart count to record the stop under; null when this process is not tracked. */
  readonly recordAs: PendingRequest['recordAs'];
  /** True when pm2 sent it (this process is tracked by pm2); false for a signal outside pm2 (Ctrl-C). */
  readonly fromPm2: boolean;
}

/** Inputs to the machine; `at` is the clock's `now()` when the event happened. */
export type RestartEvent =
  | { readonly type: 'restartRequested'; readonly at: number; readonly options: RequestOptions }
  | {
      readonly type: 'planned';
      readonly at: number;
      readonly requestId: number;
      /** The `allowPlainExit` the plan was made with. */
      readonly allowPlainExit: boolean;
      readonly planned: PlannedRestart;
    }
  | ({ readonly type: 'shutdownRequested'; readonly at: number } & ShutdownRequest)
  | { readonly type: 'taskStarted'; readonly at: number }
  | { readonly type: 'taskEnded'; readonly at: number }
  | { readonly type: 'cancelRequested'; readonly at: number }
  | { readonly type: 'deadlineReached'; readonly at: number }
  | { readonly type: 'drainFinished'; readonly at: number }
  | {
      readonly type: 'restartFailed';
      readonly at: number;
      readonly cause: RestartFailureCause;
      readonly message: string;
    };

/**
 * Why a restart did not happen at exit time (the process keeps running): `superseded`, a reload
 * replaced this process and pm2 stops it itself; `daemonRefused`, the daemon did not take the restart
 * request; `daemonTimedOut`, it took it but never restarted this process; `portFailed`, a port (a
 * custom one, usually) threw or rejected while the exit was prepared.
 */
export type RestartFailureCause = 'superseded' | 'daemonRefused' | 'daemonTimedOut' | 'portFailed';

/** Notifications the machine asks the controller to publish. */
export type MachineNotice =
  | {
      readonly type: 'requested';
      readonly kind: RequestKind;
      readonly reason: string;
      readonly coalesced: boolean;
    }
  | {
      readonly type: 'refused';
      readonly reason: string;
      readonly code: Pm2SelfErrorCode;
      readonly why: string;
    }
  | { readonly type: 'deferred'; readonly reason: string; readonly tasks: number }
  | { readonly type: 'cancelled'; readonly reason: string; readonly cause: 'cleared' | 'deadline' }
  | {
      readonly type: 'deadlineReached';
      readonly reason: string;
      readonly policy: DeadlinePolicy;
      readonly tasks: number;
    }
  | {
      readonly type: 'draining';
      readonly kind: RequestKind;
      readonly reason: string;
      readonly forced: boolean;
      readonly tasks: number;
    }
  | {
      readonly type: 'hooksRejected';
      readonly reason: string;
      readonly phase: 'draining' | 'exiting';
      readonly count: number;
    }
  | {
      readonly type: 'failed';
      readonly reason: string;
      readonly cause: RestartFailureCause;
      readonly message: string;
    };

/** Work for the controller, returned as data. */
export type RestartEffect =
  | { readonly type: 'plan'; readonly requestId: number; readonly allowPlainExit: boolean }
  | { readonly type: 'startDeadlineTimer'; readonly delayMs: number }
  | { readonly type: 'cancelDeadlineTimer' }
  | { readonly type: 'drain' }
  | { readonly type: 'exit' }
  | { readonly type: 'exitNow'; readonly signal: string; readonly fromPm2: boolean }
  | { readonly type: 'acceptTask' }
  | { readonly type: 'refuseTask' }
  | { readonly type: 'notify'; readonly notice: MachineNotice };

/** The next state and the effects to perform, in order. */
export interface Transition {
  readonly state: RestartState;
  readonly effects: readonly RestartEffect[];
}

/** A restart machine: the default is {@link restartMachine}; callers may pass their own or wrap it. */
export interface RestartMachine {
  /** The state a new controller starts in. */
  readonly initialState: RestartState;
  /** The next state and effects for an event; must be pure. */
  transition(state: RestartState, event: RestartEvent): Transition;
}

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
  return waitOrDrain(state, { ...request, plan: event.planned, plannedAt: event.at }, event.at, []);
}

function onShutdownRequested(
  state: RestartState,
  event: Extract<RestartEvent, { type: 'shutdownRequested' }>,
): Transition {
  const current = state.request;
  // A second delivery while pm2 already stops us, or a signal during the exit: exit at once.
  if (current?.kind === 'shutdown' || state.phase === 'exiting')
    return { state, effects: [{ type: 'exitNow', signal: event.signal, fromPm2: event.fromPm2 }] };
  const budgetAt = event.at + event.budgetMs;
  const requested = notify({
    type: 'requested',
    kind: 'shutdown',
    reason: current?.reason ?? signalReason(event),
    coalesced: current !== null,
  });
  if (state.phase === 'draining') {
    const request = {
      ...(current as PendingRequest),
      kind: 'shutdown' as const,
      signal: event.signal,
      fromPm2: event.fromPm2,
    };
    return { state: { ...state, request: { ...request, hardStopAt: budgetAt } }, effects: [requested] };
  }
  const base = current ?? openRequest(state.nextId, event.at, shutdownOptions(event));
  const request: PendingRequest = {
    ...base,
    kind: 'shutdown',
    signal: event.signal,
    fromPm2: event.fromPm2,
    deadlineAt: base.deadlineAt === null ? budgetAt : Math.min(base.deadlineAt, budgetAt),
    onDeadline: 'force',
    refuseNewTasks: base.refuseNewTasks || event.refuseNewTasks,
    hooks: mergeHooks(base.hooks, event.hooks),
    hooksTimeoutMs: Math.max(base.hooksTimeoutMs, event.hooksTimeoutMs),
    hardStopAt: budgetAt,
    recordAs: event.recordAs,
  };
  const next = { ...state, nextId: current === null ? state.nextId + 1 : state.nextId };
  return waitOrDrain(next, request, event.at, [requested]);
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
  const waiting = state.phase === 'planning' || state.phase === 'deferred';
  const refuse =
    state.phase === 'draining' ||
    state.phase === 'exiting' ||
    (waiting && state.request?.refuseNewTasks === true);
  if (refuse) return { state, effects: [{ type: 'refuseTask' }] };
  return { state: { ...state, tasks: state.tasks + 1 }, effects: [{ type: 'acceptTask' }] };
}

function onTaskEnded(state: RestartState): Transition {
  if (state.tasks === 0) return stay(state);
  const next = { ...state, tasks: state.tasks - 1 };
  if (state.phase === 'deferred' && next.tasks === 0) {
    return startDrain(next, state.request as PendingRequest, [{ type: 'cancelDeadlineTimer' }]);
  }
  return stay(next);
}

function onCancelRequested(state: RestartState): Transition {
  const request = state.request;
  const cancellable = state.phase === 'planning' || state.phase === 'deferred';
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
  return startDrain(state, { ...request, forced: true }, [reached]);
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
      return onTaskEnded(state);
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
