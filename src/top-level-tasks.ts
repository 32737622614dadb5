/**
 * Task accounting over the default instance: what a deferred restart waits for. Instances made with
 * `createPm2Self()` count their own tasks; the default instance's restart never waits for them.
 */
import { getDefaultPm2Self } from './default-instance.js';
import type { TaskHandle, TaskSnapshot } from './restart/controller.js';

/**
 * Runs `work` as a task: a restart asked for meanwhile waits until it settles. Resolves with its result.
 *
 * @throws Pm2SelfError `ERR_PM2SELF_NOT_ACCEPTING_TASKS` (as a rejection) while a restart or pm2's stop
 * drains, or while one waits with `refuseNewTasks`. Where a rejection is unwelcome (an event handler),
 * ask {@link tryBeginTask} first.
 * @example
 * ```ts
 * const result = await runTask(() => importBatch(file), 'import-batch');
 * ```
 */
export function runTask<T>(work: Promise<T> | (() => T | Promise<T>), label?: string): Promise<T> {
  return getDefaultPm2Self().runTask(work, label);
}

/**
 * Marks a task as begun; call `end()` on the handle when it is done (later calls are ignored).
 *
 * @throws Pm2SelfError `ERR_PM2SELF_NOT_ACCEPTING_TASKS` when tasks are refused now.
 */
export function beginTask(label?: string): TaskHandle {
  return getDefaultPm2Self().beginTask(label);
}

/**
 * Begins a task, or returns null when tasks are refused now (a restart or pm2's stop is draining): the
 * non-throwing way to ask "may I start a task?".
 *
 * @example
 * ```ts
 * hub.on('task', async (job) => {
 *   const task = tryBeginTask(job.id);
 *   if (task === null) return hub.send({ type: 'busy', id: job.id }); // hand it to another sidecar
 *   try {
 *     await run(job);
 *   } finally {
 *     task.end();
 *   }
 * });
 * ```
 */
export function tryBeginTask(label?: string): TaskHandle | null {
  return getDefaultPm2Self().tryBeginTask(label);
}

/** True when a task begun now would be accepted. */
export function acceptsTasks(): boolean {
  return getDefaultPm2Self().acceptsTasks();
}

/** The running tasks with their labels and ages, oldest first (for a status screen). */
export function runningTasks(): readonly TaskSnapshot[] {
  return getDefaultPm2Self().runningTasks();
}
