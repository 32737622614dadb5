/**
 * What a pm2-self instance offers: the type {@link createPm2Self} returns and the default instance's
 * card functions wrap.
 */
import type { Identity } from './identity/identity.js';
import type { Pm2Info } from './info/info.js';
import type { ExposeToPm2Options } from './operator/operator-target.js';
import type { GracefulRestartOptions, RestartPolicy, ShutdownHandlerOptions } from './options.js';
import type { HealthSnapshot } from './policy/health-snapshot.js';
import type { RestartOutcome, TaskHandle, TaskSnapshot } from './restart/controller.js';
import type { RestartEventName, RestartEvents } from './restart/events.js';
import type { RestartState } from './restart/machine.js';
import type { RestartRecord } from './restart/restart-record.js';

/** A pm2-self instance: identity discovery and graceful self-restart over one set of ports. */
export interface Pm2Self {
  /**
   * This process's name: the `name` option, the env var, pm2's variables, then the daemon's list;
   * null outside pm2.
   */
  getProcessName(): Promise<string | null>;
  /**
   * pm2's live status of this app; null outside pm2 or without an answer. Never `launching` once this
   * process's code runs (pm2 can mark a cluster worker online after that), except for a `wait_ready` app
   * before the daemon has seen its `ready`. With a shutdown handler installed, once the daemon has said
   * this process is online, the answer is built locally (no daemon query) while the daemon's heartbeat
   * is fresh (see `livenessIntervalMs`), until pm2's signal. Otherwise the daemon's list is asked
   * once per `cacheTtlMs` by all processes of one `PM2_HOME` together, and an answer is at most that old
   * (see `cacheTtlMs`); it is never one asked before this process started (a restart shows at once), nor
   * one asked before a shutdown signal seen by the shutdown handler (`stopping` shows in the next answer).
   */
  getStatus(): Promise<string | null>;
  /**
   * A curated, frozen snapshot for dashboards; `live: true` adds the status as {@link Pm2Self.getStatus}
   * has it (locally built when it can be: `sources.status` says which), `live: 'daemon'` always the
   * daemon's status and measurements, from an answer shared as for getStatus (callers served by the
   * same daemon answer share one snapshot). Null outside pm2.
   */
  getInfo(options?: { live?: boolean | 'daemon' }): Promise<Pm2Info | null>;
  /** The full identity answer, including why a process is not under pm2. */
  getIdentity(): Promise<Identity>;
  /**
   * The record left by the generation before this one, when it restarted through pm2-self or a pm2
   * signal; null otherwise. The call that finds the record removes the file; later calls give the same record.
   */
  getLastRestart(): Promise<RestartRecord | null>;
  /** Restarts now when idle, defers while tasks run; resolves with what happened. */
  gracefulRestart(options?: GracefulRestartOptions): Promise<RestartOutcome>;
  /** True from the moment a restart is asked for (or pm2 asked to stop) until it ends or is cancelled. */
  hasPendingRestart(): boolean;
  /** Cancels a restart that is being planned or waits for tasks; true when one was cancelled. */
  clearPendingRestart(): boolean;
  /**
   * Marks a task as begun; a deferred restart waits until every task has ended.
   * @throws Pm2SelfError `ERR_PM2SELF_NOT_ACCEPTING_TASKS` while draining or exiting (or deferred
   * with `refuseNewTasks`). Use {@link Pm2Self.tryBeginTask} where a throw is unwelcome.
   * @throws TypeError when `label` is not a string of at most 200 characters.
   */
  beginTask(label?: string): TaskHandle;
  /** Like {@link Pm2Self.beginTask}, but returns null instead of throwing when tasks are refused now. */
  tryBeginTask(label?: string): TaskHandle | null;
  /** True when a task begun now would be accepted. */
  acceptsTasks(): boolean;
  /**
   * Runs `work` as a task (ended when it settles) and returns its result.
   * @throws Pm2SelfError `ERR_PM2SELF_NOT_ACCEPTING_TASKS` (as a rejection) when tasks are refused now.
   */
  runTask<T>(work: Promise<T> | (() => T | Promise<T>), label?: string): Promise<T>;
  /** The running tasks with their labels and ages, oldest first. */
  runningTasks(): readonly TaskSnapshot[];
  /** Subscribes to a restart event; returns the unsubscribe. */
  on<K extends RestartEventName>(name: K, listener: (event: RestartEvents[K]) => void): () => void;
  /**
   * Drains on SIGINT, SIGTERM and pm2's `'shutdown'` message; returns the uninstall. Installing it
   * again adds hooks (each function once); one signal is always one shutdown. Its hooks also run,
   * after the restart's own, on every restart this instance performs (not for a blocked event loop).
   */
  installShutdownHandler(options?: ShutdownHandlerOptions): () => void;
  /**
   * Watches this process and asks for a graceful restart when a limit is crossed: memory held above a
   * limit for `sustainedForMs`, or `maxUptimeMs` reached (each with a per-process jitter). The restart
   * defers like any other; none is asked while one is pending or within pm2's `min_uptime`. Its timer
   * never keeps the process alive; a refused restart is asked again with back-off (up to 60 s apart),
   * except outside pm2 or in a process pm2 does not track: then the policy stops. Returns the stop.
   * @throws TypeError when the policy is invalid.
   */
  restartWhen(policy: RestartPolicy): () => void;
  /** What the health check of {@link Pm2Self.restartWhen} has shown so far. */
  getHealth(): HealthSnapshot;
  /** The restart machine's current state. */
  readonly restartState: RestartState;
  /** Registers the `pm2-self:*` pm2 actions and metrics on the IPC channel; returns the uninstall. */
  exposeToPm2(options?: ExposeToPm2Options): () => void;
}
