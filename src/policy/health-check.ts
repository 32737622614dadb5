/**
 * Health-check detection: the pure core of `restartWhen({ healthCheck, unhealthyForMs })`. One check's
 * result goes in with the current watch; the next watch, the change to announce (`unhealthy`,
 * `healthy`) and the reason to restart (or null) come out. The driver in `watch-health.ts` runs the
 * checks on a timer.
 */
import { invalidOption } from '../common/errors.js';
import { checkDuration } from '../common/option-checks.js';

/** The health check: true is healthy; false, a throw, a rejection or no answer in time is failing. */
export type HealthCheck = () => boolean | Promise<boolean>;

/** The health-check part of a policy. */
export interface HealthCheckLimits {
  /** The check, run every `checkEveryMs`. */
  healthCheck?: HealthCheck;
  /** How long the check must fail without a break before the restart. @defaultValue `30000` */
  unhealthyForMs?: number;
  /** A check that has not settled after this long counts as failing. @defaultValue `5000` */
  checkTimeoutMs?: number;
}

/** The health-check defaults. */
export const HEALTH_DEFAULTS = { unhealthyForMs: 30_000, checkTimeoutMs: 5_000 } as const;

/** {@link HealthCheckLimits} checked and completed. */
export interface HealthPlan {
  readonly check: HealthCheck;
  readonly unhealthyForMs: number;
  readonly checkTimeoutMs: number;
  readonly checkEveryMs: number;
  /** This process's share of the policy's `jitterMs`, added to `unhealthyForMs`. */
  readonly jitterMs: number;
}

/**
 * Refuses `unhealthyForMs` or `checkTimeoutMs` without the `healthCheck` they time, naming what is missing.
 * @throws TypeError
 */
export function checkHealthCheckGiven(limits: HealthCheckLimits): void {
  if (limits.healthCheck !== undefined) return;
  const given = (['unhealthyForMs', 'checkTimeoutMs'] as const).filter((key) => limits[key] !== undefined);
  if (given.length === 0) return;
  const names = given.join(' and ');
  throw new TypeError(
    `Expected \`healthCheck\` to be a function when ${names} ${given.length === 1 ? 'is' : 'are'} given, got none: ${names} ${given.length === 1 ? 'times' : 'time'} the health check, and restartWhen() was given no check`,
  );
}

/**
 * Checks the health-check options; null when the policy has no `healthCheck`.
 * @throws TypeError when an option is invalid, or when `unhealthyForMs`/`checkTimeoutMs` come without a check.
 */
export function planHealth(
  limits: HealthCheckLimits,
  checkEveryMs: number,
  jitterMs: number,
): HealthPlan | null {
  checkDuration('unhealthyForMs', limits.unhealthyForMs);
  checkDuration('checkTimeoutMs', limits.checkTimeoutMs);
  checkHealthCheckGiven(limits);
  if (limits.healthCheck === undefined) return null;
  if (typeof limits.healthCheck !== 'function')
    invalidOption('healthCheck', 'a function', limits.healthCheck);
  return {
    check: limits.healthCheck,
    unhealthyForMs: limits.unhealthyForMs ?? HEALTH_DEFAULTS.unhealthyForMs,
    checkTimeoutMs: limits.checkTimeoutMs ?? HEALTH_DEFAULTS.checkTimeoutMs,
    checkEveryMs,
    jitterMs,
  };
}

/**
 * One check's result, at the time it was known: `at` on the wall clock (epoch ms, to show), `mono` on
 * the monotonic one (`monotonicNow`, to measure how long the check has failed).
 */
export type CheckResult =
  | { readonly ok: true; readonly at: number; readonly mono: number }
  | { readonly ok: false; readonly at: number; readonly mono: number; readonly error: string };

/** What the checks have shown so far. */
export interface HealthWatch {
  /** When the last check's result was known (epoch ms), or null before the first. */
  readonly lastCheckAt: number | null;
  readonly lastOk: boolean | null;
  /** Since when the check has failed without a break (the first failing result, epoch ms), or null. */
  readonly failingSince: number | null;
  /** The same moment on the monotonic clock: how long the check has failed is measured from it. */
  readonly failingSinceMono: number | null;
  /** Why the last failing check failed, or null. */
  readonly lastError: string | null;
}

/** A watch before the first check. */
export const NO_CHECK_YET: HealthWatch = {
  lastCheckAt: null,
  lastOk: null,
  failingSince: null,
  failingSinceMono: null,
  lastError: null,
};

/** What one result changes. */
export interface HealthStep {
  readonly watch: HealthWatch;
  /** `unhealthy` on the first failure after a pass (or the start), `healthy` on a pass after failures. */
  readonly change: 'unhealthy' | 'healthy' | null;
  /** `health check failing for N ms: <last error>` once the failure has lasted long enough; else null. */
  readonly reason: string | null;
  /** With `healthy`: how long the check had failed; else null. */
  readonly failedForMs: number | null;
}

/** Takes one result into the watch. Pure. */
export function recordCheck(plan: HealthPlan, watch: HealthWatch, result: CheckResult): HealthStep {
  if (result.ok) {
    const next = { ...NO_CHECK_YET, lastCheckAt: result.at, lastOk: true };
    if (watch.failingSinceMono === null)
      return { watch: next, change: null, reason: null, failedForMs: null };
    const failedForMs = Math.max(0, Math.round(result.mono - watch.failingSinceMono));
    return { watch: next, change: 'healthy', reason: null, failedForMs };
  }
  const next = {
    lastCheckAt: result.at,
    lastOk: false,
    failingSince: watch.failingSince ?? result.at,
    failingSinceMono: watch.failingSinceMono ?? result.mono,
    lastError: result.error,
  };
  const change = watch.failingSinceMono === null ? 'unhealthy' : null;
  const failingMs = Math.round(result.mono - next.failingSinceMono);
  const reason =
    failingMs >= plan.unhealthyForMs + plan.jitterMs
      ? `health check failing for ${failingMs} ms: ${result.error}`
      : null;
  return { watch: next, change, reason, failedForMs: null };
}

/** Why a check's answer counts as failing, or null when it is `true`. Pure. */
export function describeAnswer(answer: unknown): string | null {
  if (answer === true) return null;
  if (answer === false) return 'returned false';
  return `returned ${typeof answer === 'string' ? JSON.stringify(answer.slice(0, 100)) : String(answer)}, not a boolean`;
}

/** A thrown value as one line of text (at most 300 characters). Pure. */
export function describeThrown(thrown: unknown): string {
  const text = thrown instanceof Error ? thrown.message || thrown.name : String(thrown);
  const line = `threw: ${text.split('\n')[0] ?? ''}`;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
