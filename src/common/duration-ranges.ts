/**
 * The allowed range of every duration option, in milliseconds, in one table: each option's smallest
 * sane value and its largest. `checkDuration` reads it by the option's name, so every function that
 * takes the option refuses the same values with the same words.
 */

/** The longest delay Node's timers keep (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const LONGEST_TIMER_MS = 2_147_483_647;

/** The smallest and largest allowed value of a duration, in milliseconds (both allowed). */
export interface DurationRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/** A range from `minMs` up to the longest timer. */
const atLeast = (minMs: number): DurationRange => ({ minMs, maxMs: LONGEST_TIMER_MS });

/**
 * Why each minimum: work that must have time to happen (a daemon query, a hook, a health check, a
 * look at the process) gets at least 100 ms; a task is not stale, and an uptime limit not reached,
 * before 1 s (shorter would warn on every task, or restart in a loop); `0` keeps its documented
 * meaning where it has one (no cache, no deadline, no reserve, no margin, no jitter, one sample).
 * A daemon query longer than 10 minutes would hold every caller for nothing, so it stops there.
 * `marginMs` covers the moment between this process's exit and pm2's SIGKILL timer (a few hundred ms):
 * past a minute it only eats pm2's `kill_timeout` (a margin past it leaves the stop 0 ms); a hooks
 * reserve past 10 minutes is longer than any stop worth waiting for.
 */
export const DURATION_RANGES_MS = {
  queryTimeoutMs: { minMs: 100, maxMs: 600_000 },
  cacheTtlMs: atLeast(0),
  livenessIntervalMs: atLeast(100),
  staleTaskMs: atLeast(1_000),
  deadlineMs: atLeast(0),
  hooksTimeoutMs: atLeast(100),
  hooksReserveMs: { minMs: 0, maxMs: 600_000 },
  marginMs: { minMs: 0, maxMs: 60_000 },
  sustainedForMs: atLeast(0),
  checkEveryMs: atLeast(100),
  maxUptimeMs: atLeast(1_000),
  jitterMs: atLeast(0),
  eventLoopBlockedForMs: atLeast(100),
  unhealthyForMs: atLeast(0),
  checkTimeoutMs: atLeast(100),
} as const satisfies Record<string, DurationRange>;

/** The name of a duration option. */
export type DurationName = keyof typeof DURATION_RANGES_MS;

/** The allowed range as words: `a number of milliseconds from 100 to 600000`. */
export function describeRange(range: DurationRange): string {
  return `a number of milliseconds from ${range.minMs} to ${range.maxMs}`;
}
