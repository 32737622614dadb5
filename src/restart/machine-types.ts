/**
 * The restart machine's vocabulary: its state, the events it takes, the notices and effects it returns.
 */
import type { Pm2SelfErrorCode } from '../common/errors.js';
import type { PlannedRestart } from './planned-restart.js';
import type { DeadlinePolicy, PendingRequest, RequestKind, RequestOptions } from './request.js';
import type { ExitHook } from './run-hooks.js';

/**
 * Phases: nothing pending; a restart request being planned (it is pending already); waiting for
 * tasks (no turn held, unless one was taken with tasks running: then new tasks are refused, for
 * `TURN_HOLD_MS` at most); waiting for a turn among the app's instances (tasks still accepted); hooks
 * running; the exit under way.
 */
export type RestartPhase = 'idle' | 'planning' | 'deferred' | 'waitingTurn' | 'draining' | 'exiting';

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
  /** Time kept for the hooks at the end of the budget: tasks running past `budgetMs` less it are cut. */
  readonly hooksReserveMs: number;
  /** The pm_id and restart count to record the stop under; null when this process is not tracked. */
  readonly recordAs: PendingRequest['recordAs'];
  /** True when pm2 sent it (this process is tracked by pm2); false for a signal outside pm2 (Ctrl-C). */
  readonly fromPm2: boolean;
}

/**
 * Inputs to the machine; `at` is the clock's monotonic time when the event happened (`monotonicNow`:
 * durations measured on it survive a wall clock stepped back or forward); `wallAt`, on the events that
 * open a request, is the wall clock's `now()` then (epoch ms, for people and restart records).
 */
export type RestartEvent =
  | {
      readonly type: 'restartRequested';
      readonly at: number;
      readonly wallAt: number;
      readonly options: RequestOptions;
    }
  | {
      readonly type: 'planned';
      readonly at: number;
      readonly requestId: number;
      /** The `allowPlainExit` the plan was made with. */
      readonly allowPlainExit: boolean;
      readonly planned: PlannedRestart;
      /**
       * True when this process takes turns with the other instances of its app (a turns port and a
       * finite `maxUnavailable`); the machine decides from the plan whether this restart needs one.
       */
      readonly turnsEnabled: boolean;
    }
  | { readonly type: 'turnTaken'; readonly at: number; readonly requestId: number }
  /** The timer of `startTurnHoldTimer` fired: the turn has been held one hold (`turnHoldMs`). */
  | { readonly type: 'turnHoldEnded'; readonly at: number; readonly requestId: number }
  | {
      readonly type: 'turnFailed';
      readonly at: number;
      readonly requestId: number;
      readonly message: string;
    }
  | ({ readonly type: 'shutdownRequested'; readonly at: number; readonly wallAt: number } & ShutdownRequest)
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
  | { readonly type: 'takeTurn'; readonly requestId: number }
  /**
   * The turn was taken while tasks run: answer `turnHoldEnded` for `requestId` after `delayMs` (the
   * machine ignores it once the request no longer holds the turn).
   */
  | { readonly type: 'startTurnHoldTimer'; readonly requestId: number; readonly delayMs: number }
  | { readonly type: 'startDeadlineTimer'; readonly delayMs: number }
  | { readonly type: 'cancelDeadlineTimer' }
  | { readonly type: 'drain' }
  /** The request ended without an exit (cancelled or failed): give back the turn it may hold. */
  | { readonly type: 'releaseTurn' }
  /**
   * pm2's stop arrived during the drain: end the drain's `min_uptime` wait now (pm2 is stopping the
   * process anyway) and stop the hooks that run in `stopHooksInMs` (the end of pm2's budget).
   */
  | { readonly type: 'hurryDrain'; readonly stopHooksInMs: number }
  | { readonly type: 'exit' }
  | {
      readonly type: 'exitNow';
      readonly signal: string;
      readonly fromPm2: boolean;
      /** `second <signal>`, or the reason of the restart whose exit was under way. */
      readonly reason: string;
      /** True when it is a second delivery during pm2's stop (not the daemon's stop of our own restart). */
      readonly second: boolean;
    }
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
