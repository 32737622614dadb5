import type { DaemonProblem } from '../daemon/daemon-query.js';
import type { ManagedIdentity, NameSource } from '../identity/identity.js';
import type { ExecMode } from '../pm2/pm2-env.js';
import type { StoreProblem } from '../ports/ports.js';
import type { Relation } from '../identity/relation.js';
import type { ProcessEntry } from '../pm2/process-list.js';
import type { RestartSettings, SettingsOrigin } from '../pm2/restart-settings.js';
import { ownStatus } from './own-status.js';

/**
 * A curated, typed snapshot of this process under pm2, meant for dashboards. It never contains an
 * environment value.
 */
export interface Pm2Info {
  readonly name: string;
  readonly pmId: number;
  /** This process's pid. */
  readonly pid: number;
  /** The pid pm2 tracks for the app (differs under a wrapper script or in a descendant). */
  readonly trackedPid: number;
  readonly relation: Relation;
  readonly instance: number | null;
  readonly namespace: string | null;
  readonly execMode: ExecMode | null;
  /**
   * pm2's live status; null unless the daemon was asked (`live: true`). Never `launching` for a process
   * whose code runs, unless pm2 waits for its `ready` (`wait_ready`).
   */
  readonly status: string | null;
  readonly restarts: number | null;
  readonly unstableRestarts: number | null;
  readonly uptimeMs: number;
  /**
   * Resident memory in bytes: this process's own (in a local live answer, measured at most
   * `livenessIntervalMs` ago), or (live, for the tracked process) the daemon's measure.
   */
  readonly memoryBytes: number;
  /** CPU percent as the daemon measured it; null unless the daemon was asked about the tracked process. */
  readonly cpuPercent: number | null;
  readonly settings: RestartSettings;
  /** Where each group of values came from. */
  readonly sources: {
    readonly name: NameSource;
    readonly identity: 'pm2Env' | 'daemon';
    readonly counters: 'pm2Env' | 'daemon';
    readonly metrics: 'process' | 'daemon';
    readonly settings: SettingsOrigin;
    /**
     * Where `status` came from: the daemon's list; this process itself (`local`: the daemon once said
     * it is online, the shutdown handler has seen no signal of pm2 since, and the daemon's heartbeat is
     * fresh); or nowhere (`notAsked`: not a live answer).
     */
    readonly status: 'daemon' | 'local' | 'notAsked';
  };
  /**
   * The daemon's outcome for a live answer: its list (`rpc`, `cli`), or (`heartbeat`) its last answer to
   * the liveness ping when the answer was built locally; null when the daemon was not asked.
   */
  readonly daemon:
    | null
    | {
        readonly ok: true;
        readonly via: 'rpc' | 'cli' | 'heartbeat';
        readonly at: number;
        /** Whether the answer could be shared through the store, or why not. */
        readonly store: StoreUse;
      }
    | { readonly ok: false; readonly problem: DaemonProblem; readonly store: StoreUse };
}

/**
 * Whether this process shares the daemon's answers with the others of its `PM2_HOME` through the store
 * (`$PM2_HOME/pm2-self/`): `shared`; `off` when sharing is switched off (`cacheTtlMs: 0`, or a file
 * port that cannot create a file exclusively); else why the store folder is not used (a symlink,
 * another uid's, group- or other-writable, unusable), and the process asks the daemon itself.
 */
export type StoreUse = 'shared' | 'off' | StoreProblem;

/** Facts about this process measured by itself. */
export interface SelfFacts {
  readonly pid: number;
  readonly uptimeMs: number;
  readonly memoryBytes: number;
}

/** Builds a {@link Pm2Info}; with a daemon entry, live values replace the process's own. Pure. */
export function buildInfo(
  identity: ManagedIdentity,
  name: { value: string; source: NameSource },
  self: SelfFacts,
  live:
    | { entry: ProcessEntry | null; via: 'rpc' | 'cli'; at: number; store: StoreUse }
    | { problem: DaemonProblem; store: StoreUse }
    | null,
): Pm2Info {
  const entry = live !== null && 'entry' in live ? live.entry : null;
  // The daemon measures the pid it tracks: under a wrapper or in a descendant, that is another process.
  const measured = identity.relation === 'tracked' ? entry : null;
  return {
    name: name.value,
    pmId: identity.pmId,
    pid: self.pid,
    trackedPid: entry?.pid || identity.trackedPid,
    relation: identity.relation,
    instance: identity.instance,
    namespace: identity.namespace,
    execMode: identity.execMode,
    status: entry ? ownStatus(entry.status, identity) : null,
    restarts: entry ? entry.restarts : identity.restarts,
    unstableRestarts: entry ? entry.unstableRestarts : identity.unstableRestarts,
    uptimeMs:
      measured?.startedAt != null && live !== null && 'at' in live
        ? Math.max(0, live.at - measured.startedAt)
        : self.uptimeMs,
    memoryBytes: measured?.memoryBytes ?? self.memoryBytes,
    cpuPercent: measured?.cpuPercent ?? null,
    settings: entry ? entry.settings : identity.settings,
    sources: {
      name: name.source,
      identity: identity.source,
      counters: entry ? 'daemon' : identity.source,
      metrics: measured?.memoryBytes != null ? 'daemon' : 'process',
      settings: entry ? 'daemon' : identity.settingsOrigin,
      status: entry ? 'daemon' : 'notAsked',
    },
    daemon:
      live === null
        ? null
        : 'problem' in live
          ? { ok: false, problem: live.problem, store: live.store }
          : { ok: true, via: live.via, at: live.at, store: live.store },
  };
}

/** Freezes a {@link Pm2Info} and everything in it, so one snapshot can be handed to many callers. */
export function freezeInfo(info: Pm2Info): Pm2Info {
  if (Array.isArray(info.settings.stopExitCodes)) Object.freeze(info.settings.stopExitCodes);
  for (const part of [info.settings, info.sources, info.daemon]) if (part !== null) Object.freeze(part);
  return Object.freeze(info);
}
