import type { MachineNotice } from './machine.js';
import type { HookFailure } from './run-hooks.js';
import type { RestartStrategy } from './strategy.js';
import type { TaskSnapshot } from './task-registry.js';

/** Whether the record for the next generation was written. */
export type RecordOutcome = 'written' | 'notWritten' | 'none';

/** Every event a restart controller publishes, by name. */
export interface RestartEvents {
  /** A restart or shutdown was asked for; `coalesced` when one was already pending. */
  requested: Extract<MachineNotice, { type: 'requested' }>;
  /** The request waits for running tasks. */
  deferred: Extract<MachineNotice, { type: 'deferred' }>;
  /** A deferred restart was dropped (cleared, or its deadline passed with `giveUp`). */
  cancelled: Extract<MachineNotice, { type: 'cancelled' }>;
  /** A deferral outlived its deadline. */
  deadlineReached: Extract<MachineNotice, { type: 'deadlineReached' }>;
  /** Tasks are done (or the deadline forced it): hooks run next. */
  draining: Extract<MachineNotice, { type: 'draining' }>;
  /**
   * This library's restart is being performed, with the strategy chosen. `record` says whether the
   * restart record for the next generation was written (`notWritten`: `PM2_HOME` is not writable by
   * this user, say; `none`: nothing to record, e.g. a plain exit outside pm2).
   */
  restarting: {
    readonly type: 'restarting';
    readonly reason: string;
    readonly strategy: RestartStrategy;
    readonly why: string;
    readonly record: RecordOutcome;
  };
  /**
   * pm2 stops or restarts this process (its signal or `'shutdown'` message arrived, and tasks and
   * hooks are done): the process exits now. From inside, a `pm2 stop` and a `pm2 restart` look the
   * same; whether the app comes back is pm2's decision.
   */
  exiting: {
    readonly type: 'exiting';
    /** `pm2`: pm2 sent it (this process is the one pm2 tracks); `signal`: a signal outside pm2 (Ctrl-C). */
    readonly initiator: 'pm2' | 'signal';
    /** What delivered the request: `SIGINT`, `SIGTERM` or `message`. */
    readonly signal: string;
    /** `pm2 <signal>` (or the bare signal), or the reason of the self-restart pending when it came. */
    readonly reason: string;
    readonly record: RecordOutcome;
    /** True when a second delivery cut the drain short: the exit is immediate, without hooks or record. */
    readonly secondSignal: boolean;
  };
  /** A restart was refused before anything was done; the process keeps running. */
  refused: Extract<MachineNotice, { type: 'refused' }>;
  /** Other instances of this multi-instance app are restarting: this request waits for its turn. */
  waitingTurn: { readonly type: 'waitingTurn'; readonly reason: string; readonly holders: number };
  /** The request had its turn after waiting `waitedMs`; it goes on. */
  turnTaken: { readonly type: 'turnTaken'; readonly reason: string; readonly waitedMs: number };
  /**
   * Hooks given to a request that joined one whose hooks already run (or whose exit is under way);
   * they never run.
   */
  hooksRejected: Extract<MachineNotice, { type: 'hooksRejected' }>;
  /** The restart could not be carried out at exit time; the process keeps running. */
  failed: Extract<MachineNotice, { type: 'failed' }>;
  /**
   * A pre-exit hook threw, rejected, ran out of its share of the time or was skipped (the budget was
   * spent); the next hooks and the exit go on. `hook` is its function name, else its position (`#2`);
   * `budgetMs` the time it had.
   */
  hookFailed: { readonly type: 'hookFailed'; readonly reason: string } & HookFailure;
  /**
   * A task has run longer than `staleTaskMs` (a forgotten `end()` defers a restart forever): its label,
   * start and running time. Once per task; the task shows `stale: true` in `runningTasks()`.
   */
  staleTask: { readonly type: 'staleTask' } & TaskSnapshot;
  /** The health check of `restartWhen()` failed after passing (or at its first run): why it failed. */
  unhealthy: { readonly type: 'unhealthy'; readonly error: string; readonly at: number };
  /** The health check passed again after failing for `failedForMs`. */
  healthy: { readonly type: 'healthy'; readonly failedForMs: number; readonly at: number };
}

/** The name of a restart event. */
export type RestartEventName = keyof RestartEvents;

const EVENT_SET = {
  requested: true,
  deferred: true,
  cancelled: true,
  deadlineReached: true,
  draining: true,
  restarting: true,
  exiting: true,
  refused: true,
  waitingTurn: true,
  turnTaken: true,
  hooksRejected: true,
  failed: true,
  hookFailed: true,
  staleTask: true,
  unhealthy: true,
  healthy: true,
} as const satisfies Record<RestartEventName, true>;

/** Every restart event's name (to log them all, say), in the order they usually come. */
export const RESTART_EVENT_NAMES = Object.keys(EVENT_SET) as readonly RestartEventName[];

/** The events of `restartWhen()`'s health check (a part of {@link RESTART_EVENT_NAMES}). */
export const HEALTH_EVENT_NAMES = ['unhealthy', 'healthy'] as const satisfies readonly RestartEventName[];

/** The name of a health event. */
export type HealthEventName = (typeof HEALTH_EVENT_NAMES)[number];

/** True for the name of a health event. */
export function isHealthEventName(name: string): name is HealthEventName {
  return (HEALTH_EVENT_NAMES as readonly string[]).includes(name);
}

/** A small typed event hub; listener errors are swallowed so they never break the machine. */
export interface EventHub {
  on<K extends RestartEventName>(name: K, listener: (event: RestartEvents[K]) => void): () => void;
  emit<K extends RestartEventName>(name: K, event: RestartEvents[K]): void;
}

/** Creates an {@link EventHub}. */
export function createEventHub(): EventHub {
  const listeners = new Map<RestartEventName, Set<(event: never) => void>>();
  return {
    on(name, listener) {
      const set = listeners.get(name) ?? new Set();
      set.add(listener as (event: never) => void);
      listeners.set(name, set);
      return () => {
        set.delete(listener as (event: never) => void);
      };
    },
    emit(name, event) {
      for (const listener of [...(listeners.get(name) ?? [])]) {
        try {
          (listener as (event: unknown) => void)(event);
        } catch {
          // A listener's failure is its own; the restart goes on.
        }
      }
    },
  };
}
