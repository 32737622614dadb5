/**
 * `pm2 restart`, `pm2 reset`, `pm2 restart`: the reset sets pm2's restart count to 0 and tells the running
 * process nothing, so its record carries the count of its spawn (1) while the next generation counts 1.
 * That generation still reads its record. A `pm2 stop` + `pm2 start` (same count) still reads none: pm2's
 * `created_at` of the reader, set before pm2 stops an online app (or at the reset), predates the
 * writer's exit only in the first case.
 */
import { describe, expect, it } from 'vitest';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import { createLastRestart } from '../../src/last-restart.js';
import { readRestartSettings } from '../../src/pm2/restart-settings.js';
import { judgeRestartRecord, type RecordReader } from '../../src/restart/read-restart-record.js';
import { recordLifetimeMs, restartRecordPath, type RestartRecord } from '../../src/restart/restart-record.js';
import { createFakeFileSystem, createFakeProcess } from '../helpers/fake-ports.js';
import { createSimClock } from '../helpers/sim-clock.js';

const STARTED_AT = 1_700_000_000_000;
const settings = readRestartSettings({}, 'daemon');
const EXITED_AT = STARTED_AT - 100;

/** The record of a generation spawned with restart count 1 and stopped by `pm2 restart` (SIGINT). */
const written: RestartRecord = {
  initiator: 'pm2',
  reason: 'pm2 SIGINT',
  signal: 'SIGINT',
  name: 'a1',
  namespace: 'default',
  pmId: 0,
  previousPid: 100,
  previousRestarts: 1,
  requestedAt: EXITED_AT - 50,
  deferredMs: 50,
  exitedAt: EXITED_AT,
  expiresAt: EXITED_AT + recordLifetimeMs(settings),
  strategy: 'shutdown',
  forced: false,
  tasksCut: 0,
};

/** The next generation: pm2 counts 1 (0 after the reset, + 1). */
const reader: RecordReader = {
  name: 'a1',
  namespace: 'default',
  pmId: 0,
  pid: 200,
  restarts: 1,
  startedAt: STARTED_AT,
  // pm2 restart sets created_at before it stops the online app, so before the writer's exit.
  createdAt: EXITED_AT - 60,
  lifetimeMs: recordLifetimeMs(settings),
  readAt: STARTED_AT + 500,
};

const judge = (fields: Partial<RestartRecord>, by: Partial<RecordReader> = {}) =>
  judgeRestartRecord(JSON.stringify({ ...written, ...fields }), { ...reader, ...by });

describe('a pm2 reset between two generations', () => {
  it('restart, reset, restart: the new generation reads the record its predecessor wrote', () => {
    expect(judge({})).toEqual({ ok: true, record: written });
  });

  it('a writer spawned with a higher count (reset after 2 restarts) is read too', () => {
    expect(judge({ previousRestarts: 2 }).ok).toBe(true);
  });

  it('reset, then the app exits on its own and pm2 restarts it: created_at is the reset, read', () => {
    expect(judge({ initiator: 'self', reason: 'memory' }, { createdAt: EXITED_AT - 60_000 }).ok).toBe(true);
  });

  it('pm2 stop + pm2 start (the count stays 1): created_at is after the exit, not read', () => {
    expect(judge({}, { createdAt: EXITED_AT + 300 })).toEqual({ ok: false, reason: 'otherGeneration' });
  });

  it('without created_at the count alone decides: not read', () => {
    expect(judge({}, { createdAt: null })).toEqual({ ok: false, reason: 'otherGeneration' });
  });

  it('a generation between them after the reset (count 2 against 5): not read', () => {
    expect(judge({ previousRestarts: 5 }, { restarts: 2 })).toEqual({ ok: false, reason: 'otherGeneration' });
  });

  it('getLastRestart() takes created_at from pm2 variables of this spawn', async () => {
    const paths = pm2HomePaths('/srv/.pm2', 'linux');
    const file = restartRecordPath(paths.recordDir, 0);
    const fs = createFakeFileSystem({ [file]: JSON.stringify(written) });
    const identity = {
      managed: true,
      name: 'a1',
      namespace: 'default',
      pmId: 0,
      relation: 'tracked',
      trackedPid: 200,
      startedAt: STARTED_AT,
      restarts: 1,
      settings,
      source: 'pm2Env',
    } as ManagedIdentity;
    const process = createFakeProcess({ pid: 200, env: { created_at: String(EXITED_AT - 60) } });
    const getLastRestart = createLastRestart({
      ports: { fs, process, clock: createSimClock(STARTED_AT + 500) },
      paths,
      identities: { get: async () => identity, refresh: async () => identity, current: identity },
    });
    expect(await getLastRestart()).toEqual(written);
  });
});
