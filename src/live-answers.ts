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
  /** False when the daemon's list is never shared (`cacheTtlMs: 0`). */
  readonly shareList: boolean;
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
   */
  let confirmed: (DaemonSaid & { askedAt: number }) | undefined;
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
    createExclusive === undefined
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
    isTrackedByPm2(identity.relation) &&
    identity.source === 'pm2Env' &&
    identity.restarts !== null;

  const selfFacts = (): SelfFacts => ({
    pid: ports.process.pid,
    uptimeMs: Math.round(ports.process.uptimeSeconds() * 1000),
    memoryBytes: ports.process.residentMemoryBytes(),
  });

  const daemonList = async (identity: ManagedIdentity) => {
    const list = await daemon.list({ askedAfter: signalledAt });
    const live = entryOf(identity, list);
    if (list.ok && 'entry' in live && live.entry && ownStatus(live.entry.status, identity) === 'online')
      confirmed = {
        settings: live.entry.settings,
        restarts: live.entry.restarts ?? identity.restarts,
        unstableRestarts: live.entry.unstableRestarts ?? identity.unstableRestarts,
        askedAt: list.askedAt,
      };
    return list;
  };

  const fromDaemon = (
    identity: ManagedIdentity,
    name: { value: string; source: NameSource },
    list: DaemonListResult,
    store: StoreUse,
  ) => {
    const live = { ...entryOf(identity, list), store };
    // During a cluster reload the pm_id already shows the new worker: this one is superseded.
    const newer =
      list.ok && 'entry' in live && live.entry === null && identity.relation === 'tracked'
        ? list.entries.find((entry) => entry.pmId === identity.pmId)
        : undefined;
    if (newer === undefined) return buildInfo(identity, name, selfFacts(), live);
    const superseded: ManagedIdentity = { ...identity, relation: 'superseded', trackedPid: newer.pid };
    return buildInfo(superseded, name, selfFacts(), { ...entryOf(superseded, list), store });
  };

  return {
    async status(identity) {
      if (canAnswerLocally(identity) && liveness !== null) {
        const alive = await liveness.check();
        return alive.ok ? 'online' : null;
      }
      const live = entryOf(identity, await daemonList(identity));
      return 'entry' in live && live.entry ? ownStatus(live.entry.status, identity) : null;
    },
    async info(identity, name, source) {
      if (source === true && canAnswerLocally(identity) && liveness !== null && confirmed !== undefined) {
        const [alive, newer] = counters.due()
          ? await Promise.all([
              liveness.check(),
              counters.changed(identity.pmId, identity.trackedPid, confirmed.askedAt),
            ])
          : [await liveness.check(), null];
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
          return buildLocalInfo(identity, name, selfFacts(), local.parts, now);
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
