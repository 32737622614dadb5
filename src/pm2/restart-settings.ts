import { PM2_DEFAULTS } from '../common/defaults.js';
import { parseBoolean, parseDurationMs, parseCount, parseExitCodes } from './parse-values.js';

/** A setting pm2 did not pass to this process, or passed in a form that cannot be read safely. */
export type Unknown = 'unknown';

/** The pm2 settings that decide whether an exit comes back, and how fast. */
export interface RestartSettings {
  /** False: pm2 never restarts an exit. */
  readonly autorestart: boolean | Unknown;
  /** Exit codes after which pm2 does not restart the app. */
  readonly stopExitCodes: readonly number[] | Unknown;
  /** An exit sooner than this after spawn counts as unstable. */
  readonly minUptimeMs: number | Unknown;
  /** Unstable exits before pm2 marks the app `errored` and stops restarting it. */
  readonly maxRestarts: number | Unknown;
  /** Time pm2 allows between SIGINT and SIGKILL when it stops the app. */
  readonly killTimeoutMs: number | Unknown;
  /** Fixed delay before pm2 restarts an exited app (0 = none). */
  readonly restartDelayMs: number | Unknown;
  /** Initial exponential back-off delay, or null when not configured. */
  readonly expBackoffRestartDelayMs: number | null | Unknown;
  /** pm2 sends the `'shutdown'` IPC message instead of SIGINT. */
  readonly shutdownWithMessage: boolean | Unknown;
  /** pm2 waits for `process.send('ready')` after a (re)start. */
  readonly waitReady: boolean | Unknown;
}

/**
 * Where the settings were read: the env of a fork-mode process (which omits array-valued settings),
 * the env of a cluster worker (which carries every key), or the daemon's own record.
 */
export type SettingsOrigin = 'forkEnv' | 'clusterEnv' | 'daemon';

function setting<T>(raw: unknown, parse: (value: unknown) => T | undefined, fallback: T): T | Unknown {
  if (raw === undefined || raw === null) return fallback;
  const parsed = parse(raw);
  return parsed === undefined ? 'unknown' : parsed;
}

/**
 * Reads {@link RestartSettings} from pm2 keys (`autorestart`, `stop_exit_codes`, `min_uptime`, ...).
 * A scalar absent from the source means pm2's default applies; `stop_exit_codes` absent from a
 * fork-mode env is `unknown`, because pm2 drops array values there (ForkMode.js).
 */
export function readRestartSettings(
  source: Readonly<Record<string, unknown>>,
  origin: SettingsOrigin,
): RestartSettings {
  const stopRaw = source.stop_exit_codes;
  return {
    autorestart: setting(source.autorestart, parseBoolean, true),
    stopExitCodes:
      stopRaw === undefined && origin === 'forkEnv' ? 'unknown' : setting(stopRaw, parseExitCodes, []),
    minUptimeMs: setting(source.min_uptime, parseDurationMs, PM2_DEFAULTS.minUptimeMs),
    maxRestarts: setting(source.max_restarts, parseCount, PM2_DEFAULTS.maxRestarts),
    killTimeoutMs: setting(source.kill_timeout, parseDurationMs, PM2_DEFAULTS.killTimeoutMs),
    restartDelayMs: setting(source.restart_delay, parseDurationMs, 0),
    expBackoffRestartDelayMs: setting<number | null>(source.exp_backoff_restart_delay, parseDurationMs, null),
    shutdownWithMessage: setting(source.shutdown_with_message, parseBoolean, false),
    waitReady: setting(source.wait_ready, parseBoolean, false),
  };
}
