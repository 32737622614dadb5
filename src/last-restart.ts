/**
 * Reading the record the generation before this one left: once per generation. The first read
 * removes the file (so a later generation, after a `pm2 stop` + `pm2 start` that keeps the restart
 * count, never reads it) and keeps the answer for the life of the process.
 */
import type { Pm2HomePaths } from './daemon/pm2-home.js';
import type { IdentityCache } from './identity/identity-cache.js';
import { isTrackedByPm2 } from './identity/relation.js';
import type { Ports } from './ports/ports.js';
import { parseRestartRecord, restartRecordPath, type RestartRecord } from './restart/restart-record.js';

/** What {@link createLastRestart} reads with. */
export interface LastRestartParts {
  readonly ports: Pick<Ports, 'fs' | 'process'>;
  readonly paths: Pm2HomePaths;
  readonly identities: IdentityCache;
}

/** Returns `getLastRestart` for one instance. */
export function createLastRestart(parts: LastRestartParts): () => Promise<RestartRecord | null> {
  let answer: Promise<RestartRecord | null> | undefined;

  const read = async (): Promise<RestartRecord | null> => {
    const identity = await parts.identities.get();
    if (!identity.managed || !isTrackedByPm2(identity.relation)) return null;
    const file = restartRecordPath(parts.paths.recordDir, identity.pmId);
    const record = parseRestartRecord(await parts.ports.fs.readText(file), {
      name: identity.name,
      namespace: identity.namespace,
      pmId: identity.pmId,
      pid: parts.ports.process.pid,
      restarts: identity.restarts,
      startedAt: identity.startedAt,
    });
    if (record !== null) await parts.ports.fs.remove(file);
    return record;
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
