import type { PendingRequest } from './machine.js';
import { join } from 'node:path';
import { parseCount } from '../pm2/parse-values.js';

/** What a generation leaves for the next one: why and how it restarted. */
export interface RestartRecord {
  /** `self`: this library restarted the app; `pm2`: pm2 stopped or restarted it (signal or message). */
  readonly initiator: 'self' | 'pm2';
  readonly reason: string;
  readonly pmId: number;
  readonly previousPid: number;
  /** pm2's restart count of the generation that wrote the record. */
  readonly previousRestarts: number | null;
  readonly requestedAt: number;
  /** How long the request waited for running tasks. */
  readonly deferredMs: number;
  readonly exitedAt: number;
  /** `exit`, `daemon` or `shutdown`. */
  readonly strategy: 'exit' | 'daemon' | 'shutdown';
  /** True when a deadline forced the restart past running tasks. */
  readonly forced: boolean;
  /** Tasks still running at the exit (only ever non-zero when forced). */
  readonly tasksCut: number;
}

/** Where the record for `pmId` lives inside the record folder. */
export function restartRecordPath(recordDir: string, pmId: number): string {
  return join(recordDir, `restart-${pmId}.json`);
}

/**
 * Reads a record written by an earlier generation of this pm_id. Returns null for anything that is
 * not a well-formed record of the same pm_id written by another pid. Pure.
 */
export function parseRestartRecord(
  text: string | null,
  expected: { pmId: number; pid: number },
): RestartRecord | null {
  if (text === null || text.length > 64 * 1024) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const pmId = parseCount(r.pmId);
  const previousPid = parseCount(r.previousPid);
  const requestedAt = parseCount(r.requestedAt);
  const deferredMs = parseCount(r.deferredMs);
  const exitedAt = parseCount(r.exitedAt);
  const tasksCut = parseCount(r.tasksCut);
  const reason = typeof r.reason === 'string' && r.reason.length <= 1024 ? r.reason : undefined;
  const initiator = r.initiator === 'self' || r.initiator === 'pm2' ? r.initiator : undefined;
  const strategy =
    r.strategy === 'exit' || r.strategy === 'daemon' || r.strategy === 'shutdown' ? r.strategy : undefined;
  if (pmId !== expected.pmId || previousPid === undefined || previousPid === expected.pid) return null;
  if (
    requestedAt === undefined ||
    deferredMs === undefined ||
    exitedAt === undefined ||
    tasksCut === undefined
  )
    return null;
  if (
    reason === undefined ||
    initiator === undefined ||
    strategy === undefined ||
    typeof r.forced !== 'boolean'
  )
    return null;
  const previousRestarts = r.previousRestarts === null ? null : parseCount(r.previousRestarts);
  if (previousRestarts === undefined) return null;
  return {
    initiator,
    reason,
    pmId,
    previousPid,
    previousRestarts,
    requestedAt,
    deferredMs,
    exitedAt,
    strategy,
    forced: r.forced,
    tasksCut,
  };
}

/** What {@link describeRestart} records. */
export interface RestartFacts {
  readonly request: PendingRequest;
  readonly strategy: { readonly type: 'exit' | 'daemon' | 'shutdown' };
  readonly pmId: number;
  readonly restarts: number | null;
  readonly pid: number;
  readonly now: number;
  /** Tasks still running at the exit. */
  readonly tasks: number;
}

/** The record this generation leaves for the next one. Pure. */
export function describeRestart(facts: RestartFacts): RestartRecord {
  const { request } = facts;
  return {
    initiator: request.kind === 'shutdown' ? 'pm2' : 'self',
    reason: request.reason,
    pmId: facts.pmId,
    previousPid: facts.pid,
    previousRestarts: facts.restarts,
    requestedAt: request.requestedAt,
    deferredMs: Math.max(0, facts.now - request.requestedAt),
    exitedAt: facts.now,
    strategy: facts.strategy.type,
    forced: request.forced,
    tasksCut: facts.tasks,
  };
}
