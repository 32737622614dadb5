/**
 * The restart-deferral machine: a pure `transition(state, event)` that returns the next state and
 * the effects to perform, as data. It performs nothing itself; the controller interprets effects.
 */

/** `restart`: come back as a new process. `shutdown`: pm2 is stopping or restarting us; just exit. */
export type RequestKind = 'restart' | 'shutdown';

/** What to do when a deferral outlives its deadline: restart anyway, or drop the request. */
export type DeadlinePolicy = 'force' | 'giveUp';

/** A restart (or shutdown) that has been asked for. */
export interface PendingRequest {
  readonly kind: RequestKind;
  readonly reason: string;
  readonly requestedAt: number;
  /** Epoch ms after which the deadline policy applies; null for no deadline. */
  readonly deadlineAt: number | null;
  readonly onDeadline: DeadlinePolicy;
  /** Refuse tasks begun while this request waits. */
  readonly refuseNewTasks: boolean;
  /** True once the deadline forced the request past running tasks. */
  readonly forced: boolean;
}

/** Phases: nothing pending; waiting for tasks; hooks running; the exit under way. */
export type RestartPhase = 'idle' | 'deferred' | 'draining' | 'exiting';

/** The machine's state. */
export interface RestartState {
  readonly phase: RestartPhase;
  /** Tasks begun and not yet ended. */
  readonly tasks: number;
  readonly request: PendingRequest | null;
}

/** Inputs to the machine; `at` is the clock's `now()` when the event happened. */
export type RestartEvent =
  | {
      readonly type: 'restartRequested';
      readonly at: number;
      readonly reason: string;
      readonly deadlineMs: number | null;
      readonly onDeadline: DeadlinePolicy;
      readonly refuseNewTasks: boolean;
    }
  | {
      readonly type: 'shutdownRequested';
      readonly at: number;
      readonly source: string;
      readonly budgetMs: number;
      readonly refuseNewTasks: boolean;
    }
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
 * request; `daemonTimedOut`, it took it but never restarted this process.
 */
export type RestartFailureCause = 'superseded' | 'daemonRefused' | 'daemonTimedOut';

/** Notifications the machine asks the controller to publish. */
export type MachineNotice =
  | {
      readonly type: 'requested';
      readonly kind: RequestKind;
      readonly reason: string;
      readonly coalesced: boolean;
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
      readonly type: 'failed';
      readonly reason: string;
      readonly cause: RestartFailureCause;
      readonly message: string;
    };

/** Work for the controller, returned as data. */
export type RestartEffect =
  | { readonly type: 'startDeadlineTimer'; readonly delayMs: number }
  | { readonly type: 'cancelDeadlineTimer' }
  | { readonly type: 'drain' }
  | { readonly type: 'exit' }
  | { readonly type: 'exitNow' }
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

function startDrain(state: RestartState, request: PendingRequest, before: RestartEffect[]): Transition {
  return {
    state: { ...state, phase: 'draining', request },
    effects: [
      ...before,
      notify({
        type: 'draining',
        kind: request.kind,
        reason: request.reason,
        forced: request.forced,
        tasks: state.tasks,
      }),
      { type: 'drain' },
    ],
  };
}

function waitOrDrain(
  state: RestartState,
  request: PendingRequest,
  at: number,
  before: RestartEffect[],
): Transition {
  if (state.tasks === 0) return startDrain(state, request, [...before, { type: 'cancelDeadlineTimer' }]);
  const timer: RestartEffect[] =
    request.deadlineAt === null
      ? []
      : [{ type: 'startDeadlineTimer', delayMs: Math.max(0, request.deadlineAt - at) }];
  return {
    state: { ...state, phase: 'deferred', request },
    effects: [...before, ...timer, notify({ type: 'deferred', reason: request.reason, tasks: state.tasks })],
  };
}

function earlier(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function onRestartRequested(
  state: RestartState,
  event: Extract<RestartEvent, { type: 'restartRequested' }>,
): Transition {
  const deadlineAt = event.deadlineMs === null ? null : event.at + event.deadlineMs;
  if (state.phase === 'idle') {
    const request: PendingRequest = {
      kind: 'restart',
      reason: event.reason,
      requestedAt: event.at,
      deadlineAt,
      onDeadline: event.onDeadline,
      refuseNewTasks: event.refuseNewTasks,
      forced: false,
    };
    return waitOrDrain(state, request, event.at, [
      notify({ type: 'requested', kind: 'restart', reason: event.reason, coalesced: false }),
    ]);
  }
  const current = state.request as PendingRequest;
  const coalesced = notify({ type: 'requested', kind: 'restart', reason: event.reason, coalesced: true });
  if (state.phase !== 'deferred') return { state, effects: [coalesced] };
  const merged = mergeDeadlines(current, { deadlineAt, onDeadline: event.onDeadline });
  if (merged.deadlineAt === current.deadlineAt && merged.onDeadline === current.onDeadline)
    return { state, effects: [coalesced] };
  const request: PendingRequest = { ...current, ...merged };
  const timer: RestartEffect =
    merged.deadlineAt === null
      ? { type: 'cancelDeadlineTimer' }
      : { type: 'startDeadlineTimer', delayMs: Math.max(0, merged.deadlineAt - event.at) };
  return { state: { ...state, request }, effects: [coalesced, timer] };
}

type Deadline = Pick<PendingRequest, 'deadlineAt' | 'onDeadline'>;

/**
 * The deadline of coalesced requests, so that no caller's request is dropped early: the earliest
 * forcing deadline wins; else a request without deadline keeps waiting; else (all give up) the latest
 * give-up deadline.
 */
export function mergeDeadlines(a: Deadline, b: Deadline): Deadline {
  const forcing = [a, b]
    .filter((d) => d.onDeadline === 'force' && d.deadlineAt !== null)
    .map((d) => d.deadlineAt as number);
  if (forcing.length > 0) return { deadlineAt: Math.min(...forcing), onDeadline: 'force' };
  if (a.deadlineAt === null || b.deadlineAt === null)
    return { deadlineAt: null, onDeadline: a.deadlineAt === null ? a.onDeadline : b.onDeadline };
  return { deadlineAt: Math.max(a.deadlineAt, b.deadlineAt), onDeadline: 'giveUp' };
}

function onShutdownRequested(
  state: RestartState,
  event: Extract<RestartEvent, { type: 'shutdownRequested' }>,
): Transition {
  const current = state.request;
  if (current?.kind === 'shutdown' || state.phase === 'exiting')
    return { state, effects: [{ type: 'exitNow' }] };
  const requested = notify({
    type: 'requested',
    kind: 'shutdown',
    reason: event.source,
    coalesced: current !== null,
  });
  const budgetAt = event.at + event.budgetMs;
  if (state.phase === 'draining') {
    return {
      state: { ...state, request: { ...(current as PendingRequest), kind: 'shutdown' } },
      effects: [requested],
    };
  }
  const request: PendingRequest = {
    kind: 'shutdown',
    reason: current?.reason ?? event.source,
    requestedAt: current?.requestedAt ?? event.at,
    deadlineAt: earlier(current?.deadlineAt ?? null, budgetAt),
    onDeadline: 'force',
    refuseNewTasks: event.refuseNewTasks || (current?.refuseNewTasks ?? false),
    forced: false,
  };
  return waitOrDrain(state, request, event.at, [requested]);
}

/** The default transition function. Events with no transition in a phase leave the state unchanged. */
export function transition(state: RestartState, event: RestartEvent): Transition {
  switch (event.type) {
    case 'restartRequested':
      return onRestartRequested(state, event);
    case 'shutdownRequested':
      return onShutdownRequested(state, event);
    case 'taskStarted': {
      const refuse =
        state.phase === 'draining' ||
        state.phase === 'exiting' ||
        (state.phase === 'deferred' && state.request?.refuseNewTasks === true);
      return refuse
        ? { state, effects: [{ type: 'refuseTask' }] }
        : { state: { ...state, tasks: state.tasks + 1 }, effects: [{ type: 'acceptTask' }] };
    }
    case 'taskEnded': {
      if (state.tasks === 0) return stay(state);
      const next = { ...state, tasks: state.tasks - 1 };
      if (state.phase === 'deferred' && next.tasks === 0)
        return startDrain(next, state.request as PendingRequest, [{ type: 'cancelDeadlineTimer' }]);
      return stay(next);
    }
    case 'cancelRequested': {
      if (state.phase !== 'deferred' || state.request?.kind !== 'restart') return stay(state);
      return {
        state: { ...state, phase: 'idle', request: null },
        effects: [
          { type: 'cancelDeadlineTimer' },
          notify({ type: 'cancelled', reason: state.request.reason, cause: 'cleared' }),
        ],
      };
    }
    case 'deadlineReached': {
      const request = state.request;
      if (
        state.phase !== 'deferred' ||
        request === null ||
        request.deadlineAt === null ||
        event.at < request.deadlineAt
      )
        return stay(state);
      const reached = notify({
        type: 'deadlineReached',
        reason: request.reason,
        policy: request.onDeadline,
        tasks: state.tasks,
      });
      if (request.onDeadline === 'giveUp' && request.kind === 'restart') {
        return {
          state: { ...state, phase: 'idle', request: null },
          effects: [reached, notify({ type: 'cancelled', reason: request.reason, cause: 'deadline' })],
        };
      }
      return startDrain(state, { ...request, forced: true }, [reached]);
    }
    case 'drainFinished':
      return state.phase === 'draining'
        ? { state: { ...state, phase: 'exiting' }, effects: [{ type: 'exit' }] }
        : stay(state);
    case 'restartFailed':
      if (state.phase !== 'exiting' || state.request?.kind !== 'restart') return stay(state);
      return {
        state: { ...state, phase: 'idle', request: null },
        effects: [
          notify({
            type: 'failed',
            reason: state.request.reason,
            cause: event.cause,
            message: event.message,
          }),
        ],
      };
  }
}

/** The default restart machine. */
export const restartMachine: RestartMachine = {
  initialState: { phase: 'idle', tasks: 0, request: null },
  transition,
};
