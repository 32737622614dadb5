/**
 * Which process of this pm_id ran before this one, and whether it still runs: each tracked process
 * that reads its last restart notes itself in `$PM2_HOME/pm2-self/live-<pm_id>.json`, after reading
 * the note its predecessor left. During a cluster `pm2 reload` the new worker starts while the old
 * one still runs (it writes its restart record only when pm2 stops it); `getLastRestart()` waits for
 * such a predecessor instead of answering null.
 * @module
 */
import { join } from 'node:path';
import { PM2_DEFAULTS } from '../common/defaults.js';
import { debug } from '../common/debug.js';
import type { ManagedIdentity } from '../identity/identity.js';
import { isTrackedByPm2 } from '../identity/relation.js';
import { parseCount } from '../pm2/parse-values.js';
import type { Ports } from '../ports/ports.js';

/** A predecessor of the same pm_id that was still alive when this process started. */
export interface Predecessor {
  readonly pid: number;
  /** Its pm2 `kill_timeout`: how long pm2 gives it to exit once it is signalled. */
  readonly killTimeoutMs: number;
}

/** The note's path for a pm_id. */
export function liveMarkerPath(recordDir: string, pmId: number): string {
  return join(recordDir, `live-${pmId}.json`);
}

/** Reads a note; null for anything that is not one. Pure. */
export function parseLiveMarker(text: string | null): Predecessor | null {
  if (text === null || text.length > 4096) return null;
  try {
    const raw = JSON.parse(text) as Record<string, unknown> | null;
    const pid = parseCount(raw?.pid);
    const killTimeoutMs = parseCount(raw?.killTimeoutMs);
    return pid === undefined || killTimeoutMs === undefined ? null : { pid, killTimeoutMs };
  } catch {
    return null;
  }
}

/**
 * Notes this process as the live one of its pm_id; resolves the predecessor that still runs (a cluster
 * reload's old worker), or null. Never rejects.
 */
export async function noteLiveProcess(
  ports: Pick<Ports, 'fs' | 'process'>,
  recordDir: string,
  identity: ManagedIdentity,
): Promise<Predecessor | null> {
  if (!isTrackedByPm2(identity.relation)) return null;
  const { fs, process } = ports;
  const path = liveMarkerPath(recordDir, identity.pmId);
  try {
    const before = parseLiveMarker(await fs.readText(path));
    const kill = identity.settings.killTimeoutMs;
    const killTimeoutMs = kill === 'unknown' ? PM2_DEFAULTS.killTimeoutMs : kill;
    await fs.writeText(path, JSON.stringify({ pid: process.pid, killTimeoutMs }));
    const alive = before !== null && before.pid !== process.pid && process.isAlive(before.pid);
    return alive ? before : null;
  } catch (error) {
    debug('restart: the live note was not kept: %s', error);
    return null;
  }
}
