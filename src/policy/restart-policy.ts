/**
 * Self-restart policies: when this process should ask for its own graceful restart (memory held too
 * long, or uptime reached). Pure: a sample of the process goes in, the next watch state and the reason
 * to restart (or null) come out. The driver in `restart-when.ts` takes samples on a timer.
 */
import { describeReceived } from '../common/describe-received.js';
import { invalidOption } from '../common/errors.js';
import { checkDuration } from '../common/option-checks.js';
import { checkHealthCheckGiven, type HealthCheckLimits } from './health-check.js';

/**
 * The limits of a self-restart policy, all optional; at least one of `rssAboveBytes`,
 * `heapUsedAboveBytes`, `maxUptimeMs`, `healthCheck` or `eventLoopBlockedForMs` is required.
 */
export interface RestartPolicyLimits extends HealthCheckLimits {
  /**
   * Restart when the event loop has sent no heartbeat for this long (at least 100 ms). A watchdog
   * thread watches it; it arms at the loop's first turn and never fires while an inspector is open.
   * The restart is immediate (the loop is stuck: no tasks, hooks or turns); it leaves the record.
   */
  eventLoopBlockedForMs?: number;
  /** Restart when the resident set size stays above this many bytes for `sustainedForMs`. */
  rssAboveBytes?: number;
  /** Restart when the V8 heap in use stays above this many bytes for `sustainedForMs`. */
  heapUsedAboveBytes?: number;
  /** How long a memory limit must hold before it counts (not one sample). @defaultValue `30000` */
  sustainedForMs?: number;
  /** How often the process looks at itself (and runs the health check). @defaultValue `5000` */
  checkEveryMs?: number;
  /** Restart once the process has run this long. */
  maxUptimeMs?: number;
  /**
   * A random extra delay per process, from 0 up to this, added to `maxUptimeMs`, `sustainedForMs` and `unhealthyForMs`,
   * so that the instances of an app do not all restart together. @defaultValue `0`
   */
  jitterMs?: number;
}

/** {@link RestartPolicyLimits} checked and completed, with this process's jitter drawn. */
export interface PolicyPlan {
  readonly rssAboveBytes: number | null;
  readonly heapUsedAboveBytes: number | null;
  readonly sustainedForMs: number;
  readonly checkEveryMs: number;
  readonly maxUptimeMs: number | null;
  /** This process's share of `jitterMs`. */
  readonly jitterMs: number;
}

/** The policy's defaults. */
export const POLICY_DEFAULTS = { sustainedForMs: 30_000, checkEveryMs: 5_000, jitterMs: 0 } as const;

function checkBytes(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    invalidOption(name, 'a positive whole number of bytes', value);
  }
}

/**
 * Checks a policy and draws this process's jitter (`random()` in [0, 1)).
 * @throws TypeError when a limit is invalid, or when none of the three limits is given.
 */
export function planPolicy(limits: RestartPolicyLimits, random: () => number): PolicyPlan {
  checkBytes('rssAboveBytes', limits.rssAboveBytes);
  checkBytes('heapUsedAboveBytes', limits.heapUsedAboveBytes);
  for (const name of ['sustainedForMs', 'maxUptimeMs', 'jitterMs', 'checkEveryMs'] as const)
    checkDuration(name, limits[name]);
  const blocked = limits.eventLoopBlockedForMs;
  checkDuration('eventLoopBlockedForMs', blocked);
  checkHealthCheckGiven(limits);
  const any = [
    limits.rssAboveBytes,
    limits.heapUsedAboveBytes,
    limits.maxUptimeMs,
    limits.healthCheck,
    blocked,
  ].some((v) => v !== undefined);
  if (!any)
    throw new TypeError(
      `Expected the policy of restartWhen() to set a limit (rssAboveBytes, heapUsedAboveBytes, maxUptimeMs, healthCheck or eventLoopBlockedForMs), got ${describeReceived(limits)}`,
    );
  return {
    rssAboveBytes: limits.rssAboveBytes ?? null,
    heapUsedAboveBytes: limits.heapUsedAboveBytes ?? null,
    sustainedForMs: limits.sustainedForMs ?? POLICY_DEFAULTS.sustainedForMs,
    checkEveryMs: limits.checkEveryMs ?? POLICY_DEFAULTS.checkEveryMs,
    maxUptimeMs: limits.maxUptimeMs ?? null,
    jitterMs: Math.floor(random() * (limits.jitterMs ?? POLICY_DEFAULTS.jitterMs)),
  };
}

/** True when the plan has a memory or uptime limit to watch. Pure. */
export function hasLimits(plan: PolicyPlan): boolean {
  return plan.rssAboveBytes !== null || plan.heapUsedAboveBytes !== null || plan.maxUptimeMs !== null;
}

/** One look at this process. */
export interface PolicySample {
  /** When it was taken, on the monotonic clock (`monotonicNow`): limits held are measured from it. */
  readonly at: number;
  readonly uptimeMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** pm2's `min_uptime`: nothing is asked for before the process has run this long. */
  readonly minUptimeMs: number;
}

/** Since when each memory limit has held (monotonic, as {@link PolicySample.at}), or null while it does not. */
export interface PolicyWatch {
  readonly rssAboveSince: number | null;
  readonly heapAboveSince: number | null;
}

/** A watch where no limit holds. */
export const QUIET: PolicyWatch = { rssAboveSince: null, heapAboveSince: null };

const KB = 1024;
const MB = 1024 * KB;

/**
 * A size in the unit that keeps it readable: `512 B`, `600 KB`, `1.5 MB`, `612 MB` (one decimal
 * below 10 MB, so a limit under 1 MB never prints as `0 MB`).
 */
export function describeBytes(bytes: number): string {
  if (bytes < KB) return `${Math.round(bytes)} B`;
  if (bytes < MB) return `${Math.round(bytes / KB)} KB`;
  const mb = bytes / MB;
  return `${mb < 10 ? Math.round(mb * 10) / 10 : Math.round(mb)} MB`;
}

/** A duration in the largest whole unit that fits: `30 s`, `6 h`, `1500 ms`. */
export function describeDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return ms >= 10_000 ? `${Math.round(ms / 1_000)} s` : `${ms} ms`;
}

function since(previous: number | null, above: boolean, at: number): number | null {
  if (!above) return null;
  return previous ?? at;
}

/**
 * The next watch, and the reason to restart now (null: not now). The reason names the limit and the
 * measured value: `rss 612 MB > 512 MB for 30 s`, `uptime 6 h reached (max 6 h)`. Pure.
 */
export function evaluatePolicy(
  plan: PolicyPlan,
  watch: PolicyWatch,
  sample: PolicySample,
): { readonly watch: PolicyWatch; readonly reason: string | null } {
  const next: PolicyWatch = {
    rssAboveSince: since(
      watch.rssAboveSince,
      plan.rssAboveBytes !== null && sample.rssBytes > plan.rssAboveBytes,
      sample.at,
    ),
    heapAboveSince: since(
      watch.heapAboveSince,
      plan.heapUsedAboveBytes !== null && sample.heapUsedBytes > plan.heapUsedAboveBytes,
      sample.at,
    ),
  };
  if (sample.uptimeMs < sample.minUptimeMs) return { watch: next, reason: null };
  const sustained = plan.sustainedForMs + plan.jitterMs;
  const held = (from: number | null) => from !== null && sample.at - from >= sustained;
  const lasting = describeDuration(plan.sustainedForMs);
  if (held(next.rssAboveSince)) {
    const reason = `rss ${describeBytes(sample.rssBytes)} > ${describeBytes(plan.rssAboveBytes as number)} for ${lasting}`;
    return { watch: next, reason };
  }
  if (held(next.heapAboveSince)) {
    const limit = describeBytes(plan.heapUsedAboveBytes as number);
    return {
      watch: next,
      reason: `heapUsed ${describeBytes(sample.heapUsedBytes)} > ${limit} for ${lasting}`,
    };
  }
  if (plan.maxUptimeMs !== null && sample.uptimeMs >= plan.maxUptimeMs + plan.jitterMs) {
    const reason = `uptime ${describeDuration(sample.uptimeMs)} reached (max ${describeDuration(plan.maxUptimeMs)})`;
    return { watch: next, reason };
  }
  return { watch: next, reason: null };
}
