import type { ProcessEntry } from './process-list.js';
import type { RestartSettings } from './restart-settings.js';

/** A value {@link readProcessList} reads back as `'unknown'`: no parser accepts it. */
const UNREADABLE = 'unknown';

/** JSON drops `undefined`: a null field becomes an absent key, which reads back as null. */
const orAbsent = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

function settingKeys(settings: RestartSettings): Record<string, unknown> {
  return {
    autorestart: settings.autorestart,
    // An unknown list is written as the bare word, which no exit-code parser accepts.
    stop_exit_codes: settings.stopExitCodes === 'unknown' ? UNREADABLE : settings.stopExitCodes,
    min_uptime: settings.minUptimeMs,
    max_restarts: settings.maxRestarts,
    kill_timeout: settings.killTimeoutMs,
    restart_delay: settings.restartDelayMs,
    exp_backoff_restart_delay: orAbsent(settings.expBackoffRestartDelayMs),
    shutdown_with_message: settings.shutdownWithMessage,
    wait_ready: settings.waitReady,
  };
}

function compactEntry(entry: ProcessEntry): Record<string, unknown> {
  return {
    pid: entry.pid,
    pm_id: entry.pmId,
    name: entry.name,
    monit: { memory: orAbsent(entry.memoryBytes), cpu: orAbsent(entry.cpuPercent) },
    pm2_env: {
      status: entry.status,
      namespace: orAbsent(entry.namespace),
      exec_mode: entry.execMode === null ? undefined : `${entry.execMode}_mode`,
      NODE_APP_INSTANCE: orAbsent(entry.instance),
      restart_time: orAbsent(entry.restarts),
      unstable_restarts: orAbsent(entry.unstableRestarts),
      pm_uptime: orAbsent(entry.startedAt),
      exec_interpreter: orAbsent(entry.interpreter),
      ...settingKeys(entry.settings),
    },
  };
}

/**
 * Curated entries back in pm2's list shape, with only the keys {@link readProcessList} reads and no
 * environment value: `readProcessList(JSON.parse(JSON.stringify(compactProcessList(entries))))` gives
 * back equal entries. About 400 bytes per process, against pm2's 5-6 KB.
 */
export function compactProcessList(entries: readonly ProcessEntry[]): unknown[] {
  return entries.map(compactEntry);
}
