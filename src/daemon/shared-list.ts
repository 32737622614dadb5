import { monotonicNow } from '../ports/monotonic-now.js';
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
   * through the file. While another process holds the claim, the snapshot stands until it is
   * `ttlMs + queryTimeoutMs` old; an older one (every process was idle a while) does not: this process
   * waits for the claimant's answer, and asks itself if it has not come within half of its budget (the
   * claimant hung, or the daemon is slow), so it never answers `timeout` while the daemon answers. A
   * process with no usable snapshot at all (its first question, or one after a signal) asks itself,
   * and so does one that finds a claim naming no holder (empty, junk, a symlink) until it is abandoned.
   * A query this process makes ends by `deadline`, the caller's whole budget (monotonic ms).
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

  /** One query of this process's own; a good answer is written for the others. */
  const askAndShare = async (daemonPid: number, deadline: number): Promise<DaemonListResult> => {
    const answer = await options.ask(deadline);
    if (answer.ok) await fs.writeText(options.file, encodeListSnapshot({ daemonPid, answer }));
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
      if (snapshot && ageMs < options.ttlMs) return snapshot.answer;
      return await askAndShare(daemonPid, deadline);
    } finally {
      await fs.remove(claimFile);
    }
  };

  const claimed = { fs, clock, claimFile, expiresMs: options.claimExpiresMs, isAlive: options.isAlive };

  /** The claimant's answer once it is in the file: a snapshot younger than `ttlMs`, else null. */
  const freshAnswer = async (daemonPid: number, askedAfter: number) => {
    const { snapshot, ageMs } = await read(daemonPid, askedAfter);
    return snapshot && ageMs < options.ttlMs ? snapshot.answer : null;
  };

  const get = async (daemonPid: number, askedAfter: number, deadline: number): Promise<DaemonListResult> => {
    for (let attempt = 1; ; attempt += 1) {
      const { snapshot, ageMs } = await read(daemonPid, askedAfter);
      if (snapshot && ageMs < options.ttlMs) return snapshot.answer;
      const now = clock.now();
      if (await claim(now)) return refresh(daemonPid, askedAfter, deadline);
      const state = await settleClaim(fs, claimFile, now, options.claimExpiresMs, options.isAlive);
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
      if (snapshot && ageMs < options.ttlMs + options.queryTimeoutMs) return snapshot.answer;
      // Nothing this process can use (its first question, or one after a signal): it asks itself.
      if (ageMs === Infinity) return options.ask(deadline);
      // Too old to stand (every process was idle): the claimant's answer is due. Wait for it, up to
      // half of what is left of this caller's budget; then ask, with the rest, and share the answer.
      const waitMs = Math.max(0, (deadline - monotonicNow(clock)) / 2);
      const answered = () => freshAnswer(daemonPid, askedAfter);
      const awaited = await awaitClaimant(claimed, answered, monotonicNow(clock) + waitMs);
      if (awaited === 'released') continue;
      if (awaited === 'late') return askAndShare(daemonPid, deadline);
      return awaited;
    }
  };

  return { get };
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
