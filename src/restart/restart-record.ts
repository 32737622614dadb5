import { join } from 'node:path';
import type { RestartSettings } from '../pm2/restart-settings.js';
import type { PendingRequest } from './request.js';
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
  readonly previousRestarts: number;
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

/**
 * A record as a generation writes it: its own restart count may be unknown, and then no generation
 * reads it (a missing count matches nothing).
 */
export type WrittenRestartRecord = Omit<RestartRecord, 'previousRestarts'> & {
  readonly previousRestarts: number | null;
};

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
export function describeRestart(facts: RestartFacts): WrittenRestartRecord {
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
