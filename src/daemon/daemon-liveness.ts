import { parseCount } from '../pm2/parse-values.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { DaemonProblem } from './daemon-list.js';
import { awaitClaimant, type ClaimantOptions, settleClaim } from './claim-state.js';
import { encodeListClaim } from './list-snapshot.js';
import { isRecord, parseJson } from '../common/json-values.js';

/** Name of the heartbeat file in `$PM2_HOME/pm2-self/`; the claim to refresh it adds `.lock`. */
export const LIVENESS_FILE = 'alive-v1.json';

/** Beside the heartbeat: when a ping of the daemon last went unanswered (its `timeout`, shared). */
const MISSED_SUFFIX = '.missed';

/** Tag of the heartbeat's format; another tag is ignored. */
const FORMAT = 'pm2-self/alive@1';

/** Whether the daemon answered lately, or why it is not known to be there. */
export type LivenessVerdict =
  | {
      readonly ok: true;
      readonly daemonPid: number;
      /** When the daemon last answered a ping (epoch ms). */
      readonly at: number;
    }
  | { readonly ok: false; readonly problem: DaemonProblem; readonly message: string };

/** The outcome of one ping. */
export type PingResult =
  { readonly ok: true } | { readonly ok: false; readonly problem: DaemonProblem; readonly message: string };

/** Settings of a {@link DaemonLiveness}. */
export interface DaemonLivenessOptions extends ClaimantOptions {
  /**
   * When the heartbeat file was last written, without reading it (see `FileSystem.modifiedAt`); without
   * it the file is read and its time taken from its text.
   */
  readonly modifiedAt?: (path: string) => Promise<number | null>;
  /** True when a process with this pid exists: a dead daemon is seen at once, without a file read. */
  readonly isAlive: (pid: number) => boolean;
  /** The live daemon's pid from its pid file, else why none can be used. */
  readonly daemonPid: () => Promise<number | Exclude<LivenessVerdict, { ok: true }>>;
  /** Pings the daemon within `timeoutMs`. */
  readonly ping: (timeoutMs: number) => Promise<PingResult>;
  /**
   * What the process that refreshes the heartbeat asks the daemon, given the last heartbeat's time (null
   * without one): a ping, or more that also proves the daemon answers. Default: `ping`.
   */
  readonly beat?: (timeoutMs: number, lastBeatAt: number | null) => Promise<PingResult>;
  /** The heartbeat file; the claim file is beside it. */
  readonly file: string;
  /** A heartbeat younger than this says the daemon is there; one process pings once per interval. */
  readonly intervalMs: number;
  /** Time limit of one ping. */
  readonly timeoutMs: number;
}

/**
 * Whether the daemon still answers, for a process that answers about itself without asking it: a
 * heartbeat file that one process of the `PM2_HOME` refreshes with a ping once per `intervalMs`
 * (whichever finds it stale first, by an exclusive claim), looked at by each process once per interval.
 * Looking costs one `lstat` (the file's time is the heartbeat's) and the daemon's pid file is read again
 * only once the pid it named has died: an unchanged call reads no file at all.
 */
export interface DaemonLiveness {
  /**
   * The verdict, at most `intervalMs` old, and an `ok` one only while its heartbeat is younger than
   * `intervalMs`; a daemon whose pid died is seen on the next call. A paused daemon (pid alive, no
   * answer) is a `timeout` once a ping has gone unanswered: the one process that pings (once the
   * heartbeat is `intervalMs` old) shares its `timeout` beside the heartbeat, and every process takes it
   * for `intervalMs` without pinging. Meanwhile the last heartbeat stands up to `intervalMs + timeoutMs`;
   * past that, a caller that finds another process pinging waits for its outcome, up to `timeoutMs`, so
   * an old heartbeat alone (every process idle a while) is never a `timeout`.
   */
  check(): Promise<LivenessVerdict>;
  /**
   * The verdict while it is less than `intervalMs` old and its daemon's pid still lives, without a
   * promise or a file look; undefined when {@link DaemonLiveness.check} would look again.
   */
  current(): LivenessVerdict | undefined;
}

interface Heartbeat {
  readonly daemonPid: number;
  readonly at: number;
}

function decodeHeartbeat(text: string | null): Heartbeat | null {
  const fields = text === null ? undefined : parseJson(text);
  if (!isRecord(fields)) return null;
  const daemonPid = parseCount(fields.daemonPid);
  const at = parseCount(fields.at);
  if (fields.format !== FORMAT || daemonPid === undefined || at === undefined) return null;
  return { daemonPid, at };
}

/** Creates a {@link DaemonLiveness}. */
export function createDaemonLiveness(options: DaemonLivenessOptions): DaemonLiveness {
  const { fs, clock } = options;
  const claimFile = `${options.file}.lock`;
  const missedFile = `${options.file}${MISSED_SUFFIX}`;
  /** The last verdict; it is reused until `until` (monotonic). */
  let known: { verdict: LivenessVerdict; until: number; daemonPid: number | null } | undefined;
  let looking: Promise<LivenessVerdict> | undefined;

  /** Asks the daemon (`ask`) and writes the heartbeat (by atomic rename: a write needs no claim). */
  const pingAndWrite = async (
    daemonPid: number,
    ask: () => Promise<PingResult>,
  ): Promise<LivenessVerdict> => {
    const pong = await ask();
    if (!pong.ok) {
      // Every process takes this timeout for an interval instead of pinging the paused daemon itself.
      const missed = JSON.stringify({ format: FORMAT, daemonPid, at: clock.now() });
      if (pong.problem === 'timeout') await fs.writeText(missedFile, missed);
      return pong;
    }
    const at = clock.now();
    await fs.writeText(options.file, JSON.stringify({ format: FORMAT, daemonPid, at }));
    return { ok: true, daemonPid, at };
  };

  /** Pings as the claimant, writes the heartbeat and releases the claim. */
  const refresh = async (daemonPid: number, lastBeatAt: number | null): Promise<LivenessVerdict> => {
    try {
      return await pingAndWrite(daemonPid, () =>
        (options.beat ?? options.ping)(options.timeoutMs, lastBeatAt),
      );
    } finally {
      await fs.remove(claimFile);
    }
  };

  /**
   * The last heartbeat: its time from the file's own (one `lstat`; any process of this uid that pinged a
   * daemon of this home within the interval vouches for it: a daemon replaced since is pinged at the next
   * interval, the bound a heartbeat gives anyway), else from its text, which names the daemon's pid.
   */
  const lastBeat = async (daemonPid: number, file = options.file): Promise<Heartbeat | null> => {
    if (options.modifiedAt === undefined) return decodeHeartbeat(await fs.readText(file));
    const at = await options.modifiedAt(file);
    return at === null ? null : { daemonPid, at: Math.floor(at) };
  };

  /** A ping unanswered after the heartbeat `beatAt` and less than `intervalMs` ago: its timeout. */
  const recentMiss = async (daemonPid: number, beatAt: number): Promise<LivenessVerdict | null> => {
    const missed = await lastBeat(daemonPid, missedFile);
    const now = clock.now();
    if (missed === null || missed.daemonPid !== daemonPid || missed.at <= beatAt || missed.at > now)
      return null;
    if (now - missed.at >= options.intervalMs) return null;
    const message = `the daemon did not answer a ping ${now - missed.at} ms ago (shared by this PM2_HOME)`;
    return { ok: false, problem: 'timeout', message };
  };

  /** The heartbeat of `daemonPid` when one younger than `intervalMs` is there, else null. */
  const freshBeat = async (daemonPid: number): Promise<Heartbeat | null> => {
    const beat = await lastBeat(daemonPid);
    const now = clock.now();
    const fresh = beat !== null && beat.daemonPid === daemonPid && beat.at <= now;
    return fresh && now - beat.at < options.intervalMs ? beat : null;
  };

  const look = async (daemonPid: number, attempt = 1): Promise<LivenessVerdict> => {
    const beat = await lastBeat(daemonPid);
    const now = clock.now();
    const ageMs = beat !== null && beat.daemonPid === daemonPid && beat.at <= now ? now - beat.at : Infinity;
    if (beat !== null && ageMs < options.intervalMs) return { ok: true, daemonPid, at: beat.at };
    const beatAt = ageMs === Infinity ? -Infinity : (beat?.at ?? -Infinity);
    const missed = await recentMiss(daemonPid, beatAt);
    if (missed !== null) return missed;
    if (await fs.createExclusive(claimFile, encodeListClaim({ pid: options.pid, at: now })))
      return refresh(daemonPid, beat?.at ?? null);
    const expiresMs = options.timeoutMs + 1_000;
    const state = await settleClaim(fs, claimFile, clock.now(), expiresMs, options.isAlive);
    if ((state === 'free' || state === 'abandoned') && attempt < 2) return look(daemonPid, attempt + 1);
    // A claim that names no holder (empty, junk, a symlink) until it is abandoned: nobody is pinging,
    // so this process pings itself (a plain ping) rather than call a daemon that answers a timeout.
    if (state === 'unowned') return pingAndWrite(daemonPid, () => options.ping(options.timeoutMs));
    // Another process is pinging now: the last heartbeat stands while its ping may still succeed.
    if (beat !== null && ageMs < options.intervalMs + options.timeoutMs)
      return { ok: true, daemonPid, at: beat.at };
    // Too old to stand (every process idle a while, or a paused daemon): the claimant's outcome is due.
    // Wait for it, up to the ping's budget: its heartbeat, or its timeout (shared; seen on a look again).
    if (state === 'held' && beat !== null && ageMs !== Infinity) {
      const claim = {
        fs,
        clock,
        claimFile,
        expiresMs,
        isAlive: options.isAlive,
        keepAlive: options.keepAlive,
      };
      const until = monotonicNow(clock) + options.timeoutMs;
      const awaited = await awaitClaimant(claim, () => freshBeat(daemonPid), until);
      if (awaited === 'released' && attempt < 2) return look(daemonPid, attempt + 1);
      if (awaited !== 'released' && awaited !== 'late') return { ok: true, daemonPid, at: awaited.at };
      const message = `no heartbeat within ${options.timeoutMs} ms of another process's ping`;
      return { ok: false, problem: 'timeout', message };
    }
    // No heartbeat of this daemon at all yet: this process asks itself.
    const pong = await options.ping(options.timeoutMs);
    return pong.ok ? { ok: true, daemonPid, at: clock.now() } : pong;
  };

  const lookAgain = async (): Promise<LivenessVerdict> => {
    // The pid file names the daemon until it dies: it is read again only then (or before any is known).
    const alive = known?.daemonPid != null && options.isAlive(known.daemonPid) ? known.daemonPid : null;
    const pid = alive ?? (await options.daemonPid());
    const verdict = typeof pid === 'number' ? await look(pid) : pid;
    // An ok verdict stands only while its heartbeat is younger than the interval; then a look is due.
    const forMs = verdict.ok ? options.intervalMs - (clock.now() - verdict.at) : options.intervalMs;
    const until = monotonicNow(clock) + Math.min(options.intervalMs, Math.max(0, forMs));
    known = { verdict, until, daemonPid: typeof pid === 'number' ? pid : null };
    return verdict;
  };

  const current = (): LivenessVerdict | undefined => {
    if (known === undefined) return undefined;
    // The verdict's term inside this process, on the monotonic clock.
    const leftMs = known.until - monotonicNow(clock);
    const fresh = leftMs > 0 && leftMs <= options.intervalMs;
    // A known daemon that died is seen now, not at the next interval.
    return fresh && (known.daemonPid === null || options.isAlive(known.daemonPid))
      ? known.verdict
      : undefined;
  };

  return {
    current,
    check() {
      const verdict = current();
      if (verdict !== undefined) return Promise.resolve(verdict);
      return (looking ??= lookAgain().finally(() => {
        looking = undefined;
      }));
    },
  };
}
