/**
 * Records nobody will read: a `restart-<pm_id>.json` or `live-<pm_id>.json` whose pm_id the daemon no
 * longer has (the app was removed with `pm2 delete`). A process that has just asked the daemon itself
 * removes them, at most once per interval.
 */
import { join } from 'node:path';
import { debug } from '../common/debug.js';
import type { DaemonListResult } from '../daemon/daemon-list.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { Ports } from '../ports/ports.js';

/** How often a process looks for records of deleted apps. */
export const RECORD_SWEEP_INTERVAL_MS = 60_000;

const RECORD_NAME = /^(?:restart|live)-(\d{1,12})\.json$/;

/** The record names among `names` whose pm_id is not in `pmIds`. Pure. */
export function orphanRecords(names: readonly string[], pmIds: ReadonlySet<number>): string[] {
  return names.filter((name) => {
    const match = RECORD_NAME.exec(name);
    return match !== null && !pmIds.has(Number(match[1]));
  });
}

/**
 * Returns what to do with each list this process asked the daemon for: at most once per
 * {@link RECORD_SWEEP_INTERVAL_MS}, remove the records of pm_ids missing from a complete list (none
 * skipped).
 */
export function createRecordSweep(
  ports: Pick<Ports, 'fs' | 'clock'>,
  recordDir: string,
): (list: DaemonListResult) => void {
  let lastAt: number | undefined;
  return (list) => {
    if (!list.ok || list.skipped > 0) return;
    const now = monotonicNow(ports.clock);
    if (lastAt !== undefined && now - lastAt >= 0 && now - lastAt < RECORD_SWEEP_INTERVAL_MS) return;
    lastAt = now;
    const pmIds = new Set(list.entries.map((entry) => entry.pmId));
    void (async () => {
      const orphans = orphanRecords((await ports.fs.list(recordDir)) ?? [], pmIds);
      await Promise.all(orphans.map((name) => ports.fs.remove(join(recordDir, name))));
      if (orphans.length > 0) debug('restart.record removed %d of deleted apps: %s', orphans.length, orphans);
    })().catch((error: unknown) => debug('restart.record sweep failed: %s', error));
  };
}
