import type { RestartState } from '../restart/machine.js';
import type { RestartRecord } from '../restart/restart-record.js';
import { OPERATOR_METRICS } from './action-protocol.js';

/** Metric values as pm2 stores them (`axm_monitor`): strings, booleans, finite numbers. */
export type MetricValues = Readonly<Record<string, { readonly value: string | number }>>;

/** The metrics of the current state: restart phase, running tasks, last restart reason. Pure. */
export function operatorMetrics(state: RestartState, lastRestart: RestartRecord | null): MetricValues {
  return {
    [OPERATOR_METRICS.state]: { value: state.phase },
    [OPERATOR_METRICS.tasks]: { value: state.tasks },
    [OPERATOR_METRICS.lastRestart]: { value: lastRestart === null ? 'none' : lastRestart.reason },
  };
}

/** The metrics of `next` whose value differs from `previous` (all of them when there is none). Pure. */
export function changedMetrics(previous: MetricValues | null, next: MetricValues): MetricValues | null {
  const changed = Object.entries(next).filter(([name, metric]) => previous?.[name]?.value !== metric.value);
  return changed.length === 0 ? null : Object.fromEntries(changed);
}
