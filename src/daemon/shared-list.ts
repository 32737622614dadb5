import { awaitClaimant, type ClaimantOptions, settleClaim } from './claim-state.js';
import type { DaemonListResult } from './daemon-list.js';
import {
  decodeListSnapshot,
  encodeListClaim,
  encodeListSnapshot,
  type ListSnapshot,
} from './list-snapshot.js';

/** Name of the snapshot file in `$PM2_HOME/pm2-self/`; the claim file adds `.lock`. */
export const SHARED_LIST_FILE = 'list-v1.json';

/** Settings of a {@link SharedList}. */
export interface SharedListOptions extends ClaimantOptions {
  /** True when a process with this pid exists (a claim by a dead process is taken over). */
  readonly isAlive: (pid: number) => boolean;
  /** The snapshot file; the claim file is beside it. */
  readonly file: string;
  /** A snapshot is reused while younger than this. */
  readonly ttlMs: number;
  /** Time limit of one daemon query: while a refresh may still succeed, the previous answer stands. */
  readonly queryTimeoutMs: number;
  /** A claim older than this is abandoned (its holder hung or died) and taken over. */
  readonly claimExpiresMs: number;
  /** Asks the daemon itself: one query, ending by `deadline` (monotonic ms, `monotonicNow`). */
  readonly ask: (deadline: number) => Promise<DaemonListResult>;
}

/** pm2's list shared by every process of one `PM2_HOME`: N callers, one daemon query per `ttlMs`. */
export interface SharedList {
  /**
   * The list of the daemon `daemonPid`, asked after `askedAfter`: the shared snapshot while it is
   * younger than `ttlMs`; else one query, made by this process when it can claim the refresh and shared
   * through the file (a `timeout` too: the daemon did not answer it). While another live process holds
   * the claim, only that process asks: its previous answer stands until it is `ttlMs + queryTimeoutMs`
   * old; past that (every process was idle a while, or the daemon is slow or paused) this process
   * waits for the claimant's answer, whatever it is, and takes it the moment it is in the file, up to
   * `deadline`: a `timeout` then means no answer came within the caller's whole budget. A claim that is
   * released without an answer, or abandoned (older than `claimExpiresMs`), is taken over. A process
   * with no usable snapshot at all (its first question, or one after a signal) asks itself, and so does
   * one that finds a claim naming no holder (empty, junk, a symlink) until it is abandoned. A query this
   * process makes ends by `deadline`, the caller's whole budget (monotonic ms).
   */
  get(daemonPid: number, askedAfter: number, deadline: number): Promise<DaemonListResult>;
}

/** Creates a {@link SharedList}. Files: the snapshot (atomic rename) and a claim made with an exclusive create. */
export function createSharedList(options: SharedListOptions): SharedList {
  const { fs, clock } = options;
  const claimFile = `${options.file}.lock`;

  const claim = (now: number) =>
    fs.createExclusive(claimFile, encodeListClaim({ pid: options.pid, at: now }));

  /** Reads the snapshot; its age when it can answer this question, else Infinity. */
  const read = async (daemonPid: number, askedAfter: number) => {
    const snapshot = decodeListSnapshot(await fs.readText(options.file));
    return { snapshot, ageMs: usableAge(snapshot, daemonPid, askedAfter, clock.now()) };
  };

  /** One query of this process's own; its answer, or its timeout, is written for the others. */
  const askAndShare = async (daemonPid: number, deadline: number): Promise<DaemonListResult> => {
    const askedAt = clock.now();
    const answer = await options.ask(deadline);
    if (answer.ok) await fs.writeText(options.file, encodeListSnapshot({ daemonPid, answer }));
    else if (answer.problem === 'timeout') {
      const timedOut = { ...answer, problem: answer.problem, at: clock.now(), askedAt };
      await fs.writeText(options.file, encodeListSnapshot({ daemonPid, answer: timedOut }));
    }
    return answer;
  };

  const refresh = async (
    daemonPid: number,
    askedAfter: number,
    deadline: number,
  ): Promise<DaemonListResult> => {
    try {
      // The previous holder may have written its answer between this process's read and its claim.
      const { snapshot, ageMs } = await read(daemonPid, askedAfter);
      if (snapshot && ageMs < options.ttlMs) return resultOf(snapshot);
      return await askAndShare(daemonPid, deadline);
    } finally {
      await fs.remove(claimFile);
    }
  };

  const claimed = {
    fs,
    clock,
    claimFile,
    expiresMs: options.claimExpiresMs,
    isAlive: options.isAlive,
    keepAlive: options.keepAlive,
  };

  /** The claimant's answer once it is in the file (asked after `seenAskedAt`), else null. */
  const newerAnswer = async (daemonPid: number, askedAfter: number, seenAskedAt: number) => {
    const { snapshot, ageMs } = await read(daemonPid, Math.max(askedAfter, seenAskedAt));
    return snapshot && ageMs !== Infinity ? resultOf(snapshot) : null;
  };

  const get = async (daemonPid: number, askedAfter: number, deadline: number): Promise<DaemonListResult> => {
    for (let attempt = 1; ; attempt += 1) {
      const { snapshot, ageMs } = await read(daemonPid, askedAfter);
      if (snapshot && ageMs < options.ttlMs) return resultOf(snapshot);
      const now = clock.now();
      if (await claim(now)) return refresh(daemonPid, askedAfter, deadline);
      const state = await settleClaim(fs, claimFile, clock.now(), options.claimExpiresMs, options.isAlive);
      // A claim that names no holder (empty, junk, a symlink) until it is abandoned: nobody is asking,
      // so this process asks itself and shares its answer (by atomic rename: a write needs no claim).
      if (state === 'unowned') return askAndShare(daemonPid, deadline);
      // No holder: it has just finished (its answer is in the file now); abandoned: claim it. Once.
      if (state !== 'held') {
        if (attempt < 2) continue;
        return options.ask(deadline);
      }
      // Another process is asking right now. Never pile on: one slow daemon answer must not turn into
      // N queries. Its previous answer stands while the refresh may still succeed.
      if (snapshot && ageMs < options.ttlMs + options.queryTimeoutMs) return resultOf(snapshot);
      // Nothing this process can use (its first question, or one after a signal): it asks itself.
      if (snapshot === null || ageMs === Infinity) return options.ask(deadline);
      // Too old to stand (idle a while, or a slow or paused daemon): the claimant's answer is due. Wait
      // for it, whatever it is, up to this caller's whole budget; a claim let go without one is retried.
      const answered = () => newerAnswer(daemonPid, askedAfter, snapshot.answer.askedAt);
      const awaited = await awaitClaimant(claimed, answered, deadline);
      if (awaited === 'released') continue;
      if (awaited === 'late') {
        const message = `no daemon answer within ${options.queryTimeoutMs} ms (another process of this PM2_HOME is asking it)`;
        return { ok: false, problem: 'timeout', message };
      }
      return awaited;
    }
  };

  return { get };
}

/** What a snapshot tells a caller: the list, or that the daemon did not answer in time. */
function resultOf(snapshot: ListSnapshot): DaemonListResult {
  const { answer } = snapshot;
  return answer.ok ? answer : { ok: false, problem: answer.problem, message: answer.message };
}

/** The snapshot's age, or Infinity when it cannot answer this question at all. */
function usableAge(
  snapshot: ListSnapshot | null,
  daemonPid: number,
  askedAfter: number,
  now: number,
): number {
  if (snapshot === null || snapshot.daemonPid !== daemonPid) return Infinity;
  const { askedAt } = snapshot.answer;
  return askedAt <= askedAfter || askedAt > now ? Infinity : now - askedAt;
}
