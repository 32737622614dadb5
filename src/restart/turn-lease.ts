/**
 * Turns across the instances of one app: a restart of a multi-instance app takes one of
 * `maxUnavailable` slots before it proceeds, so that at most that many instances are restarting or
 * not yet back online. A slot is a lease file; the daemon's list decides when a lease is over (facts
 * from the daemon beat stale files). Pure.
 */
import { parseCount } from '../pm2/parse-values.js';
import type { ProcessEntry } from '../pm2/process-list.js';

/** A slot's lease, as its holder wrote it. */
export interface TurnLease {
  readonly pmId: number;
  /** The holder's pid: the process that is restarting. */
  readonly pid: number;
  readonly claimedAt: number;
  /** The holder renews this while it is alive; past it, the lease is over whatever else is known. */
  readonly expiresAt: number;
}

/** How long a lease lives without renewal: a holder that hangs blocks the others at most this long. */
export const TURN_LEASE_MS = 30_000;
/** How often a holder renews its lease, and a waiter looks again. */
export const TURN_RENEW_MS = 5_000;
export const TURN_POLL_MS = 250;

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
  return { pmId, pid, claimedAt, expiresAt };
}

/**
 * Why a lease no longer holds its slot, or null while it does: it expired (the holder hung or
 * died without a restart), its instance is gone from the daemon's list (deleted), is back online
 * under a new pid (the restart is done), or stopped/errored (it will not come back by itself).
 */
export function leaseOver(
  lease: TurnLease,
  entries: readonly ProcessEntry[] | null,
  now: number,
): string | null {
  if (now > lease.expiresAt) return 'expired';
  if (entries === null) return null;
  const entry = entries.find((e) => e.pmId === lease.pmId);
  if (entry === undefined) return 'deleted';
  if (entry.pid !== lease.pid && entry.pid > 0 && entry.status === 'online') return 'back online';
  if (entry.status === 'stopped' || entry.status === 'errored') return entry.status;
  return null;
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
