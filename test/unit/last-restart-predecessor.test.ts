/**
 * getLastRestart() with a predecessor of the same pm_id still alive (a cluster reload's old worker):
 * it waits for the record the predecessor writes when pm2 stops it, bounded by the predecessor's
 * kill_timeout plus pm2's listen_timeout plus a grace; a record nobody will read is removed.
 */
import { describe, expect, it } from 'vitest';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import { createLastRestart } from '../../src/last-restart.js';
import { readRestartSettings } from '../../src/pm2/restart-settings.js';
import { liveMarkerPath } from '../../src/restart/live-marker.js';
import { restartRecordPath } from '../../src/restart/restart-record.js';
import { createFakeFileSystem, createFakeProcess } from '../helpers/fake-ports.js';
import { createSimClock } from '../helpers/sim-clock.js';

const paths = pm2HomePaths('/srv/.pm2', 'linux');
const T0 = 1_700_000_000_000;
const identity = {
  managed: true,
  name: 'web',
  namespace: 'default',
  pmId: 0,
  relation: 'tracked',
  trackedPid: 200,
  startedAt: T0,
  restarts: 1,
  settings: readRestartSettings({}, 'daemon'),
} as ManagedIdentity;
const record = (requestedAt: number) =>
  JSON.stringify({
    initiator: 'pm2',
    reason: 'pm2 SIGINT',
    signal: 'SIGINT',
    name: 'web',
    namespace: 'default',
    pmId: 0,
    previousPid: 100,
    previousRestarts: 0,
    requestedAt,
    deferredMs: 50,
    exitedAt: requestedAt + 50,
    expiresAt: requestedAt + 20_000,
    strategy: 'shutdown',
    forced: false,
    tasksCut: 0,
  });

function world(predecessorAlive: boolean) {
  const clock = createSimClock(T0 + 100);
  const fs = createFakeFileSystem({
    [liveMarkerPath(paths.recordDir, 0)]: JSON.stringify({ pid: 100, killTimeoutMs: 1_600 }),
  });
  const process = createFakeProcess({ pid: 200, alive: predecessorAlive ? [100] : [] });
  const getLastRestart = createLastRestart({
    ports: { fs, process, clock },
    paths,
    identities: { get: async () => identity, refresh: async () => identity, current: identity },
  });
  return { clock, fs, process, getLastRestart };
}

describe('getLastRestart with a predecessor still alive', () => {
  it('waits for the record the old worker writes when pm2 stops it, and removes it', async () => {
    const { clock, fs, process, getLastRestart } = world(true);
    let answer: unknown = 'pending';
    void getLastRestart().then((value) => (answer = value));
    await clock.advance(1_000);
    expect(answer).toBe('pending');
    fs.files.set(restartRecordPath(paths.recordDir, 0), record(clock.now()));
    process.alive.delete(100);
    await clock.advance(200);
    expect(answer).toMatchObject({ initiator: 'pm2', signal: 'SIGINT', previousPid: 100 });
    expect(fs.files.has(restartRecordPath(paths.recordDir, 0))).toBe(false);
    expect(JSON.parse(fs.files.get(liveMarkerPath(paths.recordDir, 0)) ?? '{}')).toMatchObject({ pid: 200 });
  });

  it('gives up after kill_timeout + listen_timeout + 2 s when no record comes', async () => {
    const { clock, getLastRestart } = world(true);
    let answer: unknown = 'pending';
    void getLastRestart().then((value) => (answer = value));
    await clock.advance(6_500);
    expect(answer).toBe('pending');
    await clock.advance(300);
    expect(answer).toBeNull();
  });

  it('does not wait for a predecessor that is gone, and removes a stale record nobody will read', async () => {
    const { fs, getLastRestart } = world(false);
    fs.files.set(restartRecordPath(paths.recordDir, 0), record(T0 - 60_000));
    expect(await getLastRestart()).toBeNull();
    expect(fs.files.has(restartRecordPath(paths.recordDir, 0))).toBe(false);
  });
});
