/**
 * Turns across the instances of one app: a restart of a multi-instance app takes one of
 * `maxUnavailable` slots when it is about to stop taking work, so that at most that many instances
 * are unavailable at once. A slot is a lease file. The holder's next process hands the slot back once
 * it is ready; the daemon's list frees it for holders that will not come back. Pure.
 */
import { parseCount } from '../pm2/parse-values.js';
import type { ProcessEntry } from '../pm2/process-list.js';

/** A slot's lease, as its holder wrote it. */
export interface TurnLease {
  readonly pmId: number;
  /** The holder's pid: the process that is restarting. */
  readonly pid: number;
  /** The pid pm2 tracks for the holder: the holder itself, or its launcher (npm, yarn, pnpm, a shell). */
  readonly trackedPid: number;
  /** pm2's restart count of the holder's generation; null when unknown. */
  readonly restarts: number | null;
  readonly claimedAt: number;
  /**
   * `claimedAt` plus the term, as the holder wrote it: for people. Readers judge the lease's age by the
   * file's own time instead (lease-age.ts), never by a time written in it.
   */
  readonly expiresAt: number;
  /** True once given back: by the holder (its restart was cancelled or failed), or by its next generation. */
  readonly released: boolean;
}

/** How long a lease lives without renewal: a holder that is alive but hangs blocks the others this long. */
export const TURN_LEASE_MS = 30_000;
/** How often a holder renews its lease, and a waiter looks again. */
export const TURN_RENEW_MS = 5_000;
export const TURN_POLL_MS = 250;
/**
 * How long the holder's next process may run, online, without handing the slot back (it never
 * started pm2-self, say) before the daemon's list counts the holder as back.
 */
export const TURN_HANDBACK_GRACE_MS = 30_000;

/** Reads a lease file; null for anything that is not one. */
export function parseTurnLease(text: string | null): TurnLease | null {
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const [pmId, pid, claimedAt, expiresAt] = [r.pmId, r.pid, r.claimedAt, r.expiresAt].map(parseCount);
  if (pmId === undefined || pid === undefined || claimedAt === undefined || expiresAt === undefined)
    return null;
  const trackedPid = parseCount(r.trackedPid) ?? pid;
  const restarts = parseCount(r.restarts) ?? null;
  return { pmId, pid, trackedPid, restarts, claimedAt, expiresAt, released: r.released === true };
}

/** What is known of the holder besides the daemon's list. */
export interface HolderFacts {
  /** True while the holder's own process (`lease.pid`) is alive. */
  readonly alive: boolean;
  /** How long the lease has gone without renewal, as this reader judges it (`leaseAgeMs`). */
  readonly ageMs: number;
  /**
   * How long the holder's next process `next` has been online, as this reader judges it on its own
   * monotonic clock (holder-watch.ts); null when unknown.
   */
  onlineMs(next: ProcessEntry): number | null;
}

/**
 * Why a lease no longer holds its slot, or null while it does. It is over when given back (by the
 * holder, or by its next process once that is ready), or when the daemon's list shows a holder that
 * will not give it back: its instance deleted, stopped for good or errored, restarted more than once since the
 * claim (a crash loop), or online under a new process for {@link TURN_HANDBACK_GRACE_MS} without a
 * hand-back (as the reader judges it: `holder.onlineMs`, never pm2's wall clock against the reader's). A lease unrenewed for {@link TURN_LEASE_MS} is over only while the holder's process is alive (it hung):
 * a holder that exited is waiting for pm2 (`waiting restart`, `launching`, its `restart_delay`),
 * which no fixed clock may cut short.
 */
export function leaseOver(
  lease: TurnLease,
  entries: readonly ProcessEntry[] | null,
  holder: HolderFacts,
): string | null {
  if (lease.released) return 'given back';
  if (holder.ageMs > TURN_LEASE_MS && holder.alive) return 'expired (the holder hung)';
  if (entries === null) return null;
  const entry = entries.find((e) => e.pmId === lease.pmId);
  if (entry === undefined) return 'deleted';
  if (entry.status === 'errored' || stoppedForGood(entry)) return entry.status;
  if (lease.restarts !== null && entry.restarts !== null && entry.restarts > lease.restarts + 1)
    return 'restarted again (a crash loop)';
  const newProcess = entry.pid > 0 && entry.pid !== lease.trackedPid && entry.status === 'online';
  if (newProcess && (holder.onlineMs(entry) ?? 0) >= TURN_HANDBACK_GRACE_MS)
    return 'back online without a hand-back';
  return null;
}

/**
 * True when pm2 lists the instance `stopped` and will not start it again: a `pm2 stop`, autorestart
 * off or a stop exit code, each of which clears its pid to 0. pm2 also lists every exited process
 * `stopped`, pid kept, from its exit until its restart timer has started the next one (God.js
 * handleExit); that is a holder on its way back.
 */
function stoppedForGood(entry: ProcessEntry): boolean {
  return entry.status === 'stopped' && entry.pid === 0;
}

/** The instances of an app under one daemon: same name and namespace. */
export function instancesOf(
  entries: readonly ProcessEntry[],
  app: { name: string; namespace: string | null },
) {
  return entries.filter((e) => e.name === app.name && e.namespace === app.namespace);
}

/** The folder name of an app's slots: its namespace and name, made safe for a file name. */
export function turnFolderName(app: { name: string; namespace: string | null }): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  return `${safe(app.namespace ?? 'default')}--${safe(app.name)}`;
}
