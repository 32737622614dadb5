import type { RestartSettings } from '../pm2/restart-settings.js';

/**
 * How the watchdog ends a blocked process so that pm2 brings it back. Pure.
 * - `kill`: SIGKILL. pm2 records a signal death as exit code 0 (and a wrapper shell exits with 137),
 *   so this needs `autorestart` on and neither 0 nor 137 among the known `stop_exit_codes`.
 * - `daemon`: otherwise (`autorestart: false`, stop codes that include 0, or settings unknown): the
 *   daemon is asked to restart this pm_id, as `gracefulRestart` would.
 */
export function watchdogEnd(settings: RestartSettings): 'kill' | 'daemon' {
  if (settings.autorestart !== true || settings.stopExitCodes === 'unknown') return 'daemon';
  return settings.stopExitCodes.some((code) => code === 0 || code === 137) ? 'daemon' : 'kill';
}
