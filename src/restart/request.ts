/**
 * A pending restart (or shutdown) request and how requests merge. Pure: the machine keeps the request
 * in its state, so merging a second request is a transition, not bookkeeping beside the machine.
 */
import type { PlannedRestart } from './planned-restart.js';
import type { RecordTarget } from './record-target.js';
import type { ExitHook } from './run-hooks.js';

/** `restart`: come back as a new process. `shutdown`: pm2 is stopping or restarting us; just exit. */
export type RequestKind = 'restart' | 'shutdown';

/** What to do when a deferral outlives its deadline: restart anyway, or drop the request. */
export type DeadlinePolicy = 'force' | 'giveUp';

/** The options one caller gives a restart request, validated and completed. */
export interface RequestOptions {
  readonly reason: string;
  /** Longest wait for running tasks; null waits as long as they run. */
  readonly deadlineMs: number | null;
  readonly onDeadline: DeadlinePolicy;
  readonly refuseNewTasks: boolean;
  readonly hooks: readonly ExitHook[];
  readonly hooksTimeoutMs: number;
  readonly allowPlainExit: boolean;
}

/** A restart (or shutdown) that has been asked for, with every caller's options merged. */
export interface PendingRequest {
  /** Numbers requests, so a late answer to an old request's plan is told apart. */
  readonly id: number;
  readonly kind: RequestKind;
  readonly reason: string;
  /** For a shutdown: what delivered it (`SIGINT`, `SIGTERM`, `message`). */
  readonly signal: string | null;
  /** For a shutdown: true when pm2 sent it, false for a signal outside pm2. */
  readonly fromPm2: boolean;
  /** Epoch ms (the wall clock) when it was asked: shown to people and written in restart records. */
  readonly requestedAt: number;
  /**
   * When the deadline policy applies, on the clock's monotonic time (`monotonicNow`, as every `…At`
   * below but `requestedAt`); null for no deadline.
   */
  readonly deadlineAt: number | null;
  readonly onDeadline: DeadlinePolicy;
  /** Refuse tasks begun while this request waits (true if any caller asked). */
  readonly refuseNewTasks: boolean;
  /** True once the deadline forced the request past running tasks. */
  readonly forced: boolean;
  /** The hooks to run before the exit, each function once. */
  readonly hooks: readonly ExitHook[];
  /** Budget of the hooks: the largest any caller gave. */
  readonly hooksTimeoutMs: number;
  /** Exit even outside pm2 (true if any caller allowed it). */
  readonly allowPlainExit: boolean;
  /** When pm2's stop budget (kill_timeout less a margin) runs out (monotonic); null for a self restart. */
  readonly hardStopAt: number | null;
  /** The plan once made, and when (monotonic). */
  readonly plan: PlannedRestart | null;
  readonly plannedAt: number | null;
  /** The pm_id and restart count to record a pm2 stop under (no plan is made for one). */
  readonly recordAs: RecordTarget | null;
  /**
   * `needed`: a turn must be taken before the instance stops taking work; `held`: taken; `givenBack`:
   * held past its hold (`turnHoldMs`) while tasks ran, given back, asked again once no task runs; `none`: not needed.
   */
  readonly turn: 'none' | 'needed' | 'held' | 'givenBack';
  /** Since when the request waits for its turn (monotonic); null when it does not. */
  readonly waitingTurnSince: number | null;
  /** When the turn was taken (monotonic), while it is held; null otherwise. */
  readonly turnTakenAt: number | null;
  /** How often the turn was given back after a hold ran out; each hold lasts twice the last one. */
  readonly turnsGivenBack: number;
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
  if (a.deadlineAt === null) return { deadlineAt: null, onDeadline: a.onDeadline };
  if (b.deadlineAt === null) return { deadlineAt: null, onDeadline: b.onDeadline };
  return { deadlineAt: Math.max(a.deadlineAt, b.deadlineAt), onDeadline: 'giveUp' };
}

/** `hooks` followed by those of `more` not already in it: the same function runs once. */
export function mergeHooks(hooks: readonly ExitHook[], more: readonly ExitHook[]): readonly ExitHook[] {
  const added = more.filter((hook, index) => !hooks.includes(hook) && more.indexOf(hook) === index);
  return added.length === 0 ? hooks : [...hooks, ...added];
}

/** The request a first caller opens, at the monotonic `at` and the wall clock's `wallAt`. */
export function openRequest(id: number, at: number, wallAt: number, options: RequestOptions): PendingRequest {
  return {
    id,
    kind: 'restart',
    reason: options.reason,
    signal: null,
    fromPm2: false,
    requestedAt: wallAt,
    deadlineAt: options.deadlineMs === null ? null : at + options.deadlineMs,
    onDeadline: options.onDeadline,
    refuseNewTasks: options.refuseNewTasks,
    forced: false,
    hooks: mergeHooks([], options.hooks),
    hooksTimeoutMs: options.hooksTimeoutMs,
    allowPlainExit: options.allowPlainExit,
    hardStopAt: null,
    plan: null,
    plannedAt: null,
    recordAs: null,
    turn: 'none',
    waitingTurnSince: null,
    turnTakenAt: null,
    turnsGivenBack: 0,
  };
}

/**
 * A later caller's options merged into a pending request: the first reason stays; deadlines merge by
 * {@link mergeDeadlines}; `refuseNewTasks` and `allowPlainExit` hold if any caller set them; hooks are
 * added once each; the hooks' budget is the largest given.
 */
export function mergeRequest(request: PendingRequest, at: number, options: RequestOptions): PendingRequest {
  const deadline = mergeDeadlines(request, {
    deadlineAt: options.deadlineMs === null ? null : at + options.deadlineMs,
    onDeadline: options.onDeadline,
  });
  return {
    ...request,
    ...deadline,
    refuseNewTasks: request.refuseNewTasks || options.refuseNewTasks,
    allowPlainExit: request.allowPlainExit || options.allowPlainExit,
    hooks: mergeHooks(request.hooks, options.hooks),
    hooksTimeoutMs: Math.max(request.hooksTimeoutMs, options.hooksTimeoutMs),
  };
}
