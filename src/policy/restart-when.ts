/**
 * The driver of a self-restart policy: looks at this process every `checkEveryMs` (an unref'd timer of
 * the clock: it never keeps the process alive), and asks for a graceful restart when a limit is
 * crossed. It never asks while a request is pending, nor within pm2's `min_uptime`; a refusal (outside
 * pm2, say) is reported once through the controller's `refused` event, and the policy stops.
 */
import { debug } from '../common/debug.js';
import type { Clock, TimerHandle } from '../ports/ports.js';
import type { RestartOutcome } from '../restart/restart-outcome.js';
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

  const schedule = () => {
    if (!stopped) timer = clock.setTimeout(() => void check(), plan.checkEveryMs);
  };

  const check = async () => {
    timer = undefined;
    if (stopped) return;
    if (target.hasPendingRestart()) {
      // A request is under way (ours or another's): nothing to add; memory is watched afresh after it.
      watch = QUIET;
      return schedule();
    }
    const sample = {
      at: clock.now(),
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
    const outcome = await target.restart(evaluated.reason);
    if (outcome.status === 'refused') {
      debug('policy: stopped, the restart was refused (%s)', outcome.code);
      return stop();
    }
    schedule();
  };

  schedule();
  return stop;
}
