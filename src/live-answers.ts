/**
 * Live answers (`getStatus()`, `getInfo({ live })`): from this process itself where it can answer, else
 * from the daemon's list shared by the processes of one `PM2_HOME`.
 */
import { join } from 'node:path';
import type { DaemonListResult, DaemonQuery } from './daemon/daemon-query.js';
import { createDaemonLiveness, LIVENESS_FILE } from './daemon/daemon-liveness.js';
import { COUNTERS_FILE, createCountersBeat, createSharedCounters } from './daemon/shared-counters.js';
import type { Pm2HomePaths } from './daemon/pm2-home.js';
import type { ManagedIdentity, NameSource } from './identity/identity.js';
import { createPidFileWatch } from './identity/pid-file-watch.js';
import { isTrackedByPm2 } from './identity/relation.js';
import { buildInfo, freezeInfo, type Pm2Info, type SelfFacts, type StoreUse } from './info/info.js';
import { buildLocalInfo, type DaemonSaid, type LocalParts, localParts } from './info/live-view.js';
import { ownStatus } from './info/own-status.js';
import type { Ports } from './ports/ports.js';
import { instantOf, monotonicNow, type Instant } from './ports/monotonic-now.js';
import { entryOf } from './restart-context.js';

/** The heartbeat lists the daemon once per this many heartbeats, to share counters no signal tells of. */
const COUNTERS_EVERY_BEATS = 6;

/** Where a live answer may come from: this process when it can answer (`true`), or always the daemon. */
export type LiveSource = true | 'daemon';

/** What {@link createLiveAnswers} works with. */
export interface LiveAnswersParts {
  readonly ports: Ports;
  readonly paths: Pm2HomePaths;
  readonly daemon: DaemonQuery;
  readonly queryTimeoutMs: number;
  readonly livenessIntervalMs: number;
  /**
   * False when nothing is shared (`cacheTtlMs: 0`): no shared list, no heartbeat, no counters file;
   * every live answer is then the daemon's.
   */
  readonly shareList: boolean;
  /** The pid file pm2 keeps for this `pm_id` (`pm_pid_path`), when known. */
  readonly pidFile: string | null;
}

/** How long a look at the store folder stands before it is looked at again. */
const STORE_LOOK_MS = 1_000;

/** The live answers of one pm2-self instance. */
export interface LiveAnswers {
  /** pm2's status of this process (see `Pm2Self.getStatus`). */
  status(identity: ManagedIdentity): Promise<string | null>;
  /** A frozen live snapshot (see `Pm2Self.getInfo`). */
  info(
    identity: ManagedIdentity,
    name: { value: string; source: NameSource },
    source: LiveSource,
  ): Promise<Pm2Info>;
  /** The shutdown handler saw pm2's signal or `'shutdown'` message: older answers are stale. */
  signalled(): void;
  /** Whether a shutdown handler is installed (it is what tells this process of pm2's signals). */
  handlerInstalled(installed: boolean): void;
  /** What this process measures of itself. */
  selfFacts(): SelfFacts;
}

/** Creates the {@link LiveAnswers} of one instance. */
export function createLiveAnswers(parts: LiveAnswersParts): LiveAnswers {
  const { ports, daemon } = parts;
  // pm2 marks an app `stopping` before it signals it: once signalled, older answers are stale.
  let signalledAt: Instant | undefined;
  let handler = false;
  /**
   * The daemon said this process is online (from then on it may answer about itself), with its
   * settings (complete where the env is not: fork mode passes no list, such as `stop_exit_codes`) and
   * counters, as of `askedAt` (epoch ms); newer counters replace them (`pm2 reset` sends no signal).
   * It holds only while the daemon of pid `daemonPid` runs: a new daemon does not know this process.
   */
  let confirmed: (DaemonSaid & { askedAt: number; daemonPid: number | null }) | undefined;
  /** This process's pid file named another process: pm2 tracks a newer one (a cluster reload). */
  let replaced = false;
  let shared: { list: DaemonListResult; identity: ManagedIdentity; info: Pm2Info } | undefined;
  /** The frozen parts of local answers, kept until the heartbeat, identity, name source or counters change. */
  let local:
    | { identity: ManagedIdentity; nameSource: NameSource; at: number; said: DaemonSaid; parts: LocalParts }
    | undefined;

  const counters = createSharedCounters({
    fs: {
      readText: (path) => ports.fs.readText(path),
      writeText: (path, text) => ports.fs.writeText(path, text),
      modifiedAt: ports.fs.modifiedAt?.bind(ports.fs),
    },
    clock: ports.clock,
    file: join(parts.paths.recordDir, COUNTERS_FILE),
    // The counters change at most once per listing: each process looks as often.
    lookEveryMs: COUNTERS_EVERY_BEATS * parts.livenessIntervalMs,
  });
  const beat = createCountersBeat({
    clock: ports.clock,
    everyMs: COUNTERS_EVERY_BEATS * parts.livenessIntervalMs,
    ping: (timeoutMs) => daemon.ping(timeoutMs),
    list: () => daemon.list(),
    counters,
  });

  const createExclusive = ports.fs.createExclusive?.bind(ports.fs);
  const liveness =
    createExclusive === undefined || !parts.shareList
      ? null
      : createDaemonLiveness({
          fs: {
            readText: (path) => ports.fs.readText(path),
            writeText: (path, text) => ports.fs.writeText(path, text),
            remove: (path) => ports.fs.remove(path),
            readStamped: ports.fs.readStamped?.bind(ports.fs),
            replaceAbandoned: ports.fs.replaceAbandoned?.bind(ports.fs),
            createExclusive,
          },
          modifiedAt: ports.fs.modifiedAt?.bind(ports.fs),
          clock: ports.clock,
          pid: ports.process.pid,
          isAlive: (pid) => ports.process.isAlive(pid),
          daemonPid: () => daemon.usable(),
          ping: (timeoutMs) => daemon.ping(timeoutMs),
          beat,
          file: join(parts.paths.recordDir, LIVENESS_FILE),
          intervalMs: parts.livenessIntervalMs,
          timeoutMs: parts.queryTimeoutMs,
        });

  const pidFile =
    parts.pidFile === null
      ? null
      : createPidFileWatch({ fs: ports.fs, clock: ports.clock, file: parts.pidFile, everyMs: STORE_LOOK_MS });

  let storeLook: { use: Promise<StoreUse>; at: number } | undefined;
  /**
   * Whether the store is used (`shared`), or why not; looked at again at most once per `everyMs` (a
   * second for the daemon's answers; a heartbeat interval for local ones, which read no file otherwise).
   */
  const storeUse = (shared: boolean, everyMs = STORE_LOOK_MS): Promise<StoreUse> => {
    if (!shared || createExclusive === undefined) return Promise.resolve('off');
    const now = monotonicNow(ports.clock);
    if (storeLook === undefined || !(now - storeLook.at >= 0 && now - storeLook.at < everyMs)) {
      const problem = ports.fs.storeProblem?.(parts.paths.recordDir) ?? Promise.resolve(null);
      storeLook = { use: problem.then((found) => found ?? 'shared'), at: now };
    }
    return storeLook.use;
  };

  /** Whether this process can answer about itself now (else the daemon is asked). */
  const canAnswerLocally = (identity: ManagedIdentity) =>
    liveness !== null &&
    handler &&
    confirmed !== undefined &&
    signalledAt === undefined &&
    !replaced &&
    isTrackedByPm2(identity.relation) &&
    identity.source === 'pm2Env' &&
    identity.restarts !== null;

  /**
   * The heartbeat's verdict when this process may answer about itself now, else null (the daemon is
   * asked): not once its pid file names a newer process, nor under a daemon other than the one that
   * said it is online (a daemon started after the last one died does not know this process).
   */
  const localVerdict = async (identity: ManagedIdentity) => {
    if (!canAnswerLocally(identity) || liveness === null) return null;
    const [alive, newer] = await Promise.all([
      liveness.check(),
      pidFile?.replaced(identity.trackedPid) ?? false,
    ]);
    if (newer) replaced = true;
    else if (alive.ok && alive.daemonPid !== confirmed?.daemonPid) confirmed = undefined;
    else return alive;
    return null;
  };

  const selfFacts = (): SelfFacts => ({
    pid: ports.process.pid,
    uptimeMs: Math.round(ports.process.uptimeSeconds() * 1000),
    memoryBytes: ports.process.residentMemoryBytes(),
  });

  /**
   * This process's facts for a local answer: its resident memory measured at most once per
   * `livenessIntervalMs` (Node reads it from `/proc/self/stat`, the dearest step of a local answer).
   */
  let memory: { bytes: number; at: number } | undefined;
  const localFacts = (): SelfFacts => {
    const now = monotonicNow(ports.clock);
    const age = memory === undefined ? Infinity : now - memory.at;
    if (memory === undefined || !(age >= 0 && age < parts.livenessIntervalMs))
      memory = { bytes: ports.process.residentMemoryBytes(), at: now };
    return {
      pid: ports.process.pid,
      uptimeMs: Math.round(ports.process.uptimeSeconds() * 1000),
      memoryBytes: memory.bytes,
    };
  };

  const daemonList = async (identity: ManagedIdentity) => {
    const list = await daemon.list({ askedAfter: signalledAt });
    const live = entryOf(identity, list);
    if (list.ok && 'entry' in live && live.entry && ownStatus(live.entry.status, identity) === 'online') {
      const { settings, restarts, unstableRestarts } = live.entry;
      confirmed = {
        settings,
        restarts: restarts ?? identity.restarts,
        unstableRestarts: unstableRestarts ?? identity.unstableRestarts,
        askedAt: list.askedAt,
        daemonPid: await daemon.daemonPid(),
      };
    }
    return list;
  };

  const fromDaemon = (
    identity: ManagedIdentity,
    name: { value: string; source: NameSource },
    list: DaemonListResult,
    store: StoreUse,
  ) => {
    const live = { ...entryOf(identity, list), store };
    // During a cluster reload the pm_id already shows the new worker of this app: this one is
    // superseded. Another app at this pm_id (under a daemon started since) is not this process's.
    const newer =
      list.ok && 'entry' in live && live.entry === null && identity.relation === 'tracked'
        ? list.entries.find(
            (entry) =>
              entry.pmId === identity.pmId &&
              entry.name === identity.name &&
              (identity.namespace === null || entry.namespace === identity.namespace),
          )
        : undefined;
    if (newer === undefined) return buildInfo(identity, name, selfFacts(), live);
    const superseded: ManagedIdentity = { ...identity, relation: 'superseded', trackedPid: newer.pid };
    return buildInfo(superseded, name, selfFacts(), { ...entryOf(superseded, list), store });
  };

  return {
    async status(identity) {
      const alive = await localVerdict(identity);
      if (alive !== null) return alive.ok ? 'online' : null;
      const live = entryOf(identity, await daemonList(identity));
      return 'entry' in live && live.entry ? ownStatus(live.entry.status, identity) : null;
    },
    async info(identity, name, source) {
      const alive = source === true ? await localVerdict(identity) : null;
      if (alive !== null && confirmed !== undefined) {
        const newer = counters.due()
          ? await counters.changed(identity.pmId, identity.trackedPid, confirmed.askedAt)
          : null;
        if (newer !== null) confirmed = { ...confirmed, ...newer };
        const said = confirmed;
        const now = ports.clock.now();
        const store = await storeUse(true, Math.max(STORE_LOOK_MS, parts.livenessIntervalMs));
        if (alive.ok) {
          const same =
            local?.identity === identity &&
            local.nameSource === name.source &&
            local.at === alive.at &&
            local.said === said &&
            local.parts.daemon?.store === store;
          if (!same || local === undefined) {
            const parts = localParts(identity, name, said, alive.at, store);
            local = { identity, nameSource: name.source, at: alive.at, said, parts };
          }
          return buildLocalInfo(identity, name, localFacts(), local.parts, now);
        }
        return freezeInfo(buildInfo(identity, name, selfFacts(), { problem: alive.problem, store }));
      }
      const [list, store] = await Promise.all([daemonList(identity), storeUse(parts.shareList)]);
      // Callers served by the same daemon answer (shared query or cache) share one frozen snapshot.
      const same =
        shared?.list === list &&
        shared.identity === identity &&
        shared.info.name === name.value &&
        shared.info.daemon?.store === store;
      if (same && shared !== undefined) return shared.info;
      shared = { list, identity, info: freezeInfo(fromDaemon(identity, name, list, store)) };
      return shared.info;
    },
    signalled() {
      signalledAt = instantOf(ports.clock);
    },
    handlerInstalled(installed) {
      handler = installed;
    },
    selfFacts,
  };
}
