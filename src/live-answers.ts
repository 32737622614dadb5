/**
 * Live answers (`getStatus()`, `getInfo({ live })`): from this process itself where it can answer (see
 * info/local-answers.ts), else from the daemon's list shared by the processes of one `PM2_HOME`.
 */
import type { DaemonListResult, DaemonQuery } from './daemon/daemon-query.js';
import type { Pm2HomePaths } from './daemon/pm2-home.js';
import type { ManagedIdentity, NameSource } from './identity/identity.js';
import { buildInfo, freezeInfo, type Pm2Info, type SelfFacts, type StoreUse } from './info/info.js';
import { createLocalAnswers } from './info/local-answers.js';
import { ownStatus } from './info/own-status.js';
import type { Ports } from './ports/ports.js';
import { instantOf, monotonicNow, type Instant } from './ports/monotonic-now.js';
import { entryOf } from './restart-context.js';

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

/** How long a look at the store folder stands before the daemon's answers look at it again. */
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
  /**
   * This process's own status when it can tell it without a look or a query (the answer of
   * {@link LiveAnswers.status} then), else undefined.
   */
  statusNow(identity: ManagedIdentity): 'online' | null | undefined;
  /** This process's own live answer when it needs no look (as {@link LiveAnswers.info}), else undefined. */
  infoNow(identity: ManagedIdentity, name: { value: string; source: NameSource }): Pm2Info | undefined;
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
  let shared: { list: DaemonListResult; identity: ManagedIdentity; info: Pm2Info } | undefined;
  const local = createLocalAnswers(parts);

  let storeLook: { use: Promise<StoreUse>; at: number } | undefined;
  /** Whether the store is used (`shared`), or why not; looked at again at most once a second. */
  const storeUse = (): Promise<StoreUse> => {
    if (!parts.shareList || ports.fs.createExclusive === undefined) return Promise.resolve('off');
    const now = monotonicNow(ports.clock);
    if (storeLook === undefined || !(now - storeLook.at >= 0 && now - storeLook.at < STORE_LOOK_MS)) {
      const problem = ports.fs.storeProblem?.(parts.paths.recordDir) ?? Promise.resolve(null);
      storeLook = { use: problem.then((found) => found ?? 'shared'), at: now };
    }
    return storeLook.use;
  };

  const selfFacts = (): SelfFacts => ({
    pid: ports.process.pid,
    uptimeMs: Math.round(ports.process.uptimeSeconds() * 1000),
    memoryBytes: ports.process.residentMemoryBytes(),
  });

  /** The daemon's list; when it says this process is online, local answers may follow. */
  const daemonList = async (identity: ManagedIdentity) => {
    const list = await daemon.list({ askedAfter: signalledAt });
    const live = entryOf(identity, list);
    if (list.ok && 'entry' in live && live.entry && ownStatus(live.entry.status, identity) === 'online') {
      const { settings, restarts, unstableRestarts } = live.entry;
      local.confirm({
        settings,
        restarts: restarts ?? identity.restarts,
        unstableRestarts: unstableRestarts ?? identity.unstableRestarts,
        askedAt: list.askedAt,
        daemonPid: await daemon.daemonPid(),
      });
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
      const own = await local.status(identity);
      if (own !== undefined) return own;
      const live = entryOf(identity, await daemonList(identity));
      return 'entry' in live && live.entry ? ownStatus(live.entry.status, identity) : null;
    },
    async info(identity, name, source) {
      const own = source === true ? await local.info(identity, name) : undefined;
      if (own !== undefined) return own;
      const [list, store] = await Promise.all([daemonList(identity), storeUse()]);
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
    statusNow(identity) {
      const own = local.statusNow(identity);
      return own === 'askDaemon' || own === 'lookFirst' ? undefined : own;
    },
    infoNow(identity, name) {
      const own = local.infoNow(identity, name);
      return own === 'askDaemon' || own === 'lookFirst' ? undefined : own;
    },
    signalled() {
      signalledAt = instantOf(ports.clock);
      local.signalled();
    },
    handlerInstalled(installed) {
      local.handlerInstalled(installed);
    },
    selfFacts,
  };
}
