/**
 * Turns of a 3-instance app `web` over in-memory files and a scripted daemon list, on a simulated
 * clock whose wall clock can be stepped (test/helpers/stepped-clock.ts).
 */
import type { DaemonListResult, DaemonQuery } from '../../src/daemon/daemon-query.js';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import type { IdentityCache } from '../../src/identity/identity-cache.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import type { ProcessEntry } from '../../src/pm2/process-list.js';
import { createTurns } from '../../src/restart/turns.js';
import { createFakeFileSystem, createFakeProcess } from './fake-ports.js';
import { processEntry } from './process-entry.js';
import { createSteppedClock } from './stepped-clock.js';

export const HOME = '/srv/.pm2';
/** The folder of the app's slots. */
export const TURNS_DIR = `${HOME}/pm2-self/turns/default--web`;

/** Instance `pmId` of `web`, as the daemon lists it. */
export const entry = (pmId: number, pid: number, status = 'online'): ProcessEntry =>
  processEntry({ pid, pmId, instance: pmId, status });

export const identityOf = (pmId: number, trackedPid: number) =>
  ({ managed: true, name: 'web', namespace: 'default', pmId, trackedPid, restarts: 0 }) as ManagedIdentity;

/** A lease of instance 0 (pid 100) taken at `now`, as its file holds it. */
export const leaseOfInstance0 = (now: number, released: boolean) =>
  JSON.stringify({
    pmId: 0,
    pid: 100,
    trackedPid: 100,
    restarts: 0,
    claimedAt: now,
    expiresAt: now + 30_000,
    released,
  });

/**
 * The world of a turns test. With `fileTimes`, files carry the wall time they were written at (as the
 * kernel's mtime does) and `modifiedAt` answers it; without, readers have only the times in the leases.
 */
export function turnsWorld(options: { fileTimes?: boolean; start?: number } = {}) {
  const { sim: clock, clock: port, step } = createSteppedClock(options.start ?? 1_000_000);
  const fs = createFakeFileSystem({}, options.fileTimes === true ? port : undefined);
  const listed: { entries: ProcessEntry[]; failing?: boolean; problem?: 'timeout' | 'accessDenied' } = {
    entries: [entry(0, 100), entry(1, 101), entry(2, 102)],
  };
  const daemon: DaemonQuery = {
    list: async (): Promise<DaemonListResult> =>
      listed.failing === true
        ? { ok: false, problem: listed.problem ?? 'timeout', message: 'the daemon did not answer' }
        : {
            ok: true,
            entries: listed.entries,
            skipped: 0,
            via: 'rpc',
            at: port.now(),
            askedAt: port.now(),
          },
    daemonPid: async () => 1,
    usable: async () => 1,
    ping: async () => ({ ok: true }),
    requestRestart: async () => ({ ok: true }),
  };
  const turnsOf = (pmId: number, pid: number, trackedPid = pid, alive: number[] = []) => {
    const identity = identityOf(pmId, trackedPid);
    const identities = { current: identity } as IdentityCache;
    const process = createFakeProcess({ pid, alive });
    return createTurns({
      ports: { clock: port, fs, process },
      paths: pm2HomePaths(HOME, 'linux'),
      daemon,
      identities,
      maxUnavailable: 1,
    });
  };
  return { clock, step, fs, listed, turnsOf };
}
