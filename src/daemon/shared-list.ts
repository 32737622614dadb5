import type { Clock, FileSystem } from '../ports/ports.js';
import type { DaemonListResult } from './daemon-list.js';
import {
  decodeListClaim,
  decodeListSnapshot,
  encodeListClaim,
  encodeListSnapshot,
  type ListSnapshot,
} from './list-snapshot.js';

/** Name of the snapshot file in `$PM2_HOME/pm2-self/`; the claim file adds `.lock`. */
export const SHARED_LIST_FILE = 'list-v1.json';

/** Settings of a {@link SharedList}. */
export interface SharedListOptions {
  readonly fs: Required<Pick<FileSystem, 'readText' | 'writeText' | 'remove' | 'createExclusive'>>;
  readonly clock: Clock;
  /** This process's pid (written into the claim). */
  readonly pid: number;
  /** True when a process with this pid exists (a claim by a dead process is taken over). */
  readonly isAlive: (pid: number) => boolean;
  /** The snapshot file; the claim file is beside it. */
  readonly file: string;
  /** A snapshot is reused while younger than this. */
  readonly ttlMs: number;
  /** A claim older than this is abandoned (its holder hung or died) and taken over. */
  readonly claimExpiresMs: number;
  /** Asks the daemon itself: one query. */
  readonly ask: () => Promise<DaemonListResult>;
}

/** pm2's list shared by every process of one `PM2_HOME`: N callers, one daemon query per `ttlMs`. */
export interface SharedList {
  /**
   * The list of the daemon `daemonPid`, asked at or after `notBefore`: the shared snapshot while it is
   * younger than `ttlMs`; else one query, made by this process when it can claim the refresh and shared
   * through the file. While another process holds the claim, a snapshot younger than 2 x `ttlMs` is
   * reused; without one, this process asks the daemon itself.
   */
  get(daemonPid: number, notBefore: number): Promise<DaemonListResult>;
}

/** Creates a {@link SharedList}. Files: the snapshot (atomic rename) and a claim made with an exclusive create. */
export function createSharedList(options: SharedListOptions): SharedList {
  const { fs, clock } = options;
  const claimFile = `${options.file}.lock`;

  const claim = (now: number) =>
    fs.createExclusive(claimFile, encodeListClaim({ pid: options.pid, at: now }));

  const refresh = async (daemonPid: number): Promise<DaemonListResult> => {
    try {
      const answer = await options.ask();
      if (answer.ok) await fs.writeText(options.file, encodeListSnapshot({ daemonPid, answer }));
      return answer;
    } finally {
      await fs.remove(claimFile);
    }
  };

  const get = async (daemonPid: number, notBefore: number): Promise<DaemonListResult> => {
    const now = clock.now();
    const snapshot = decodeListSnapshot(await fs.readText(options.file));
    const ageMs = usableAge(snapshot, daemonPid, notBefore, now);
    if (snapshot && ageMs < options.ttlMs) return snapshot.answer;
    if (await claim(now)) return refresh(daemonPid);
    const holder = decodeListClaim(await fs.readText(claimFile));
    if (holder !== null && (now - holder.at > options.claimExpiresMs || !options.isAlive(holder.pid))) {
      await fs.remove(claimFile);
      if (await claim(now)) return refresh(daemonPid);
    } else if (holder !== null && snapshot && ageMs < 2 * options.ttlMs) {
      // Another process is refreshing it right now: its previous answer is barely past its age.
      return snapshot.answer;
    }
    return options.ask();
  };

  return { get };
}

/** The snapshot's age, or Infinity when it cannot answer this question at all. */
function usableAge(snapshot: ListSnapshot | null, daemonPid: number, notBefore: number, now: number): number {
  if (snapshot === null || snapshot.daemonPid !== daemonPid) return Infinity;
  const { askedAt } = snapshot.answer;
  return askedAt < notBefore || askedAt > now ? Infinity : now - askedAt;
}
