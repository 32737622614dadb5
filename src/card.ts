/**
 * The functions of the package's front page, each a thin wrapper over the default instance.
 */
import { getDefaultPm2Self } from './default-instance.js';
import type { Pm2Info } from './info/info.js';
import type { GracefulRestartOptions } from './options.js';
import type { RestartOutcome } from './restart/controller.js';

/**
 * This process's pm2 name: the `PM2_PROCESS_NAME` env var, pm2's own variables (checked against
 * its pid file), then the daemon's list; null when the process is not under pm2.
 *
 * @example
 * ```ts
 * const name = (await getProcessName()) ?? 'standalone';
 * ```
 */
export function getProcessName(): Promise<string | null> {
  return getDefaultPm2Self().getProcessName();
}

/**
 * pm2's live status of this app (`online`, `stopping`, ...) from the daemon; null outside pm2 or
 * when the daemon does not answer. Never the stale `launching` of the env, nor `launching` once this
 * process's code runs (except a `wait_ready` app before the daemon has seen its `ready`).
 */
export function getStatus(): Promise<string | null> {
  return getDefaultPm2Self().getStatus();
}

/**
 * A curated snapshot of this process under pm2, free of environment values. By default it costs
 * no daemon query; `{ live: true }` adds pm2's status (built by this process itself once the daemon has
 * said it is online and a shutdown handler is installed, else the daemon's), and `{ live: 'daemon' }`
 * always asks the daemon, for its memory and CPU measures.
 *
 * @example
 * ```ts
 * hub.send({ type: 'identify', info: await getInfo() });
 * ```
 */
export function getInfo(options?: { live?: boolean | 'daemon' }): Promise<Pm2Info | null> {
  return getDefaultPm2Self().getInfo(options);
}

/**
 * Restarts this process through pm2: now when no task runs, otherwise once the last task ends.
 * Resolves with an outcome object whose `status` is `restarting`, `deferred`, `alreadyPending`,
 * `cancelled` or `refused` (the process keeps running); it resolves before any `beforeExit` hook runs.
 *
 * @throws TypeError when an option is invalid.
 * @example
 * ```ts
 * const outcome = await gracefulRestart({ reason: 'update', beforeExit: () => hub.notifyRestarting() });
 * ```
 */
export function gracefulRestart(options?: GracefulRestartOptions): Promise<RestartOutcome> {
  return getDefaultPm2Self().gracefulRestart(options);
}

/**
 * True from the moment a restart is asked for (or pm2's stop arrives) until it ends or is cancelled:
 * while it is planned, deferred, or under way.
 */
export function hasPendingRestart(): boolean {
  return getDefaultPm2Self().hasPendingRestart();
}

/**
 * Cancels a restart that is being planned or waits for tasks; true when one was cancelled. A restart
 * whose hooks already run, or pm2's stop, cannot be cancelled.
 */
export function clearPendingRestart(): boolean {
  return getDefaultPm2Self().clearPendingRestart();
}
