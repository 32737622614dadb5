/**
 * Reading a restart record: the judgement of whether a record file was left for this very generation
 * by the one before it. Anything else (another app, another generation, a missing count, times no
 * writer produces, an expiry past the reader's own lifetime) is refused with a typed reason.
 */
import { isRecord, parseJson } from '../common/json-values.js';
import { parseCount, parseName } from '../pm2/parse-values.js';
import type { RestartRecord } from './restart-record.js';

/** What the reading generation knows about itself. */
export interface RecordReader {
  readonly name: string;
  readonly namespace: string | null;
  readonly pmId: number;
  readonly pid: number;
  readonly restarts: number | null;
  /** When this generation was spawned (pm2's `pm_uptime`), or null when unknown. */
  readonly startedAt: number | null;
  /**
   * pm2's `created_at` for this generation (epoch ms), or null when unknown: pm2 sets it when it
   * restarts or resets an app (and on `pm2 start` of a stopped one), not when it restarts one that exited.
   * Absent: unknown.
   */
  readonly createdAt?: number | null;
  /**
   * How long after its predecessor's exit this generation may start, by its own settings
   * ({@link recordLifetimeMs}): a record's `expiresAt` counts no later than `exitedAt` plus this.
   */
  readonly lifetimeMs: number;
  /** When the record is read (epoch ms): a record from a later time is not believed. */
  readonly readAt: number;
}

/**
 * Why a record file is not this generation's record.
 * - `malformed`: not JSON, too large, or a field missing or of the wrong type.
 * - `otherApp`: another name, namespace or pm_id (the pm_id was reused after `pm2 delete`).
 * - `ownRecord`: written by this very process.
 * - `countMissing`: the record or the reader has no restart count: a missing count matches nothing.
 * - `otherGeneration`: the writer's restart count is not the reader's minus one, and no `pm2 reset`
 *   came between them (see {@link wasResetBetween}).
 * - `impossibleTimes`: times no writer produces (before 2001, from the future, a wait that does not
 *   match them, an expiry before the exit) or tasks cut without a forced restart.
 * - `notInTime`: this generation started before the request or after the record expired (its own
 *   lifetime counted from the exit, whatever the record says).
 */
export type RecordRejection =
  | 'malformed'
  | 'otherApp'
  | 'ownRecord'
  | 'countMissing'
  | 'otherGeneration'
  | 'impossibleTimes'
  | 'notInTime';

/** The outcome of {@link judgeRestartRecord}. */
export type RecordJudgement =
  | { readonly ok: true; readonly record: RestartRecord }
  | { readonly ok: false; readonly reason: RecordRejection };

/** Epoch ms of 2001-09-09: no record is older, so an earlier time (such as 0) is forged or broken. */
const EARLIEST_TIME = 1e12;
/** How far in the future (by the reader's clock) a record's exit may lie: the two clocks are one. */
const CLOCK_TOLERANCE_MS = 1_000;

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return allowed.find((item) => item === value);
}

function readFields(r: Record<string, unknown>) {
  return {
    pmId: parseCount(r.pmId),
    name: parseName(r.name),
    namespace: r.namespace === null ? null : parseName(r.namespace),
    previousPid: parseCount(r.previousPid),
    previousRestarts: r.previousRestarts === null ? null : parseCount(r.previousRestarts),
    requestedAt: parseCount(r.requestedAt),
    deferredMs: parseCount(r.deferredMs),
    exitedAt: parseCount(r.exitedAt),
    expiresAt: parseCount(r.expiresAt),
    tasksCut: parseCount(r.tasksCut),
    reason: typeof r.reason === 'string' && r.reason.length <= 2048 ? r.reason : undefined,
    signal: r.signal === null ? null : parseName(r.signal, 32),
    initiator: oneOf(r.initiator, ['self', 'pm2'] as const),
    strategy: oneOf(r.strategy, ['exit', 'daemon', 'shutdown'] as const),
    forced: typeof r.forced === 'boolean' ? r.forced : undefined,
  };
}

type Fields = ReturnType<typeof readFields>;
type Complete = { [K in keyof Fields]: Exclude<Fields[K], undefined> };

function isComplete(fields: Fields): fields is Complete {
  return Object.values(fields).every((value) => value !== undefined);
}

/** True when the times and counts are ones a writer produces (describeRestart, the watchdog). */
function isPossible(record: Complete, reader: RecordReader): boolean {
  const { requestedAt, exitedAt, expiresAt } = record;
  if (requestedAt < EARLIEST_TIME || exitedAt < EARLIEST_TIME) return false;
  if (exitedAt > reader.readAt + CLOCK_TOLERANCE_MS || expiresAt < exitedAt) return false;
  if (record.deferredMs !== Math.max(0, exitedAt - requestedAt)) return false;
  return record.forced || record.tasksCut === 0;
}

/**
 * True when a `pm2 reset` came between the writer and the reader: pm2 set the count to 0 and told the
 * writer nothing, so the writer's count (from its spawn) is too high and the reader, spawned by the next
 * restart, counts 1. That restart is told apart from a `pm2 stop` + `pm2 start` (same count, also 1 when
 * it was 1) by `created_at`: pm2 sets it before it stops an online app, or at the reset before the app's
 * own exit, hence before the writer's exit; a start of a stopped app sets it after that exit.
 */
function wasResetBetween(record: Complete, reader: RecordReader): boolean {
  if (reader.restarts !== 1 || record.previousRestarts === null || record.previousRestarts < 1) return false;
  return reader.createdAt != null && reader.createdAt <= record.exitedAt;
}

/** Why `record` was not written by the generation just before `reader`, for the same app; null if it was. */
function rejectionOf(record: Complete, reader: RecordReader): RecordRejection | null {
  if (record.pmId !== reader.pmId || record.name !== reader.name || record.namespace !== reader.namespace) {
    return 'otherApp';
  }
  if (record.previousPid === reader.pid) return 'ownRecord';
  if (record.previousRestarts === null || reader.restarts === null) return 'countMissing';
  if (record.previousRestarts + 1 !== reader.restarts && !wasResetBetween(record, reader))
    return 'otherGeneration';
  if (!isPossible(record, reader)) return 'impossibleTimes';
  if (reader.startedAt === null) return null;
  // Started after the writer's request and before the record expired; in a cluster reload the new
  // worker starts before pm2 stops the old one, so a record of pm2's stop may predate its reader.
  const startedInTime = reader.startedAt >= record.requestedAt || record.initiator === 'pm2';
  const expiresAt = Math.min(record.expiresAt, record.exitedAt + reader.lifetimeMs);
  return startedInTime && reader.startedAt <= expiresAt ? null : 'notInTime';
}

/**
 * Judges the record the generation before `reader` left: the record, or why it is not a well-formed
 * record of the same app written for this generation. Pure.
 */
export function judgeRestartRecord(text: string, reader: RecordReader): RecordJudgement {
  if (text.length > 64 * 1024) return { ok: false, reason: 'malformed' };
  const raw = parseJson(text);
  if (!isRecord(raw)) return { ok: false, reason: 'malformed' };
  const fields = readFields(raw);
  if (!isComplete(fields)) return { ok: false, reason: 'malformed' };
  const reason = rejectionOf(fields, reader);
  if (reason !== null) return { ok: false, reason };
  return { ok: true, record: { ...fields, previousRestarts: fields.previousRestarts as number } };
}

/** The record {@link judgeRestartRecord} accepts, or null (no file, or a record that is not this generation's). */
export function parseRestartRecord(text: string | null, reader: RecordReader): RestartRecord | null {
  if (text === null) return null;
  const judged = judgeRestartRecord(text, reader);
  return judged.ok ? judged.record : null;
}
