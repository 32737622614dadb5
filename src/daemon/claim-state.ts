/**
 * Whether a claim file (the list's or the heartbeat's) is held, free, unowned or abandoned, and the
 * take-over of an abandoned one. A claim that is empty, junk or unreadable (a symlink, a FIFO) names no
 * holder: it is unowned, and abandoned once the budget has passed (its age is the file's own time); a
 * claim dated in the future is abandoned at once, as is a claim by a dead process.
 */
import type { Clock, FileSystem, StampedFile } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import { decodeListClaim } from './list-snapshot.js';

/**
 * What a claim file says now: `held` by a live process that is asking the daemon right now; `unowned`
 * when a file is there but names no holder (empty, junk, not a regular file), so nobody is known to be
 * asking and the caller asks itself until the file is abandoned (claims are created complete, never
 * empty); `free` or `abandoned` (taken away by {@link settleClaim}) when the caller may claim.
 */
export type ClaimState = 'free' | 'held' | 'unowned' | 'abandoned';

/**
 * How far ahead of a reader's clock a claim's times may be and still count as written now: a claim
 * made between the reader's failed claim and its read is dated a few ms after the reader's `now`.
 */
export const CLAIM_CLOCK_SLACK_MS = 1_000;

/** Judges a claim as read. Pure. */
export function judgeClaim(
  file: Pick<StampedFile, 'text' | 'modifiedAt'> | null,
  now: number,
  expiresMs: number,
  isAlive: (pid: number) => boolean,
): ClaimState {
  if (file === null) return 'free';
  const holder = file.text === null ? null : decodeListClaim(file.text);
  if (holder !== null && !isAlive(holder.pid)) return 'abandoned';
  // A time in the future is invalid: no age can be told from it. A claim made a moment after the
  // reader's `now` (another process, a file time finer than the clock) is not in the future.
  const future = now + CLAIM_CLOCK_SLACK_MS;
  if (file.modifiedAt > future || (holder !== null && holder.at > future)) return 'abandoned';
  const since = Math.min(file.modifiedAt, holder?.at ?? file.modifiedAt);
  if (now - since > expiresMs) return 'abandoned';
  return holder === null ? 'unowned' : 'held';
}

/** The file-system calls a claim needs. */
export type ClaimFiles = Pick<FileSystem, 'readText' | 'remove' | 'readStamped' | 'replaceAbandoned'>;

/** What a process needs to take, keep and hand over a claim file (the list's or the heartbeat's). */
export interface ClaimantOptions {
  readonly fs: Required<Pick<FileSystem, 'readText' | 'writeText' | 'remove' | 'createExclusive'>> &
    ClaimFiles;
  readonly clock: Clock;
  /** This process's pid (written into the claim). */
  readonly pid: number;
  /** True when a process with this pid exists. */
  readonly isAlive: (pid: number) => boolean;
  /**
   * Holds the process open until the returned release is called (the process port's `keepAlive`):
   * while a caller waits for another process's answer, only unref'd timers are pending, and a script
   * with nothing else to do would exit before its answer came. Without it nothing is held.
   */
  readonly keepAlive?: () => () => void;
}

/**
 * Reads the claim at `path` and, when it is abandoned, takes it away (moved aside where the file
 * system can, so a claim made anew meanwhile stays). Resolves the state it found.
 */
export async function settleClaim(
  fs: ClaimFiles,
  path: string,
  now: number,
  expiresMs: number,
  isAlive: (pid: number) => boolean,
): Promise<ClaimState> {
  if (fs.readStamped === undefined) {
    // Without file times: the time written in the claim; a claim that cannot be read is abandoned.
    const text = await fs.readText(path);
    if (text === null) return 'free';
    const holder = decodeListClaim(text);
    const state = judgeClaim({ text, modifiedAt: holder?.at ?? -Infinity }, now, expiresMs, isAlive);
    if (state === 'abandoned') await fs.remove(path);
    return state;
  }
  const file = await fs.readStamped(path);
  const state = judgeClaim(file, now, expiresMs, isAlive);
  if (state === 'abandoned' && file !== null) {
    if (fs.replaceAbandoned === undefined) await fs.remove(path);
    else if (!(await fs.replaceAbandoned(path, file.stamp))) return 'held';
  }
  return state;
}

/** How often a process waiting for a claimant's answer looks at the shared file and the claim again. */
export const CLAIMANT_POLL_MS = 20;

/** The claim a process waits on, and how it judges it. */
export interface AwaitedClaim {
  readonly fs: ClaimFiles;
  readonly clock: Clock;
  readonly claimFile: string;
  /** A claim older than this is abandoned. */
  readonly expiresMs: number;
  readonly isAlive: (pid: number) => boolean;
  /** Holds the process open while waiting (see {@link ClaimantOptions.keepAlive}). */
  readonly keepAlive?: () => () => void;
}

/**
 * Waits for the answer of the process holding `claim`, looking every {@link CLAIMANT_POLL_MS} until the
 * monotonic time `until`: the value of `answered()` once it has one (the holder shared its answer),
 * `released` once the claim is no longer held without one (its holder failed or died), else `late`.
 * The process is held open meanwhile, as a pending socket query holds it: the wait is the caller's.
 */
export async function awaitClaimant<T>(
  claim: AwaitedClaim,
  answered: () => Promise<T | null>,
  until: number,
): Promise<T | 'released' | 'late'> {
  const { fs, clock } = claim;
  const release = claim.keepAlive?.();
  try {
    while (monotonicNow(clock) < until) {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, CLAIMANT_POLL_MS));
      const answer = await answered();
      if (answer !== null) return answer;
      const state = await settleClaim(fs, claim.claimFile, clock.now(), claim.expiresMs, claim.isAlive);
      if (state !== 'held') return 'released';
    }
    return 'late';
  } finally {
    release?.();
  }
}
