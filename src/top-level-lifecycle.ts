/**
 * The process's life under pm2, over the default instance: draining on pm2's stop, the record of the
 * previous generation, events, and the operators' actions.
 */
import { getDefaultPm2Self } from './default-instance.js';
import type { ExposeToPm2Options } from './operator/operator-target.js';
import type { RestartPolicy, ShutdownHandlerOptions } from './options.js';
import type { RestartEventName, RestartEvents } from './restart/events.js';
import type { RestartRecord } from './restart/restart-record.js';
import type { HealthSnapshot } from './policy/health-snapshot.js';

/**
 * Makes pm2's own stop, restart and reload wait for running tasks: on SIGINT, SIGTERM or pm2's
 * `'shutdown'` message, tasks finish and the hooks run before the exit, within pm2's `kill_timeout`
 * (less `marginMs`), whose last `hooksReserveMs` (default 500 ms) are kept for the hooks. A task still
 * running then is cut, and the hooks run before pm2 would kill the process at `kill_timeout` (default
 * 1600 ms). Set `kill_timeout` above your longest task: a `PM2SELF_KILL_TIMEOUT_DEFAULT` warning says
 * when it is left at pm2's default while tasks run, and `PM2SELF_SHUTDOWN_LISTENER` when another
 * SIGINT or SIGTERM listener could end the process first. Installing it again adds hooks (each
 * function once); a second signal exits at once. Its hooks also run, after the restart's own, on
 * every restart pm2-self performs (`gracefulRestart()`, `restartWhen()`, the operator's restart),
 * except one for a blocked event loop. Returns the uninstall.
 *
 * @throws TypeError when an option is invalid.
 * @example
 * ```ts
 * installShutdownHandler({ refuseNewTasks: true, beforeExit: () => server.close() });
 * ```
 */
export function installShutdownHandler(options?: ShutdownHandlerOptions): () => void {
  return getDefaultPm2Self().installShutdownHandler(options);
}

/**
 * Why the previous generation ended, when it restarted through pm2-self or pm2 signalled it (with
 * the shutdown handler installed); null otherwise.
 */
export function getLastRestart(): Promise<RestartRecord | null> {
  return getDefaultPm2Self().getLastRestart();
}

/**
 * Subscribes to a restart event (`requested`, `deferred`, `draining`, `restarting`, `exiting`, ...);
 * returns the unsubscribe.
 */
export function on<K extends RestartEventName>(
  name: K,
  listener: (event: RestartEvents[K]) => void,
): () => void {
  return getDefaultPm2Self().on(name, listener);
}

/**
 * Lets operators reach this process from the shell: registers the pm2 actions `pm2-self:restart`,
 * `pm2-self:cancel` and `pm2-self:status` (for `pm2 trigger` and the `pm2-self` command) and shows the
 * restart state, running tasks and last restart reason in `pm2 show` / `pm2 monit`. Call it at start-up,
 * in every generation. Without an IPC channel (an app started by npm) it does nothing. Returns the uninstall.
 *
 * @throws TypeError when an option is invalid.
 * @example
 * ```ts
 * exposeToPm2({ refuseNewTasks: true });
 * // $ pm2 trigger web pm2-self:restart deploy     (or: npx pm2-self restart web --reason deploy)
 * ```
 */
export function exposeToPm2(options?: ExposeToPm2Options): () => void {
  return getDefaultPm2Self().exposeToPm2(options);
}

/**
 * Restarts this process gracefully when it holds too much memory for too long, or has run long
 * enough: the shape of gunicorn's `max_requests` + jitter and uWSGI's `reload-on-rss`, without pm2's
 * abrupt `max_memory_restart`. Measured in-process (never by asking the daemon). With `healthCheck`,
 * restarts gracefully once the check has failed without a break for `unhealthyForMs` (a liveness
 * probe; events `unhealthy` and `healthy`, see {@link getHealth}). Returns the stop.
 *
 * @throws TypeError when the policy is invalid.
 * @example
 * ```ts
 * restartWhen({ rssAboveBytes: 512 * 1024 * 1024, sustainedForMs: 30_000, maxUptimeMs: 6 * 3_600_000, jitterMs: 600_000 });
 * ```
 */
export function restartWhen(policy: RestartPolicy): () => void {
  return getDefaultPm2Self().restartWhen(policy);
}

/**
 * What the health check of {@link restartWhen} has shown so far: the last result, since when it has
 * failed, and the event loop's delay at the last check.
 */
export function getHealth(): HealthSnapshot {
  return getDefaultPm2Self().getHealth();
}
