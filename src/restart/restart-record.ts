import { join } from 'node:path';
import { parseCount, parseName } from '../pm2/parse-values.js';
import type { RestartSettings } from '../pm2/restart-settings.js';
import type { PendingRequest } from './request.js';
import { isRecord, parseJson } from '../common/json-values.js';
import type { RecordTarget } from './record-target.js';

export type { RecordTarget } from './record-target.js';

/**
 * What a generation leaves for the next one: why and how it restarted. A record belongs to one app
 * (name, namespace and pm_id) and to the one generation that starts next, and only until `expiresAt`:
 * after a `pm2 stop` + `pm2 start`, a `pm2 delete`, or when another app later gets the same pm_id,
 * nobody reads it. The generation that reads it removes it.
 */
export interface RestartRecord {
  /** `self`: this library restarted the app; `pm2`: pm2 stopped or restarted it (signal or message). */
  readonly initiator: 'self' | 'pm2';
  /** The self-restart's reason, or `pm2 <signal>` (with the pending self-restart's reason, if one was). */
  readonly reason: string;
  /** For `initiator: 'pm2'`: what delivered the request (`SIGINT`, `SIGTERM`, `message`); else null. */
  readonly signal: string | null;
  readonly name: string;
  readonly namespace: string | null;
  readonly pmId: number;
  readonly previousPid: number;
  /** pm2's restart count of the generation that wrote the record. */
  readonly previousRestarts: number | null;
  readonly requestedAt: number;
  /** How long the request waited for running tasks. */
  readonly deferredMs: number;
  readonly exitedAt: number;
  /** The next generation must have started by then, or the record is not its. */
  readonly expiresAt: number;
  /** `exit`, `daemon` or `shutdown`. */
  readonly strategy: 'exit' | 'daemon' | 'shutdown';
  /** True when a deadline forced the restart past running tasks. */
  readonly forced: boolean;
  /** Tasks still running at the exit (only ever non-zero when forced). */
  readonly tasksCut: number;
}

/** Slack added to pm2's own delays before a record expires. */
const RECORD_SLACK_MS = 10_000;
/** pm2's cap on the exponential back-off delay. */
const EXP_BACKOFF_CAP_MS = 15_000;

/**
 * How long after the exit the next generation may start: pm2's kill budget (for a daemon restart),
 * its restart delay, and a slack of 10 s. Unknown settings count at pm2's longest.
 */
export function recordLifetimeMs(settings: RestartSettings): number {
  const kill = settings.killTimeoutMs === 'unknown' ? 0 : settings.killTimeoutMs;
  const delay = settings.restartDelayMs === 'unknown' ? EXP_BACKOFF_CAP_MS : settings.restartDelayMs;
  const backoff = settings.expBackoffRestartDelayMs === null ? 0 : EXP_BACKOFF_CAP_MS;
  return kill + Math.max(delay, backoff) + RECORD_SLACK_MS;
}

/** Where the record for `pmId` lives inside the record folder. */
export function restartRecordPath(recordDir: string, pmId: number): string {
  return join(recordDir, `restart-${pmId}.json`);
}

/** What the reading generation knows about itself. */
export interface RecordReader {
  readonly name: string;
  readonly namespace: string | null;
  readonly pmId: number;
  readonly pid: number;
  readonly restarts: number | null;
  /** When this generation was spawned (pm2's `pm_uptime`), or null when unknown. */
  readonly startedAt: number | null;
}

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

/** True when the record was written by the generation just before `reader`, for the same app. */
function isForReader(record: Complete, reader: RecordReader): boolean {
  if (record.pmId !== reader.pmId || record.name !== reader.name || record.namespace !== reader.namespace) {
    return false;
  }
  if (record.previousPid === reader.pid) return false;
  if (record.previousRestarts !== null && reader.restarts !== null) {
    if (record.previousRestarts + 1 !== reader.restarts) return false;
  }
  if (reader.startedAt === null) return true;
  // Started after the writer's request and before the record expired; in a cluster reload the new
  // worker starts before pm2 stops the old one, so a record of pm2's stop may predate its reader.
  const startedInTime = reader.startedAt >= record.requestedAt || record.initiator === 'pm2';
  return startedInTime && reader.startedAt <= record.expiresAt;
}

/**
 * Reads the record the generation before `reader` left. Returns null for anything that is not a
 * well-formed record of the same app written for this generation. Pure.
 */
export function parseRestartRecord(text: string | null, reader: RecordReader): RestartRecord | null {
  if (text === null || text.length > 64 * 1024) return null;
  const raw = parseJson(text);
  if (!isRecord(raw)) return null;
  const fields = readFields(raw);
  if (!isComplete(fields) || !isForReader(fields, reader)) return null;
  return fields;
}

/** What {@link describeRestart} records. */
export interface RestartFacts {
  readonly request: PendingRequest;
  readonly strategy: { readonly type: 'exit' | 'daemon' | 'shutdown' };
  readonly target: RecordTarget;
  readonly pid: number;
  readonly now: number;
  /** Tasks still running at the exit. */
  readonly tasks: number;
}

/** The reason a record gives: for a pm2 stop, what pm2 sent and which self-restart it overtook. */
function recordedReason(request: PendingRequest): string {
  if (request.kind !== 'shutdown') return request.reason;
  const sent = `${request.fromPm2 ? 'pm2 ' : ''}${request.signal ?? 'signal'}`;
  return request.reason === sent ? sent : `${sent} (a self-restart was pending: ${request.reason})`;
}

/** The record this generation leaves for the next one. Pure. */
export function describeRestart(facts: RestartFacts): RestartRecord {
  const { request, target } = facts;
  return {
    initiator: request.kind === 'shutdown' ? 'pm2' : 'self',
    reason: recordedReason(request),
    signal: request.kind === 'shutdown' ? request.signal : null,
    name: target.name,
    namespace: target.namespace,
    pmId: target.pmId,
    previousPid: facts.pid,
    previousRestarts: target.restarts,
    requestedAt: request.requestedAt,
    deferredMs: Math.max(0, facts.now - request.requestedAt),
    exitedAt: facts.now,
    expiresAt: facts.now + target.lifetimeMs,
    strategy: facts.strategy.type,
    forced: request.forced,
    tasksCut: facts.tasks,
  };
}

/**
 * Temporary files in the record folder left by writers that died between writing and renaming
 * (`<file>.<pid>.tmp` whose pid no longer runs). Pure.
 */
export function staleTemporaryFiles(names: readonly string[], isAlive: (pid: number) => boolean): string[] {
  return names.filter((name) => {
    const match = /\.(\d{1,10})\.tmp$/.exec(name);
    if (match === null) return false;
    const pid = Number(match[1]);
    return !isAlive(pid);
  });
}
