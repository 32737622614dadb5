/**
 * Every default of pm2-self, in one place. Doc comments elsewhere cite these with `@defaultValue`,
 * and a test checks that they agree.
 */
export const DEFAULTS = {
  /** Environment variable read for an explicitly configured process name. */
  envVar: 'PM2_PROCESS_NAME',
  /** Environment variable naming the pm2 CLI to run. */
  binEnvVar: 'PM2_BIN',
  /** Time limit for one daemon query (RPC call or `pm2 jlist`), in milliseconds. */
  queryTimeoutMs: 5_000,
  /** How long a daemon query result is reused, in milliseconds. */
  cacheTtlMs: 1_000,
  /**
   * How often one process of a `PM2_HOME` pings the daemon for the heartbeat that lets live answers be
   * built locally, in milliseconds.
   */
  livenessIntervalMs: 5_000,
  /** Largest `pm2 jlist` output accepted, in bytes. */
  maxListBytes: 64 * 1024 * 1024,
  /** Time budget for the pre-exit hooks, in milliseconds. */
  hooksTimeoutMs: 5_000,
  /**
   * Time kept for the pre-exit hooks at the end of pm2's stop budget (tasks still running are cut
   * before it), in milliseconds; at most half the budget.
   */
  hooksReserveMs: 500,
  /**
   * A task running longer than this is reported once (`staleTask` event, `PM2SELF_STALE_TASK` warning),
   * in milliseconds.
   */
  staleTaskMs: 600_000,
  /** Margin kept below pm2's `kill_timeout` when draining on a signal, in milliseconds. */
  killTimeoutMarginMs: 300,
  /** Extra time waited past `min_uptime` before exiting, in milliseconds. */
  minUptimeMarginMs: 100,
  /**
   * After asking the daemon to restart this process, how long to wait beyond pm2's `kill_timeout` for
   * it to do so before giving up, in milliseconds.
   */
  daemonRestartGraceMs: 5_000,
  /**
   * How many instances of a multi-instance app (same name and namespace under one daemon) may be
   * restarting or not yet back online at once, for restarts this library performs.
   */
  maxUnavailable: 1,
} as const;

/** pm2's own defaults (node_modules/pm2/lib/God.js, constants.js) for settings absent from the env. */
export const PM2_DEFAULTS = {
  minUptimeMs: 1_000,
  maxRestarts: 16,
  killTimeoutMs: 1_600,
  listenTimeoutMs: 3_000,
} as const;
