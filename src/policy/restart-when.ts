/**
 * The driver of a self-restart policy: looks at this process every `checkEveryMs` (an unref'd timer of
 * the clock: it never keeps the process alive), and asks for a graceful restart when a limit is
 * crossed. It never asks while a request is pending, nor within pm2's `min_uptime`. A refused restart
 * (each refusal is reported through the controller's `refused` event) is asked again with back-off,
 * doubling from `checkEveryMs` up to 60 s, unless the refusal is permanent (not under pm2, not the
 * process pm2 tracks): then the policy stops.
 */
import { debug } from '../common/debug.js';
import type { Clock, TimerHandle } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { RestartOutcome } from '../restart/restart-outcome.js';
import { isPermanentRefusal, retryDelayMs } from './refusal-backoff.js';
import { evaluatePolicy, QUIET, type PolicyPlan, type PolicyWatch } from './restart-policy.js';

/** What the driver needs from the process and from a pm2-self instance. */
export interface PolicyTarget {
  readonly clock: Clock;
  /** Seconds this process has run. */
  uptimeSeconds(): number;
  residentMemoryBytes(): number;
  heapUsedBytes(): number;
  /** pm2's `min_uptime` for this app (its default when unknown). */
  minUptimeMs(): number;
  hasPendingRestart(): boolean;
  /** Asks for the restart, with the policy's restart options and this reason. */
  restart(reason: string): Promise<RestartOutcome>;
}

/** Starts watching under `plan`; returns the stop function. */
export function watchPolicy(plan: PolicyPlan, target: PolicyTarget): () => void {
  const { clock } = target;
  let watch: PolicyWatch = QUIET;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const stop = () => {
    stopped = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };

  /** The reason refused last, asked again when the back-off ends; null while nothing was refused. */
  let retry: { reason: string; refusals: number } | null = null;

  const schedule = (delayMs = plan.checkEveryMs) => {
    if (!stopped) timer = clock.setTimeout(() => void check(), delayMs);
  };

  const ask = async (reason: string) => {
    const outcome = await target.restart(reason);
    if (stopped) return;
    if (outcome.status !== 'refused') {
      retry = null;
      return schedule();
    }
    if (isPermanentRefusal(outcome.code)) {
      debug('policy: stopped, the restart was refused (%s)', outcome.code);
      return stop();
    }
    const refusals = (retry?.refusals ?? 0) + 1;
    retry = { reason, refusals };
    const delayMs = retryDelayMs(plan.checkEveryMs, refusals);
    debug('policy: refused (%s), asking again in %d ms', outcome.code, delayMs);
    schedule(delayMs);
  };

  const check = async () => {
    timer = undefined;
    if (stopped) return;
    if (target.hasPendingRestart()) {
      // A request is under way (ours or another's): nothing to add; memory is watched afresh after it.
      watch = QUIET;
      retry = null;
      return schedule();
    }
    // A limit crossed and refused stays crossed: ask again without waiting for it to hold anew.
    if (retry !== null) return ask(retry.reason);
    const sample = {
      at: monotonicNow(clock),
      uptimeMs: Math.round(target.uptimeSeconds() * 1000),
      rssBytes: target.residentMemoryBytes(),
      heapUsedBytes: target.heapUsedBytes(),
      minUptimeMs: target.minUptimeMs(),
    };
    const evaluated = evaluatePolicy(plan, watch, sample);
    watch = evaluated.watch;
    if (evaluated.reason === null) return schedule();
    debug('policy: %s', evaluated.reason);
    watch = QUIET;
    await ask(evaluated.reason);
  };

  schedule();
  return stop;
}
