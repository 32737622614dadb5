/**
 * Reading the record the generation before this one left: once per generation. The first read
 * removes the file, the record this generation reads or a stale one nobody will read (so a later
 * generation, after a `pm2 stop` + `pm2 start` that keeps the restart count, never reads it), and
 * the answer is kept for the life of the process. The first read also notes this process as the live
 * one of its pm_id (live-marker.ts). After a cluster `pm2 reload` the old worker still
 * runs when the new one starts, and writes its record only once pm2 stops it: while that predecessor
 * is alive the read waits for its record, at most its `kill_timeout` plus pm2's `listen_timeout`
 * (pm2 stops the old worker once the new one listens) plus a grace.
 */
import { PM2_DEFAULTS } from './common/defaults.js';
import type { Pm2HomePaths } from './daemon/pm2-home.js';
import type { IdentityCache } from './identity/identity-cache.js';
import { isTrackedByPm2 } from './identity/relation.js';
import type { Ports } from './ports/ports.js';
import { monotonicNow } from './ports/monotonic-now.js';
import { cancellableDelay } from './restart/cancellable-delay.js';
import { noteLiveProcess } from './restart/live-marker.js';
import { judgeRestartRecord } from './restart/read-restart-record.js';
import { recordLifetimeMs, restartRecordPath, type RestartRecord } from './restart/restart-record.js';
import { debug } from './common/debug.js';
import { parseCount } from './pm2/parse-values.js';

/** Slack beyond the predecessor's budget before the read gives up waiting for its record. */
export const PREDECESSOR_GRACE_MS = 2_000;
const POLL_MS = 100;

/** What {@link createLastRestart} reads with. */
export interface LastRestartParts {
  readonly ports: Pick<Ports, 'fs' | 'process' | 'clock'>;
  readonly paths: Pm2HomePaths;
  readonly identities: IdentityCache;
}

/** Returns `getLastRestart` for one instance. */
export function createLastRestart(parts: LastRestartParts): () => Promise<RestartRecord | null> {
  const { fs, process, clock } = parts.ports;
  let answer: Promise<RestartRecord | null> | undefined;

  const read = async (): Promise<RestartRecord | null> => {
    const identity = await parts.identities.get();
    if (!identity.managed || !isTrackedByPm2(identity.relation)) return null;
    const file = restartRecordPath(parts.paths.recordDir, identity.pmId);
    const reader = {
      name: identity.name,
      namespace: identity.namespace,
      pmId: identity.pmId,
      pid: process.pid,
      restarts: identity.restarts,
      startedAt: identity.startedAt,
      // pm2's variable of this very spawn; a list entry of the daemon does not carry it.
      createdAt: identity.source === 'pm2Env' ? (parseCount(process.env.created_at) ?? null) : null,
      lifetimeMs: recordLifetimeMs(identity.settings),
    };
    // Notes this process as the live one of its pm_id, learning of a predecessor that still runs.
    const before = await noteLiveProcess(parts.ports, parts.paths.recordDir, identity);
    const until =
      before === null
        ? 0
        : monotonicNow(clock) + before.killTimeoutMs + PM2_DEFAULTS.listenTimeoutMs + PREDECESSOR_GRACE_MS;
    for (;;) {
      const text = await fs.readText(file);
      const judged = text === null ? null : judgeRestartRecord(text, { ...reader, readAt: clock.now() });
      const record = judged?.ok === true ? judged.record : null;
      const waiting = record === null && before !== null && process.isAlive(before.pid);
      if (!waiting || monotonicNow(clock) >= until) {
        // Ours, or one nobody will read: a later generation reads only what its own predecessor writes.
        if (judged?.ok === false)
          debug('restart.record %s: %s is not read, and removed', judged.reason, file);
        if (text !== null) await fs.remove(file);
        return record;
      }
      await cancellableDelay(clock, POLL_MS).done;
    }
  };

  return () => {
    answer ??= read().then(
      (record) => {
        // Not under pm2 yet (no identity): ask again next time.
        if (record === null) answer = undefined;
        return record;
      },
      (error: unknown) => {
        // A failed read (a file port that rejected) is this call's answer only: the next call reads again.
        answer = undefined;
        throw error;
      },
    );
    return answer;
  };
}
