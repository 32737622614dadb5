/**
 * The driver of a health-check policy: runs the check every `checkEveryMs` (unref'd timers of the
 * clock: it never keeps the process alive), each under `checkTimeoutMs`, and asks for a graceful
 * restart once the check has failed without a break for `unhealthyForMs`. The restart waits for tasks,
 * runs hooks and takes turns like any other. Nothing is asked within pm2's `min_uptime` or while a
 * request is pending. After a refusal the checks go on (events, `getHealth()`); a refusal that can
 * change (the daemon did not answer) is asked again after a back-off (doubling from `checkEveryMs`, up
 * to 60 s), a permanent one (outside pm2, not tracked) never.
 */
import { debug } from '../common/debug.js';
import { isPermanentRefusal, retryDelayMs } from './refusal-backoff.js';
import type { Clock, TimerHandle } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { RestartOutcome } from '../restart/restart-outcome.js';
import {
  describeAnswer,
  describeThrown,
  NO_CHECK_YET,
  recordCheck,
  type CheckResult,
  type HealthPlan,
  type HealthWatch,
} from './health-check.js';

/** What the driver needs from the process and from a pm2-self instance. */
export interface HealthTarget {
  readonly clock: Clock;
  uptimeSeconds(): number;
  /** pm2's `min_uptime` for this app (its default when unknown). */
  minUptimeMs(): number;
  hasPendingRestart(): boolean;
  /** Asks for the restart with the policy's restart options and this reason. */
  restart(reason: string): Promise<RestartOutcome>;
  /**
   * Every new watch, the change it brings (for events and `getHealth()`), how late the check's timer
   * fired (the event loop's delay), and with `healthy` how long the check had failed (else null).
   */
  update(
    watch: HealthWatch,
    change: 'unhealthy' | 'healthy' | null,
    lateMs: number,
    failedForMs: number | null,
  ): void;
}

/** Runs the check once; settles with its result, never rejects. */
export function runCheck(plan: HealthPlan, clock: Clock): Promise<CheckResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      const at = clock.now();
      const mono = monotonicNow(clock);
      resolve(error === null ? { ok: true, at, mono } : { ok: false, at, mono, error });
    };
    const timer: TimerHandle = clock.setTimeout(
      () => finish(`no answer within ${plan.checkTimeoutMs} ms`),
      plan.checkTimeoutMs,
    );
    try {
      Promise.resolve(plan.check()).then(
        (answer) => finish(describeAnswer(answer)),
        (thrown) => finish(describeThrown(thrown)),
      );
    } catch (thrown) {
      finish(describeThrown(thrown));
    }
  });
}

/** Starts checking under `plan`; returns the stop function. */
export function watchHealth(plan: HealthPlan, target: HealthTarget): () => void {
  const { clock } = target;
  let watch: HealthWatch = NO_CHECK_YET;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let refused = false;
  /** Refusals in a row, and the earliest moment to ask again after the last one. */
  let refusals = 0;
  let retryAt = 0;

  const schedule = () => {
    if (stopped) return;
    const setAt = monotonicNow(clock);
    timer = clock.setTimeout(
      () => void check(Math.max(0, Math.round(monotonicNow(clock) - setAt - plan.checkEveryMs))),
      plan.checkEveryMs,
    );
  };

  const check = async (lateMs: number) => {
    timer = undefined;
    if (stopped) return;
    const result = await runCheck(plan, clock);
    if (stopped) return;
    const step = recordCheck(plan, watch, result);
    watch = step.watch;
    target.update(watch, step.change, lateMs, step.failedForMs);
    const early = target.uptimeSeconds() * 1000 < target.minUptimeMs();
    const backingOff = monotonicNow(clock) < retryAt;
    if (step.reason === null || refused || early || backingOff || target.hasPendingRestart())
      return schedule();
    debug('health: %s', step.reason);
    schedule();
    const outcome = await target.restart(step.reason);
    if (outcome.status !== 'refused') {
      refusals = 0;
      return;
    }
    if (isPermanentRefusal(outcome.code)) {
      debug('health: no more restarts asked, the restart was refused (%s)', outcome.code);
      refused = true;
      return;
    }
    refusals += 1;
    const delayMs = retryDelayMs(plan.checkEveryMs, refusals);
    retryAt = monotonicNow(clock) + delayMs;
    debug('health: refused (%s), asking again in %d ms', outcome.code, delayMs);
  };

  schedule();
  return () => {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
}
