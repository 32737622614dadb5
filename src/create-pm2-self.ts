/**
 * The factory of a pm2-self instance: it binds the real ports where none are given and wires the
 * parts (daemon query, identity cache, live answers, restart controller, shutdown handler, policies)
 * behind the {@link Pm2Self} methods, checked at run time for JavaScript callers.
 */
import { join } from 'node:path';
import { checkCreateOptions, withRuntimeChecks } from './checked-calls.js';
import { DEFAULTS, PM2_DEFAULTS } from './common/defaults.js';
import { createWarn } from './common/warnings.js';
import { createDaemonQuery } from './daemon/daemon-query.js';
import { findPm2Command, type Pm2Command } from './daemon/find-pm2-bin.js';
import { pm2HomePaths, resolvePm2Home } from './daemon/pm2-home.js';
import type { ManagedIdentity, NameSource } from './identity/identity.js';
import { createIdentityCache } from './identity/identity-cache.js';
import { resolveIdentity } from './identity/resolve-identity.js';
import { buildInfo, freezeInfo } from './info/info.js';
import { readPm2Env } from './pm2/pm2-env.js';
import { checkPm2SelfOptions, normalizeRestartOptions, type Pm2SelfOptions } from './options.js';
import {
  createNodeClock,
  createNodeFileSystem,
  createNodeProcess,
  createSocketDaemonClient,
} from './ports/node-ports.js';
import { createSpawnRunner } from './ports/spawn-runner.js';
import type { Ports } from './ports/ports.js';
import { createRestartController } from './restart/controller.js';
import { createRecordSweep } from './restart/record-sweep.js';
import { createLastRestart } from './last-restart.js';
import { handBackWhenReady } from './restart/hand-back.js';
import { waitForAppReady } from './restart/app-ready.js';
import { watchReadySignal } from './ports/ready-signal.js';
import { DAEMON_LOG_TAIL_BYTES, readFileTail } from './ports/read-file-tail.js';
import { parseDurationMs } from './pm2/parse-values.js';
import { exposeToPm2 } from './operator/expose-to-pm2.js';
import { createRestartContext } from './restart-context.js';
import { createLiveAnswers } from './live-answers.js';
import { createShutdownHandler } from './shutdown-handler.js';
import { describeStaleTask } from './restart/task-registry.js';
import { createSelfPolicies } from './self-policies.js';
import { isHealthEventName } from './restart/events.js';
import { restartMachine } from './restart/machine.js';
import type { Pm2Self } from './pm2-self.js';

export type { Pm2Self } from './pm2-self.js';

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
    onAsked: createRecordSweep(ports, paths.recordDir),
  });

  // When this process is ready for work (app-ready.ts): one watch, shared by the hand-back of the
  // predecessor's turn and the `pm2-self ready` metric of exposeToPm2().
  let ready: Promise<boolean> | undefined;
  const readyOf = (identity: ManagedIdentity) =>
    (ready ??= waitForAppReady(
      {
        daemon,
        clock: ports.clock,
        watchReady: watchReadySignal,
        listenTimeoutMs: parseDurationMs(env.listen_timeout) ?? PM2_DEFAULTS.listenTimeoutMs,
        readDaemonLog: () => readFileTail(join(paths.home, 'pm2.log'), DAEMON_LOG_TAIL_BYTES),
      },
      identity,
    ));

  // The first managed identity is the moment pm2-self has started in this process: it hands back
  // the turn its predecessor took (see hand-back.ts).
  let handedBack = false;
  const identities = createIdentityCache(
    async () => {
      const identity = await resolveIdentity({ process: ports.process, fs: ports.fs, daemon, pm2Home });
      if (identity.managed && !handedBack && context.turns !== undefined) {
        handedBack = true;
        void handBackWhenReady({ turns: context.turns, ready: readyOf }, identity);
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
    pidFile: pidFileOf(env),
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
    // Every restart this instance performs runs the shutdown handler's hooks too (the app's goodbye).
    exitHooks: (request) => installShutdownHandler.withHandlerHooks(request),
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
  const policies = createSelfPolicies({
    ports,
    controller,
    identities,
    paths,
    daemon,
    requestRestart: controller.request,
  });

  const infoOf = async (infoOptions: { live?: boolean | 'daemon' }) => {
    const identity = await getIdentity();
    if (!identity.managed) return null;
    const name = explicitName() ?? { value: identity.name, source: identity.source };
    if (!infoOptions.live) return freezeInfo(buildInfo(identity, name, live.selfFacts(), null));
    return live.info(identity, name, infoOptions.live);
  };

  const self: Pm2Self = {
    async getProcessName() {
      const explicit = explicitName();
      if (explicit) return explicit.value;
      const identity = await getIdentity();
      return identity.managed ? identity.name : null;
    },
    getStatus() {
      // An answer this process can give without a look or a query costs no promise chain.
      const known = identities.current;
      const now = known === undefined ? undefined : live.statusNow(known);
      if (now !== undefined) return Promise.resolve(now);
      return (async () => {
        const identity = await getIdentity();
        return identity.managed ? live.status(identity) : null;
      })();
    },
    getInfo(infoOptions = {}) {
      const known = identities.current;
      if (known !== undefined && infoOptions.live === true) {
        const now = live.infoNow(known, explicitName() ?? { value: known.name, source: known.source });
        if (now !== undefined) return Promise.resolve(now);
      }
      return infoOf(infoOptions);
    },
    getIdentity,
    getLastRestart,
    gracefulRestart: (restartOptions = {}) => controller.request(normalizeRestartOptions(restartOptions)),
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
      exposeToPm2(self, exposeOptions, {
        clock: ports.clock,
        pid: ports.process.pid,
        ready: async () => {
          const identity = await getIdentity();
          return identity.managed ? readyOf(identity) : true;
        },
      }),
  };
  return withRuntimeChecks(self);
}

/** The pid file pm2 keeps for this process's `pm_id`, from its env; null outside pm2. */
function pidFileOf(env: Readonly<Record<string, string | undefined>>): string | null {
  const reading = readPm2Env(env);
  return reading.ok ? reading.identity.pidFilePath : null;
}
