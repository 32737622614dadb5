/**
 * A turn lease's age as one reader judges it: from the file's own time (its holder renews the lease by
 * rewriting it, so the file's time is the last renewal) and the reader's monotonic clock, bounded both
 * ways. A wall clock stepped back (or a planted time) dates a file in the future: it counts as written
 * when this reader first saw it, so it holds a turn one term at most unless renewed. A wall clock
 * stepped forward makes a file look old: the file's time vouches for at most
 * {@link LEASE_TRUSTED_AGE_MS}, so a holder that still renews always has two renewals' worth of the
 * reader's own watching before it counts as hung. Pure.
 */
import { TURN_LEASE_MS, TURN_RENEW_MS } from './turn-lease.js';

/**
 * The most of a lease's age its file's time may vouch for at a first sighting: the term less two
 * renewals. Beyond it, only this reader's monotonic watching ages the lease.
 */
export const LEASE_TRUSTED_AGE_MS = TURN_LEASE_MS - 2 * TURN_RENEW_MS;

/** What a reader remembers of a lease file's current time. */
export interface LeaseSighting {
  /** The lease file's name (a new generation is a new lease). */
  readonly file: string;
  /** The file's time (epoch ms) when this reader first saw it. */
  readonly modifiedAt: number;
  /** The reader's monotonic time at that first sighting. */
  readonly seenAt: number;
  /** The age the file's time vouched for then: from 0 (a time in the future) to the trusted bound. */
  readonly ageThen: number;
}

/**
 * The sighting of `file`, whose time is `modifiedAt`, seen at wall time `wallNow` and monotonic time
 * `monoNow`: the previous one while the file and its time are unchanged, else a new one. The file's
 * time vouches for an age of `trustedAgeMs` at most (the hand-back grace uses its own bound).
 */
export function sightLease(
  previous: LeaseSighting | undefined,
  file: string,
  modifiedAt: number,
  wallNow: number,
  monoNow: number,
  trustedAgeMs = LEASE_TRUSTED_AGE_MS,
): LeaseSighting {
  if (previous !== undefined && previous.file === file && previous.modifiedAt === modifiedAt) return previous;
  const ageThen = Math.min(trustedAgeMs, Math.max(0, wallNow - modifiedAt));
  return { file, modifiedAt, seenAt: monoNow, ageThen };
}

/** The lease's age at monotonic time `monoNow`; past {@link TURN_LEASE_MS}, its term is over. */
export function leaseAgeMs(sighting: LeaseSighting, monoNow: number): number {
  return sighting.ageThen + Math.max(0, monoNow - sighting.seenAt);
}
