import { summarizeHealth, type HealthSnapshot } from '../policy/health-snapshot.js';
import type { RestartState } from '../restart/machine.js';
import type { RestartRecord } from '../restart/restart-record.js';
import { OPERATOR_METRICS } from './action-protocol.js';

/** Metric values as pm2 stores them (`axm_monitor`): strings, booleans, finite numbers. */
export type MetricValues = Readonly<
  Record<string, { readonly value: string | number; readonly unit?: string }>
>;

/**
 * The metrics of the current state: restart phase, running tasks, last restart reason; the number
 * of stale tasks when `staleTasks` is not null (from the first stale task on, so that a count back
 * at 0 is sent too); whether the process is ready for work, when `ready` is not null; and, while
 * `restartWhen()` runs a health check or a watchdog, the health summary and the loop delay (in 10 ms
 * steps, so that jitter alone sends nothing). Pure.
 */
export function operatorMetrics(
  state: RestartState,
  lastRestart: RestartRecord | null,
  health: HealthSnapshot | null = null,
  staleTasks: number | null = null,
  ready: boolean | null = null,
): MetricValues {
  const metrics = {
    ...(ready === null ? {} : { [OPERATOR_METRICS.ready]: { value: ready ? 'yes' : 'no' } }),
    [OPERATOR_METRICS.state]: { value: state.phase },
    [OPERATOR_METRICS.tasks]: { value: state.tasks },
    [OPERATOR_METRICS.lastRestart]: { value: lastRestart === null ? 'none' : lastRestart.reason },
    ...(staleTasks === null ? {} : { [OPERATOR_METRICS.staleTasks]: { value: staleTasks } }),
  };
  const summary = health === null ? null : summarizeHealth(health);
  if (health === null || summary === null) return metrics;
  const delay = health.loopDelayMs === null ? -1 : Math.round(health.loopDelayMs / 10) * 10;
  return {
    ...metrics,
    [OPERATOR_METRICS.health]: { value: summary },
    [OPERATOR_METRICS.loopDelay]: { value: delay, unit: 'ms' },
  };
}

/** The metrics of `next` whose value differs from `previous` (all of them when there is none). Pure. */
export function changedMetrics(previous: MetricValues | null, next: MetricValues): MetricValues | null {
  const changed = Object.entries(next).filter(([name, metric]) => previous?.[name]?.value !== metric.value);
  return changed.length === 0 ? null : Object.fromEntries(changed);
}
