import { checkCreateOptions, withRuntimeChecks } from './checked-calls.js';
import { DEFAULTS } from './common/defaults.js';
import { createWarn } from './common/warnings.js';
import { createDaemonQuery } from './daemon/daemon-query.js';
import { findPm2Command, type Pm2Command } from './daemon/find-pm2-bin.js';
import { pm2HomePaths, resolvePm2Home } from './daemon/pm2-home.js';
import type { Identity, NameSource } from './identity/identity.js';
import { createIdentityCache } from './identity/identity-cache.js';
import { resolveIdentity } from './identity/resolve-identity.js';
import { buildInfo, freezeInfo, type Pm2Info } from './info/info.js';
import {
  checkPm2SelfOptions,
  normalizeRestartOptions,
  type GracefulRestartOptions,
  type Pm2SelfOptions,
  type RestartPolicy,
  type ShutdownHandlerOptions,
} from './options.js';
import {
  createNodeClock,
  createNodeFileSystem,
  createNodeProcess,
  createSocketDaemonClient,
} from './ports/node-ports.js';
import { createSpawnRunner } from './ports/spawn-runner.js';
import type { Ports } from './ports/ports.js';
import {
  createRestartController,
  type RestartOutcome,
  type TaskHandle,
  type TaskSnapshot,
} from './restart/controller.js';
import { createLastRestart } from './last-restart.js';
import { handBackWhenReady } from './restart/hand-back.js';
import { exposeToPm2 } from './operator/expose-to-pm2.js';
import type { ExposeToPm2Options } from './operator/operator-target.js';
import { createRestartContext } from './restart-context.js';
import { createLiveAnswers } from './live-answers.js';
import { createShutdownHandler } from './shutdown-handler.js';
import { describeStaleTask } from './restart/task-registry.js';
import { createSelfPolicies } from './self-policies.js';
import type { HealthSnapshot } from './policy/health-snapshot.js';
import { isHealthEventName, type RestartEventName, type RestartEvents } from './restart/events.js';
import { restartMachine, type RestartState } from './restart/machine.js';
import type { RequestOptions } from './restart/request.js';
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

/** Creates a pm2-self instance. Nothing is read, loaded or started until a method needs it. */
export function createPm2Self(options: Pm2SelfOptions = {}): Pm2Self {
  checkCreateOptions(options);
  checkPm2SelfOptions(options);
  const ports: Ports = {
    clock: options.ports?.clock ?? createNodeClock(),
    runner: options.ports?.runner ?? createSpawnRunner(),
    daemon: options.ports?.daemon ?? createSocketDaemonClient(),
    fs: options.ports?.fs ?? createNodeFileSystem(),
    process: options.ports?.process ?? createNodeProcess(),
  };
  const env = ports.process.env;
  const pm2Home =
    env.pm_id !== undefined && env.PM2_HOME ? env.PM2_HOME : resolvePm2Home(env, ports.process.homedir());
  const paths = pm2HomePaths(pm2Home, ports.process.platform);
  let pm2Command: Pm2Command | undefined;
  const daemon = createDaemonQuery({
    ports,
    paths,
    route: options.route ?? 'auto',
    timeoutMs: options.queryTimeoutMs ?? DEFAULTS.queryTimeoutMs,
    cacheTtlMs: options.cacheTtlMs ?? DEFAULTS.cacheTtlMs,
    maxListBytes: options.maxListBytes ?? DEFAULTS.maxListBytes,
    pm2Command: () =>
      (pm2Command ??= findPm2Command({
        explicit: options.pm2Bin,
        env,
        binEnvVar: options.binEnvVar ?? DEFAULTS.binEnvVar,
        cwd: options.cwd ?? process.cwd(),
        execPath: process.execPath,
      })),
  });

  // The first managed identity is the moment pm2-self has started in this process: it hands back
  // the turn its predecessor took (see hand-back.ts).
  let handedBack = false;
  const identities = createIdentityCache(
    async () => {
      const identity = await resolveIdentity({ process: ports.process, fs: ports.fs, daemon, pm2Home });
      if (identity.managed && !handedBack && context.turns !== undefined) {
        handedBack = true;
        void handBackWhenReady({ turns: context.turns, daemon, clock: ports.clock }, identity);
      }
      return identity;
    },
    ports.clock,
    options.cacheTtlMs ?? DEFAULTS.cacheTtlMs,
  );
  const getIdentity = () => identities.get();

  const explicitName = (): { value: string; source: NameSource } | null => {
    if (options.name) return { value: options.name, source: 'option' };
    const fromEnv = env[options.envVar ?? DEFAULTS.envVar];
    return fromEnv ? { value: fromEnv, source: 'envVar' } : null;
  };

  const live = createLiveAnswers({
    ports,
    paths,
    daemon,
    queryTimeoutMs: options.queryTimeoutMs ?? DEFAULTS.queryTimeoutMs,
    livenessIntervalMs: options.livenessIntervalMs ?? DEFAULTS.livenessIntervalMs,
    shareList: (options.cacheTtlMs ?? DEFAULTS.cacheTtlMs) > 0,
  });

  const context = createRestartContext({
    machine: options.machine ?? restartMachine,
    ports,
    paths,
    daemon,
    identities,
    maxUnavailable: options.maxUnavailable ?? DEFAULTS.maxUnavailable,
  });
  const warn = createWarn(ports.process.warn?.bind(ports.process));
  const controller = createRestartController({
    ...context,
    staleTaskMs: options.staleTaskMs ?? DEFAULTS.staleTaskMs,
    onTaskBegun: () => installShutdownHandler.taskBegun(),
  });
  controller.on('staleTask', (task) => warn('PM2SELF_STALE_TASK', describeStaleTask(task)));
  const installShutdownHandler = createShutdownHandler({
    process: ports.process,
    controller,
    identities,
    onSignal: () => live.signalled(),
    onInstalled: (installed) => live.handlerInstalled(installed),
    warn,
  });
  const getLastRestart = createLastRestart({ ports, paths, identities });
  // Every restart this instance performs runs the shutdown handler's hooks too (the app's goodbye).
  const requestRestart = (request: RequestOptions) =>
    controller.request(installShutdownHandler.withHandlerHooks(request));
  const policies = createSelfPolicies({ ports, controller, identities, paths, daemon, requestRestart });

  const self: Pm2Self = {
    async getProcessName() {
      const explicit = explicitName();
      if (explicit) return explicit.value;
      const identity = await getIdentity();
      return identity.managed ? identity.name : null;
    },
    async getStatus() {
      const identity = await getIdentity();
      if (!identity.managed) return null;
      return live.status(identity);
    },
    async getInfo(infoOptions = {}) {
      const identity = await getIdentity();
      if (!identity.managed) return null;
      const name = explicitName() ?? { value: identity.name, source: identity.source };
      if (!infoOptions.live) return freezeInfo(buildInfo(identity, name, live.selfFacts(), null));
      return live.info(identity, name, infoOptions.live);
    },
    getIdentity,
    getLastRestart,
    gracefulRestart: (restartOptions = {}) => requestRestart(normalizeRestartOptions(restartOptions)),
    hasPendingRestart: () => controller.state.phase !== 'idle',
    clearPendingRestart: () => controller.cancel(),
    beginTask: (label) => controller.beginTask(label),
    tryBeginTask: (label) => controller.tryBeginTask(label),
    acceptsTasks: () => controller.acceptsTasks(),
    runningTasks: () => controller.tasks(),
    async runTask(work, label) {
      const task = controller.beginTask(label);
      try {
        return await (typeof work === 'function' ? work() : work);
      } finally {
        task.end();
      }
    },
    on: (name, listener) =>
      isHealthEventName(name) ? policies.events.on(name, listener) : controller.on(name, listener),
    installShutdownHandler,
    get restartState() {
      return controller.state;
    },
    restartWhen: (policy) => policies.restartWhen(policy),
    getHealth: () => policies.getHealth(),
    exposeToPm2: (exposeOptions = {}) =>
      exposeToPm2(self, exposeOptions, { clock: ports.clock, pid: ports.process.pid }),
  };
  return withRuntimeChecks(self);
}
