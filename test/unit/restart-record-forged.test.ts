/**
 * Issue 18: a forged or broken restart record is not believed. A missing restart count is not a
 * wildcard, times no writer produces (requestedAt 0, an exit in the future, a wait that does not match
 * them) are refused, and a record's expiry counts no later than the reader's own lifetime after the
 * exit, whatever `expiresAt` says. Each refusal names its reason.
 */
import { describe, expect, it } from 'vitest';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import { createLastRestart } from '../../src/last-restart.js';
import { readRestartSettings } from '../../src/pm2/restart-settings.js';
import {
  judgeRestartRecord,
  type RecordReader,
  type RecordRejection,
} from '../../src/restart/read-restart-record.js';
import { recordLifetimeMs, restartRecordPath, type RestartRecord } from '../../src/restart/restart-record.js';
import { createFakeFileSystem, createFakeProcess } from '../helpers/fake-ports.js';
import { createSimClock } from '../helpers/sim-clock.js';

const STARTED_AT = 1_700_000_000_000;
const settings = readRestartSettings({}, 'daemon');
const LIFETIME_MS = recordLifetimeMs(settings);

const reader: RecordReader = {
  name: 'web',
  namespace: 'default',
  pmId: 0,
  pid: 200,
  restarts: 8,
  startedAt: STARTED_AT,
  lifetimeMs: LIFETIME_MS,
  readAt: STARTED_AT + 500,
};

/** A record as the generation before `reader` writes it: asked 2 s and exited 100 ms before the start. */
const genuine: RestartRecord = {
  initiator: 'self',
  reason: 'memory',
  signal: null,
  name: 'web',
  namespace: 'default',
  pmId: 0,
  previousPid: 100,
  previousRestarts: 7,
  requestedAt: STARTED_AT - 2_000,
  deferredMs: 1_900,
  exitedAt: STARTED_AT - 100,
  expiresAt: STARTED_AT - 100 + LIFETIME_MS,
  strategy: 'exit',
  forced: false,
  tasksCut: 0,
};

const judge = (fields: Record<string, unknown>, by: RecordReader = reader) =>
  judgeRestartRecord(JSON.stringify({ ...genuine, ...fields }), by);

describe('a record is judged, and a refusal names its reason', () => {
  it('the genuine record of the generation before is accepted as written', () => {
    expect(judge({})).toEqual({ ok: true, record: genuine });
  });

  const refused: [string, Record<string, unknown>, RecordRejection][] = [
    ['a missing count (null) is not a wildcard', { previousRestarts: null }, 'countMissing'],
    ['a count of another generation', { previousRestarts: 6 }, 'otherGeneration'],
    ['requestedAt 0', { requestedAt: 0, deferredMs: genuine.exitedAt }, 'impossibleTimes'],
    ['exitedAt 0', { exitedAt: 0, deferredMs: 0, expiresAt: LIFETIME_MS }, 'impossibleTimes'],
    [
      'an exit later than the read',
      { exitedAt: reader.readAt + 60_000, deferredMs: 62_500 },
      'impossibleTimes',
    ],
    ['a wait that does not match the times', { deferredMs: 0 }, 'impossibleTimes'],
    ['an expiry before the exit', { expiresAt: genuine.exitedAt - 1 }, 'impossibleTimes'],
    ['tasks cut without a forced restart', { tasksCut: 7 }, 'impossibleTimes'],
    [
      'started before the self-restart was asked',
      { requestedAt: STARTED_AT + 1, deferredMs: 0, exitedAt: STARTED_AT + 1 },
      'notInTime',
    ],
    ['another app', { name: 'api' }, 'otherApp'],
    ['written by this very process', { previousPid: reader.pid }, 'ownRecord'],
    ['a field of the wrong type', { forced: 'yes' }, 'malformed'],
  ];
  it.each(refused)('%s: %s', (_label, fields, reason) => {
    expect(judge(fields)).toEqual({ ok: false, reason });
  });

  it('junk and oversized text are malformed', () => {
    expect(judgeRestartRecord('{"initiator":', reader)).toEqual({ ok: false, reason: 'malformed' });
    expect(judgeRestartRecord(JSON.stringify({ ...genuine, reason: 'x'.repeat(70_000) }), reader)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('a reader without a count of its own reads nothing', () => {
    expect(judge({}, { ...reader, restarts: null })).toEqual({ ok: false, reason: 'countMissing' });
  });

  it("a far-future expiresAt counts only up to the reader's own lifetime after the exit", () => {
    // The exit was a day before this generation started: long past any lifetime pm2's settings allow.
    const dayBefore = STARTED_AT - 86_400_000;
    const old = { requestedAt: dayBefore - 10, deferredMs: 10, exitedAt: dayBefore };
    expect(judge({ ...old, expiresAt: Number.MAX_SAFE_INTEGER })).toEqual({ ok: false, reason: 'notInTime' });
    // Just inside the reader's lifetime it is read, and just outside it is not.
    const inside = {
      requestedAt: STARTED_AT - LIFETIME_MS,
      deferredMs: 0,
      exitedAt: STARTED_AT - LIFETIME_MS,
    };
    expect(judge({ ...inside, expiresAt: Number.MAX_SAFE_INTEGER }).ok).toBe(true);
    const outside = { requestedAt: inside.requestedAt - 1, deferredMs: 0, exitedAt: inside.exitedAt - 1 };
    expect(judge({ ...outside, expiresAt: Number.MAX_SAFE_INTEGER })).toEqual({
      ok: false,
      reason: 'notInTime',
    });
  });
});

describe("getLastRestart() and the issue's forged record", () => {
  it('a restart-0.json with previousRestarts null, requestedAt 0 and a huge expiresAt is not read, and is removed', async () => {
    const paths = pm2HomePaths('/srv/.pm2', 'linux');
    const file = restartRecordPath(paths.recordDir, 0);
    const forged = {
      ...genuine,
      reason: 'forged',
      previousRestarts: null,
      requestedAt: 0,
      deferredMs: genuine.exitedAt,
      expiresAt: 9_999_999_999_999,
      forced: true,
      tasksCut: 7,
    };
    const fs = createFakeFileSystem({ [file]: JSON.stringify(forged) });
    const identity = {
      managed: true,
      name: 'web',
      namespace: 'default',
      pmId: 0,
      relation: 'tracked',
      trackedPid: 200,
      startedAt: STARTED_AT,
      restarts: 8,
      settings,
    } as ManagedIdentity;
    const getLastRestart = createLastRestart({
      ports: { fs, process: createFakeProcess({ pid: 200 }), clock: createSimClock(STARTED_AT + 500) },
      paths,
      identities: { get: async () => identity, refresh: async () => identity, current: identity },
    });
    expect(await getLastRestart()).toBeNull();
    expect(fs.files.has(file)).toBe(false);
  });
});
