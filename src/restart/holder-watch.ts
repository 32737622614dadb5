/**
 * What one reader of the turns remembers of each slot's holder, so that it judges ages on its own
 * monotonic clock (lease-age.ts) rather than by comparing its wall clock with another process's: when
 * it first saw the current lease file's time, and when it first saw the holder's next process online.
 */
import type { ProcessEntry } from '../pm2/process-list.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { Clock } from '../ports/ports.js';
import { leaseAgeMs, sightLease, type LeaseSighting } from './lease-age.js';
import { TURN_HANDBACK_GRACE_MS } from './turn-lease.js';

/**
 * The most of the holder's next process's time online that pm2's spawn time (its wall clock) may vouch
 * for at this reader's first sighting: half the grace. A reader that first sees the process late waits
 * the rest of the grace, half of it at least; a wall clock stepped forward (or pm2's ahead of this
 * reader's) never lets the next instance go sooner than that.
 */
export const HANDBACK_TRUSTED_AGE_MS = TURN_HANDBACK_GRACE_MS / 2;

/** A reader's memory of the slots' holders. */
export interface HolderWatch {
  /** How long the lease at `path` of slot `slotKey`, whose file time is `modifiedAt`, has gone unrenewed. */
  leaseAgeMs(slotKey: string, path: string, modifiedAt: number): number;
  /** How long the holder's next process `next` has been online, as this reader judges it; null when pm2 gave no spawn time. */
  onlineMs(slotKey: string, next: ProcessEntry): number | null;
}

/** Creates the {@link HolderWatch} of one reader, on `clock`. */
export function createHolderWatch(clock: Clock): HolderWatch {
  const leases = new Map<string, LeaseSighting>();
  const nextProcesses = new Map<string, LeaseSighting>();
  const ageOf = (
    seen: Map<string, LeaseSighting>,
    key: string,
    what: string,
    stamp: number,
    trustedAgeMs?: number,
  ) => {
    const mono = monotonicNow(clock);
    const sighting = sightLease(seen.get(key), what, stamp, clock.now(), mono, trustedAgeMs);
    seen.set(key, sighting);
    return leaseAgeMs(sighting, mono);
  };
  return {
    leaseAgeMs: (slotKey, path, modifiedAt) => ageOf(leases, slotKey, path, modifiedAt),
    onlineMs: (slotKey, next) =>
      next.startedAt === null
        ? null
        : ageOf(nextProcesses, slotKey, `pid ${next.pid}`, next.startedAt, HANDBACK_TRUSTED_AGE_MS),
  };
}
