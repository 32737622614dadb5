import { OPERATOR_ACTIONS, OPERATOR_METRICS } from '../operator/action-protocol.js';
import { isLauncherScript } from '../identity/launchers.js';
import { readProcessList, type ProcessEntry } from '../pm2/process-list.js';
import { isRecord } from '../common/json-values.js';

/** One process of the daemon's list, with what `exposeToPm2()` published about it. */
export interface AppInstance {
  readonly entry: ProcessEntry;
  /** True when this process registered `pm2-self:restart` (it called `exposeToPm2()`). */
  readonly exposed: boolean;
  /**
   * The `pm2-self ready` metric: true once the process is ready for work (a `wait_ready` app: after
   * its `process.send('ready')`), false before; null when it sent none (an app on an older pm2-self).
   */
  readonly ready: boolean | null;
  /** The metrics it sent; null when it sent none (yet). */
  readonly restartState: string | null;
  readonly runningTasks: number | null;
  /** How many running tasks are older than the app's `staleTaskMs`; null when it never had one. */
  readonly staleTasks: number | null;
  readonly lastRestart: string | null;
  /** The health summary and loop delay it sent (a health check or watchdog runs); else null. */
  readonly health: string | null;
  readonly loopDelayMs: number | null;
  /**
   * The launcher pm2 runs instead of the app (`npm`, `sh`, `yarn`, ...), or null. Such an app has
   * no IPC channel to pm2, so its `exposeToPm2()` cannot register anything.
   */
  readonly launcher: string | null;
}

/** The launcher an entry runs: its script or its interpreter (`npm`, `bash`), by base name; else null. */
function launcherOf(env: Record<string, unknown>): string | null {
  for (const path of [env.pm_exec_path, env.exec_interpreter]) {
    if (typeof path === 'string' && isLauncherScript(path)) {
      return (path.split(/[\\/]/).pop() ?? path).replace(/\.(c?js|exe|cmd)$/i, '');
    }
  }
  return null;
}

/** Why an instance has no pm2-self actions, in a few words. Pure. */
export function describeNotExposed(instance: AppInstance): string {
  return instance.launcher === null
    ? 'did not call exposeToPm2()'
    : `has no IPC channel (launched through ${instance.launcher}?)`;
}

function metric(monitor: Record<string, unknown>, name: string): unknown {
  const value = monitor[name];
  return isRecord(value) ? value.value : undefined;
}

/** A count sent as a metric, or null when it is missing or not a whole number of at least 0. */
function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function readInstance(raw: unknown): AppInstance | null {
  const entry = readProcessList([raw]);
  if (!entry.ok || entry.entries[0] === undefined) return null;
  const env = isRecord(raw) && isRecord(raw.pm2_env) ? raw.pm2_env : {};
  const actions = Array.isArray(env.axm_actions) ? env.axm_actions : [];
  const monitor = isRecord(env.axm_monitor) ? env.axm_monitor : {};
  const state = metric(monitor, OPERATOR_METRICS.state);
  const tasks = metric(monitor, OPERATOR_METRICS.tasks);
  const stale = metric(monitor, OPERATOR_METRICS.staleTasks);
  const last = metric(monitor, OPERATOR_METRICS.lastRestart);
  const health = metric(monitor, OPERATOR_METRICS.health);
  const delay = metric(monitor, OPERATOR_METRICS.loopDelay);
  const ready = metric(monitor, OPERATOR_METRICS.ready);
  return {
    entry: entry.entries[0],
    exposed: actions.some((action) => isRecord(action) && action.action_name === OPERATOR_ACTIONS.restart),
    ready: ready === 'yes' ? true : ready === 'no' ? false : null,
    restartState: typeof state === 'string' ? state : null,
    runningTasks: count(tasks),
    staleTasks: count(stale),
    lastRestart: typeof last === 'string' ? last : null,
    launcher: launcherOf(env),
    health: typeof health === 'string' ? health : null,
    loopDelayMs: typeof delay === 'number' && Number.isFinite(delay) && delay >= 0 ? delay : null,
  };
}

/** Reads the daemon's `getMonitorData` reply; entries that cannot be read are left out. Pure. */
export function readAppInstances(value: unknown): AppInstance[] | null {
  if (!Array.isArray(value)) return null;
  return value.map(readInstance).filter((instance): instance is AppInstance => instance !== null);
}

/**
 * The instances a target names, by pm_id order: `all`, a pm_id, an app name or a namespace (as
 * `pm2 trigger` matches them). Pure.
 */
export function selectInstances(instances: readonly AppInstance[], target: string): AppInstance[] {
  const byId = /^\d+$/.test(target) ? Number(target) : null;
  return instances
    .filter(
      ({ entry }) =>
        target === 'all' || entry.pmId === byId || entry.name === target || entry.namespace === target,
    )
    .sort((a, b) => a.entry.pmId - b.entry.pmId);
}
