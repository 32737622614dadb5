import { DEFAULTS, PM2_DEFAULTS } from './common/defaults.js';
import { createDaemonQuery, type DaemonListResult } from './daemon/daemon-query.js';
import { findPm2Command, type Pm2Command } from './daemon/find-pm2-bin.js';
import { pm2HomePaths, resolvePm2Home } from './daemon/pm2-home.js';
import type { Identity, ManagedIdentity, NameSource } from './identity/identity.js';
import { createIdentityCache } from './identity/identity-cache.js';
import { isTrackedByPm2 } from './identity/relation.js';
import { resolveIdentity } from './identity/resolve-identity.js';
import { buildInfo, freezeInfo, type Pm2Info } from './info/info.js';
import {
  checkPm2SelfOptions,
  hookList,
  normalizeRestartOptions,
  checkDuration,
  type GracefulRestartOptions,
  type Pm2SelfOptions,
  type ShutdownHandlerOptions,
} from './options.js';
import {
  createNodeClock,
  createNodeFileSystem,
  createNodeProcess,
  createSocketDaemonClient,
} from './ports/node-ports.js';
import { createExecaRunner } from './ports/execa-runner.js';
import type { Ports } from './ports/ports.js';
import { createRestartController, type RestartOutcome, type TaskHandle } from './restart/controller.js';
import type { RestartEventName, RestartEvents } from './restart/events.js';
import { restartMachine, type RestartState } from './restart/machine.js';
import { parseRestartRecord, restartRecordPath, type RestartRecord } from './restart/restart-record.js';
import { planRestart } from './restart/plan-restart.js';

/** A pm2-self instance: identity discovery and graceful self-restart over one set of ports. */
export interface Pm2Self {
  /** This process's name: the `name` option, the env var, pm2's variables, then the daemon's list; null outside pm2. */
  getProcessName(): Promise<string | null>;
  /**
   * pm2's live status of this app; null outside pm2 or without an answer. The daemon's list is asked
   * once per `cacheTtlMs` by all processes of one `PM2_HOME` together, and an answer is at most that old
   * (see `cacheTtlMs`); it is never one asked before this process started (a restart shows at once), nor
   * one asked before a shutdown signal seen by the shutdown handler (`stopping` shows in the next answer).
   */
  getStatus(): Promise<string | null>;
  /**
   * A curated snapshot for dashboards; `live: true` adds the daemon's status and measurements, from an
   * answer shared as for {@link Pm2Self.getStatus} (callers served by the same daemon answer share one
   * frozen snapshot). Null outside pm2.
   */
  getInfo(options?: { live?: boolean }): Promise<Pm2Info | null>;
  /** The full identity answer, including why a process is not under pm2. */
  getIdentity(): Promise<Identity>;
  /** The record left by the generation before this one, when it restarted through pm2-self or a pm2 signal. */
  getLastRestart(): Promise<RestartRecord | null>;
  /** Restarts now when idle, defers while tasks run; resolves with what happened. */
  gracefulRestart(options?: GracefulRestartOptions): Promise<RestartOutcome>;
  /** True while a restart (or shutdown) is pending or under way. */
  hasPendingRestart(): boolean;
  /** Cancels a deferred restart; true when one was cancelled. */
  clearPendingRestart(): boolean;
  /** Marks a task as begun; a deferred restart waits until every task has ended. */
  beginTask(label?: string): TaskHandle;
  /** Runs `work` as a task (ended when it settles) and returns its result. */
  runTask<T>(work: Promise<T> | (() => T | Promise<T>), label?: string): Promise<T>;
  /** Subscribes to a restart event; returns the unsubscribe. */
  on<K extends RestartEventName>(name: K, listener: (event: RestartEvents[K]) => void): () => void;
  /** Drains on SIGINT, SIGTERM and pm2's `'shutdown'` message; returns the uninstall. */
  installShutdownHandler(options?: ShutdownHandlerOptions): () => void;
  /** The restart machine's current state. */
  readonly restartState: RestartState;
}

/** Creates a pm2-self instance. Nothing is read, loaded or started until a method needs it. */
export function createPm2Self(options: Pm2SelfOptions = {}): Pm2Self {
  checkPm2SelfOptions(options);
  const ports: Ports = {
    clock: options.ports?.clock ?? createNodeClock(),
    runner: options.ports?.runner ?? createExecaRunner(),
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

  const identities = createIdentityCache(
    () => resolveIdentity({ process: ports.process, fs: ports.fs, daemon, pm2Home }),
    ports.clock,
    options.cacheTtlMs ?? DEFAULTS.cacheTtlMs,
  );
  const getIdentity = () => identities.get();

  const explicitName = (): { value: string; source: NameSource } | null => {
    if (options.name) return { value: options.name, source: 'option' };
    const fromEnv = env[options.envVar ?? DEFAULTS.envVar];
    return fromEnv ? { value: fromEnv, source: 'envVar' } : null;
  };

  // pm2 marks an app `stopping` before it signals it: once signalled, older answers are stale.
  let signalledAt = 0;
  const liveEntry = async (identity: ManagedIdentity, fresh = false) =>
    entryOf(identity, await daemon.list({ fresh, askedAfter: signalledAt }));
  const entryOf = (identity: ManagedIdentity, list: DaemonListResult) => {
    if (!list.ok) return { problem: list.problem };
    // Match on the tracked pid too: during a cluster reload the pm_id's entry already shows the NEW worker.
    return {
      entry:
        list.entries.find((entry) => entry.pmId === identity.pmId && entry.pid === identity.trackedPid) ??
        null,
      via: list.via,
      at: list.at,
    };
  };

  let shared: { list: DaemonListResult; identity: ManagedIdentity; info: Pm2Info } | undefined;

  const recordFile = (pmId: number) => restartRecordPath(paths.recordDir, pmId);

  const controller = createRestartController({
    machine: options.machine ?? restartMachine,
    clock: ports.clock,
    process: ports.process,
    daemonRestartGraceMs: DEFAULTS.daemonRestartGraceMs,
    async plan(allowPlainExit) {
      const identity = await identities.refresh();
      const live = identity.managed ? await liveEntry(identity, true) : null;
      const entry = live !== null && 'entry' in live ? live.entry : undefined;
      return planRestart({
        identity,
        entry,
        allowPlainExit,
        now: ports.clock.now(),
        uptimeMs: ports.process.uptimeSeconds() * 1000,
      });
    },
    async stillTracked() {
      const identity = await identities.refresh();
      if (!identity.managed || !isTrackedByPm2(identity.relation)) return false;
      // A reload renames the old worker in the daemon before the new one rewrites the pid file: the
      // daemon's list (when it answers) must still show our pid under our pm_id.
      const live = await liveEntry(identity, true);
      return 'problem' in live || live.entry !== null;
    },
    async requestDaemonRestart(pmId) {
      const sent = await daemon.requestRestart(pmId);
      return sent.ok ? { ok: true } : { ok: false, message: sent.message };
    },
    async writeRecord(record) {
      await ports.fs.writeText(recordFile(record.pmId), JSON.stringify(record));
    },
    async discardRecord(pmId) {
      await ports.fs.remove(recordFile(pmId));
    },
  });

  const installShutdownHandler = (handlerOptions: ShutdownHandlerOptions = {}): (() => void) => {
    checkDuration('hooksTimeoutMs', handlerOptions.hooksTimeoutMs);
    checkDuration('marginMs', handlerOptions.marginMs);
    const hooks = hookList(handlerOptions.beforeExit, 'beforeExit');
    void getIdentity();
    return ports.process.onShutdown((source) => {
      signalledAt = ports.clock.now();
      const managed = identities.current;
      const killTimeout =
        managed && managed.settings.killTimeoutMs !== 'unknown'
          ? managed.settings.killTimeoutMs
          : PM2_DEFAULTS.killTimeoutMs;
      controller.shutdown(source, {
        budgetMs: Math.max(0, killTimeout - (handlerOptions.marginMs ?? DEFAULTS.killTimeoutMarginMs)),
        refuseNewTasks: handlerOptions.refuseNewTasks === true,
        hooks,
        hooksTimeoutMs: handlerOptions.hooksTimeoutMs ?? DEFAULTS.hooksTimeoutMs,
        record:
          managed && isTrackedByPm2(managed.relation)
            ? { pmId: managed.pmId, restarts: managed.restarts }
            : null,
      });
    });
  };

  return {
    async getProcessName() {
      const explicit = explicitName();
      if (explicit) return explicit.value;
      const identity = await getIdentity();
      return identity.managed ? identity.name : null;
    },
    async getStatus() {
      const identity = await getIdentity();
      if (!identity.managed) return null;
      const live = await liveEntry(identity);
      return 'entry' in live && live.entry ? live.entry.status : null;
    },
    async getInfo(infoOptions = {}) {
      const identity = await getIdentity();
      if (!identity.managed) return null;
      const name = explicitName() ?? { value: identity.name, source: identity.source };
      const list = infoOptions.live ? await daemon.list({ askedAfter: signalledAt }) : null;
      // Callers served by the same daemon answer (shared query or cache) share one frozen snapshot.
      if (
        list !== null &&
        shared?.list === list &&
        shared.identity === identity &&
        shared.info.name === name.value
      )
        return shared.info;
      const self = {
        pid: ports.process.pid,
        uptimeMs: Math.round(ports.process.uptimeSeconds() * 1000),
        memoryBytes: ports.process.residentMemoryBytes(),
      };
      const info = buildInfo(identity, name, self, list === null ? null : entryOf(identity, list));
      if (list === null) return info;
      shared = { list, identity, info: freezeInfo(info) };
      return shared.info;
    },
    getIdentity,
    async getLastRestart() {
      const identity = await getIdentity();
      if (!identity.managed) return null;
      const record = parseRestartRecord(await ports.fs.readText(recordFile(identity.pmId)), {
        pmId: identity.pmId,
        pid: ports.process.pid,
      });
      if (record === null) return null;
      const fresh =
        record.previousRestarts === null ||
        identity.restarts === null ||
        record.previousRestarts + 1 === identity.restarts;
      return fresh ? record : null;
    },
    gracefulRestart: (restartOptions = {}) => controller.request(normalizeRestartOptions(restartOptions)),
    hasPendingRestart: () => controller.state.phase !== 'idle',
    clearPendingRestart: () => controller.cancel(),
    beginTask: (label) => controller.beginTask(label),
    async runTask(work, label) {
      const task = controller.beginTask(label);
      try {
        return await (typeof work === 'function' ? work() : work);
      } finally {
        task.end();
      }
    },
    on: (name, listener) => controller.on(name, listener),
    installShutdownHandler,
    get restartState() {
      return controller.state;
    },
  };
}
