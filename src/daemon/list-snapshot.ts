import { compactProcessList } from '../pm2/compact-list.js';
import { parseCount } from '../pm2/parse-values.js';
import { readProcessList } from '../pm2/process-list.js';
import type { DaemonListAnswer } from './daemon-list.js';
import { isRecord, parseJson } from '../common/json-values.js';

/** Tag of the snapshot file's format; another tag is ignored (another pm2-self version writes its own file). */
const FORMAT = 'pm2-self/list@1';

/** A query the daemon did not answer within its budget, shared like an answer: one process asks. */
export interface DaemonListTimeout {
  readonly ok: false;
  readonly problem: 'timeout';
  readonly message: string;
  /** When the query gave up (epoch ms). */
  readonly at: number;
  /** When the question was sent (epoch ms). */
  readonly askedAt: number;
}

/** The daemon's list as one process asked for it, shared with every process of the same `PM2_HOME`. */
export interface ListSnapshot {
  /** The daemon that answered: a snapshot of another daemon (after `pm2 kill`, a new start) is never used. */
  readonly daemonPid: number;
  readonly answer: DaemonListAnswer | DaemonListTimeout;
}

/**
 * The snapshot file's text: compact entries in pm2's shape, no environment value; a timeout has no
 * list (an older pm2-self reads such a file as unusable).
 */
export function encodeListSnapshot(snapshot: ListSnapshot): string {
  const { answer } = snapshot;
  if (!answer.ok) {
    const { problem, message, at, askedAt } = answer;
    return JSON.stringify({ format: FORMAT, daemonPid: snapshot.daemonPid, askedAt, at, problem, message });
  }
  return JSON.stringify({
    format: FORMAT,
    daemonPid: snapshot.daemonPid,
    askedAt: answer.askedAt,
    at: answer.at,
    via: answer.via,
    skipped: answer.skipped,
    list: compactProcessList(answer.entries),
  });
}

/** Reads a snapshot file written by {@link encodeListSnapshot}; null for anything else (torn, foreign, old). */
export function decodeListSnapshot(text: string | null): ListSnapshot | null {
  const value = text === null ? undefined : parseJson(text);
  if (!isRecord(value) || value.format !== FORMAT) return null;
  const daemonPid = parseCount(value.daemonPid);
  const askedAt = parseCount(value.askedAt);
  const at = parseCount(value.at);
  const skipped = parseCount(value.skipped);
  const via = value.via === 'rpc' || value.via === 'cli' ? value.via : undefined;
  const reading = readProcessList(value.list);
  if (daemonPid === undefined || askedAt === undefined || at === undefined) return null;
  if (value.problem === 'timeout' && typeof value.message === 'string') {
    const message = value.message.slice(0, 500);
    return { daemonPid, answer: { ok: false, problem: 'timeout', message, at, askedAt } };
  }
  if (skipped === undefined) return null;
  if (via === undefined || !reading.ok) return null;
  return {
    daemonPid,
    answer: { ok: true, entries: reading.entries, skipped: skipped + reading.skipped, via, at, askedAt },
  };
}

/** Who is asking the daemon on behalf of everyone, since when. */
export interface ListClaim {
  readonly pid: number;
  readonly at: number;
}

/** The claim file's text. */
export function encodeListClaim(claim: ListClaim): string {
  return JSON.stringify(claim);
}

/** Reads a claim file; null when absent or unreadable. */
export function decodeListClaim(text: string | null): ListClaim | null {
  const value = text === null ? undefined : parseJson(text);
  if (!isRecord(value)) return null;
  const pid = parseCount(value.pid);
  const at = parseCount(value.at);
  return pid === undefined || at === undefined ? null : { pid, at };
}
