/**
 * Live answers this process builds about itself, without asking the daemon (issue 20): once the daemon
 * said it is online, while a shutdown handler listens for pm2's signals and a heartbeat says the daemon
 * still answers.
 */
import type { LivenessVerdict } from '../daemon/daemon-liveness.js';
import type { ManagedIdentity, NameSource } from '../identity/identity.js';
import { createPidFileWatch } from '../identity/pid-file-watch.js';
import { isTrackedByPm2 } from '../identity/relation.js';
import { buildInfo, freezeInfo, type Pm2Info, type StoreUse } from './info.js';
import { buildLocalInfo, type DaemonSaid, type LocalParts, localParts } from './live-view.js';
import { createLocalHeartbeat, type LocalHeartbeatParts } from './local-heartbeat.js';

/** A cluster worker looks at its pid file at most once per this long (see `PidFileWatch`). */
const PID_FILE_LOOK_MS = 1_000;

/** What {@link createLocalAnswers} works with. */
export interface LocalAnswersParts extends LocalHeartbeatParts {
  /** The pid file pm2 keeps for this `pm_id` (`pm_pid_path`), when known. */
  readonly pidFile: string | null;
}

/**
 * The daemon said this process is online: its settings (complete where the env is not: fork mode passes
 * no list, such as `stop_exit_codes`) and counters, as of `askedAt` (epoch ms), under the daemon of pid
 * `daemonPid` (a daemon started later does not know this process).
 */
export type Confirmation = DaemonSaid & { readonly askedAt: number; readonly daemonPid: number | null };

/** Why a local answer was not given now: the daemon must be asked, or a look is due first. */
export type NotNow = 'askDaemon' | 'lookFirst';

/** The local answers of one pm2-self instance; `undefined` from a promised answer means: ask the daemon. */
export interface LocalAnswers {
  /** The daemon said this process is online; newer counters replace older ones. */
  confirm(said: Confirmation): void;
  /** The shutdown handler saw pm2's signal or `'shutdown'` message: from now on the daemon answers. */
  signalled(): void;
  /** Whether a shutdown handler is installed (it is what tells this process of pm2's signals). */
  handlerInstalled(installed: boolean): void;
  /** `'online'`, or null when the heartbeat says the daemon does not answer; undefined: ask the daemon. */
  status(identity: ManagedIdentity): Promise<'online' | null | undefined>;
  /** A frozen live snapshot built by this process; undefined: ask the daemon. */
  info(identity: ManagedIdentity, name: { value: string; source: NameSource }): Promise<Pm2Info | undefined>;
  /** {@link LocalAnswers.status} without a promise, when no look is due. */
  statusNow(identity: ManagedIdentity): 'online' | null | NotNow;
  /** {@link LocalAnswers.info} without a promise, when no look is due. */
  infoNow(identity: ManagedIdentity, name: { value: string; source: NameSource }): Pm2Info | NotNow;
}

/**
 * Creates the {@link LocalAnswers} of one instance. A call that finds the last look younger than
 * `livenessIntervalMs` reads no file and starts no timer; the look after it takes everything at once:
 * the heartbeat's time, the store folder, the shared counters (when due) and this process's memory.
 * Only a cluster worker also looks at its pid file (once a second): pm2 reloads a fork-mode process by
 * stopping it first (its signal comes before any successor), a cluster worker only once the new one
 * is up.
 */
export function createLocalAnswers(parts: LocalAnswersParts): LocalAnswers {
  const { ports } = parts;
  let signalled = false;
  let handler = false;
  let confirmed: Confirmation | undefined;
  /** This process's pid file named another process: pm2 tracks a newer one (a cluster reload). */
  let replaced = false;
  /** What the last look found besides the heartbeat's verdict (which the liveness keeps). */
  let found: { store: StoreUse; memoryBytes: number } | undefined;
  let looking: Promise<LivenessVerdict> | undefined;
  /** The frozen parts of local answers, kept until the heartbeat, identity, name source or counters change. */
  let frozen:
    | { identity: ManagedIdentity; nameSource: NameSource; at: number; said: DaemonSaid; parts: LocalParts }
    | undefined;

  const { liveness, counters } = createLocalHeartbeat(parts);
  const pidFile =
    parts.pidFile === null
      ? null
      : createPidFileWatch({
          fs: ports.fs,
          clock: ports.clock,
          file: parts.pidFile,
          everyMs: PID_FILE_LOOK_MS,
        });

  /** Whether this process can answer about itself now (else the daemon is asked). */
  const canAnswer = (identity: ManagedIdentity) =>
    handler &&
    confirmed !== undefined &&
    !signalled &&
    !replaced &&
    isTrackedByPm2(identity.relation) &&
    identity.source === 'pm2Env' &&
    identity.restarts !== null;

  /** The look of one interval, all at once: heartbeat, store folder, counters when due, memory. */
  const lookAround = async (identity: ManagedIdentity, check: () => Promise<LivenessVerdict>) => {
    const since = confirmed?.askedAt ?? 0;
    const [verdict, problem, newer] = await Promise.all([
      check(),
      ports.fs.storeProblem?.(parts.paths.recordDir) ?? null,
      counters.due() ? counters.changed(identity.pmId, identity.trackedPid, since) : null,
    ]);
    if (newer !== null && confirmed !== undefined) confirmed = { ...confirmed, ...newer };
    found = { store: problem ?? 'shared', memoryBytes: ports.process.residentMemoryBytes() };
    return verdict;
  };

  /**
   * The heartbeat's verdict when this process may answer about itself now, else null (the daemon is
   * asked): not once its pid file names a newer process, nor under a daemon other than the one that
   * said it is online.
   */
  const judge = (alive: LivenessVerdict, newer: boolean): LivenessVerdict | null => {
    if (newer) replaced = true;
    else if (alive.ok && alive.daemonPid !== confirmed?.daemonPid) confirmed = undefined;
    else return alive;
    return null;
  };

  /** The verdict without a look: null (ask the daemon), or undefined when a look is due. */
  const verdictNow = (identity: ManagedIdentity): LivenessVerdict | null | undefined => {
    if (liveness === null || !canAnswer(identity)) return null;
    const newer = identity.execMode === 'cluster' && pidFile !== null ? pidFile.known() : false;
    const alive = found === undefined || newer === undefined ? undefined : liveness.current();
    return alive === undefined || newer === undefined ? undefined : judge(alive, newer);
  };

  /** The verdict, after the looks that are due. */
  const verdictOf = async (identity: ManagedIdentity): Promise<LivenessVerdict | null> => {
    const now = verdictNow(identity);
    if (now !== undefined || liveness === null) return now ?? null;
    const watch = identity.execMode === 'cluster' ? pidFile : null;
    const fresh = found === undefined ? undefined : liveness.current();
    const [alive, newer] = await Promise.all([
      fresh ??
        (looking ??= lookAround(identity, () => liveness.check()).finally(() => {
          looking = undefined;
        })),
      watch?.replaced(identity.trackedPid) ?? false,
    ]);
    return canAnswer(identity) ? judge(alive, newer) : null;
  };

  /** The local answer of a verdict. */
  const answer = (
    identity: ManagedIdentity,
    name: { value: string; source: NameSource },
    alive: LivenessVerdict,
  ): Pm2Info | undefined => {
    if (confirmed === undefined || found === undefined) return undefined;
    const { store, memoryBytes } = found;
    const self = {
      pid: ports.process.pid,
      uptimeMs: Math.round(ports.process.uptimeSeconds() * 1000),
      memoryBytes,
    };
    if (!alive.ok) return freezeInfo(buildInfo(identity, name, self, { problem: alive.problem, store }));
    const said = confirmed;
    const same =
      frozen?.identity === identity &&
      frozen.nameSource === name.source &&
      frozen.at === alive.at &&
      frozen.said === said &&
      frozen.parts.daemon?.store === store;
    if (!same || frozen === undefined)
      frozen = {
        identity,
        nameSource: name.source,
        at: alive.at,
        said,
        parts: localParts(identity, name, said, alive.at, store),
      };
    return buildLocalInfo(identity, name, self, frozen.parts, ports.clock.now());
  };

  return {
    confirm(said) {
      confirmed = said;
    },
    signalled() {
      signalled = true;
    },
    handlerInstalled(installed) {
      handler = installed;
    },
    async status(identity) {
      const alive = await verdictOf(identity);
      return alive === null ? undefined : alive.ok ? 'online' : null;
    },
    async info(identity, name) {
      const alive = await verdictOf(identity);
      return alive === null ? undefined : answer(identity, name, alive);
    },
    statusNow(identity) {
      const alive = verdictNow(identity);
      return alive === undefined ? 'lookFirst' : alive === null ? 'askDaemon' : alive.ok ? 'online' : null;
    },
    infoNow(identity, name) {
      const alive = verdictNow(identity);
      if (alive === undefined) return 'lookFirst';
      return (alive === null ? undefined : answer(identity, name, alive)) ?? 'askDaemon';
    },
  };
}
