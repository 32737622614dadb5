/**
 * pm2's action protocol as pm2-self speaks it, in pure functions: the names it registers, the
 * messages the daemon delivers, and the parameter an operator passes (`pm2 trigger <app> <action> [param]`).
 * @module
 */
import { DURATION_RANGES_MS, describeRange } from '../common/duration-ranges.js';
import type { DeadlinePolicy } from '../restart/machine.js';

/** The actions registered by `exposeToPm2()`, all prefixed so they never meet an app's own. */
export const OPERATOR_ACTIONS = {
  restart: 'pm2-self:restart',
  cancel: 'pm2-self:cancel',
  status: 'pm2-self:status',
} as const;

/** The name of an operator action. */
export type OperatorActionName = (typeof OPERATOR_ACTIONS)[keyof typeof OPERATOR_ACTIONS];

/** The metrics `exposeToPm2()` shows in `pm2 show` / `pm2 monit`. */
export const OPERATOR_METRICS = {
  state: 'pm2-self restart state',
  tasks: 'pm2-self running tasks',
  lastRestart: 'pm2-self last restart',
  /** Only while `restartWhen()` runs a health check or a watchdog. */
  health: 'pm2-self health',
  /** Only while `restartWhen()` runs a health check or a watchdog. */
  loopDelay: 'pm2-self loop delay',
  /** How many running tasks are older than `staleTaskMs`; sent from the first stale task on. */
  staleTasks: 'pm2-self stale tasks',
  /**
   * `yes` once the process is ready for work (a `wait_ready` app: after its `process.send('ready')`),
   * `no` before; sent before the actions are registered, so a process listed with them shows it.
   */
  ready: 'pm2-self ready',
} as const;

/** The bus event an app publishes when a restart it accepted will not happen after all. */
export const RESTART_DROPPED_EVENT = 'pm2-self:restart-dropped';

/** The reason of a restart asked for through `pm2 trigger` without a parameter. */
export const DEFAULT_OPERATOR_REASON = 'pm2 trigger';

const NAMES: readonly string[] = Object.values(OPERATOR_ACTIONS);

/**
 * Reads a message the daemon delivered over IPC: the bare action name (no parameter), or
 * `{ msg: name, opts }` (with one). Anything else, including other actions and pm2's own messages, is null.
 */
export function readActionMessage(message: unknown): { action: OperatorActionName; param: unknown } | null {
  if (typeof message === 'string')
    return NAMES.includes(message) ? { action: message as OperatorActionName, param: undefined } : null;
  if (typeof message !== 'object' || message === null) return null;
  const { msg, opts } = message as { msg?: unknown; opts?: unknown };
  return typeof msg === 'string' && NAMES.includes(msg)
    ? { action: msg as OperatorActionName, param: opts ?? undefined }
    : null;
}

/** A restart request from an operator, checked. */
export interface OperatorRestartParameter {
  readonly reason: string;
  readonly deadlineMs: number | null;
  readonly onDeadline: DeadlinePolicy;
  /** Echoed in the reply, so a caller can tell its reply from others. */
  readonly requestId: string | null;
}

/** A parameter read, or why it was refused. */
export type ParameterReading<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

const RESTART_KEYS = ['reason', 'deadlineMs', 'onDeadline', 'requestId'];

/** True when `text` is a JSON array (`[hotfix] pool` is text, not JSON). */
function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

/** The JSON object of a parameter, the plain text, or nothing. */
function jsonOrText(
  param: unknown,
): { object: Record<string, unknown> } | { text: string } | { why: string } {
  if (param === undefined || param === null) return { text: '' };
  if (typeof param === 'object' && !Array.isArray(param)) return { object: param as Record<string, unknown> };
  if (typeof param !== 'string')
    return { why: `the parameter must be text or a JSON object, got ${typeof param}` };
  const text = param.trim();
  if (text.startsWith('[') && isJsonArray(text))
    return { why: 'the parameter is a JSON array: give plain text (the reason) or a JSON object' };
  if (!text.startsWith('{')) return { text };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return { object: value as Record<string, unknown> };
  } catch {
    // reported below
  }
  return { why: 'the parameter starts with "{" but is not a JSON object' };
}

function readRequestId(value: unknown): ParameterReading<string | null> {
  if (value === undefined) return { ok: true, value: null };
  return typeof value === 'string' && value.length > 0 && value.length <= 128
    ? { ok: true, value }
    : { ok: false, why: '"requestId" must be a string of 1 to 128 characters' };
}

/**
 * Reads the parameter of `pm2-self:restart`: a plain reason, or the JSON object
 * `{"reason", "deadlineMs", "onDeadline", "requestId"}` (every key optional, no other key allowed). Pure.
 */
export function parseRestartParameter(param: unknown): ParameterReading<OperatorRestartParameter> {
  const read = jsonOrText(param);
  if ('why' in read) return { ok: false, why: read.why };
  if ('text' in read) {
    if (read.text.length > 1024) return { ok: false, why: 'the reason is longer than 1024 characters' };
    const reason = read.text || DEFAULT_OPERATOR_REASON;
    return { ok: true, value: { reason, deadlineMs: null, onDeadline: 'force', requestId: null } };
  }
  const { reason, deadlineMs, onDeadline } = read.object;
  const unknown = Object.keys(read.object).filter((key) => !RESTART_KEYS.includes(key));
  if (unknown.length > 0)
    return {
      ok: false,
      why: `unknown key ${JSON.stringify(unknown[0])} (allowed: ${RESTART_KEYS.join(', ')})`,
    };
  if (reason !== undefined && (typeof reason !== 'string' || reason.length === 0 || reason.length > 1024))
    return { ok: false, why: '"reason" must be a string of 1 to 1024 characters' };
  const range = DURATION_RANGES_MS.deadlineMs;
  if (
    deadlineMs !== undefined &&
    deadlineMs !== null &&
    (typeof deadlineMs !== 'number' ||
      !Number.isFinite(deadlineMs) ||
      deadlineMs < range.minMs ||
      deadlineMs > range.maxMs)
  )
    return { ok: false, why: `"deadlineMs" must be ${describeRange(range)}, or null` };
  if (onDeadline !== undefined && onDeadline !== 'force' && onDeadline !== 'giveUp')
    return { ok: false, why: '"onDeadline" must be "force" or "giveUp"' };
  const requestId = readRequestId(read.object.requestId);
  if (!requestId.ok) return requestId;
  return {
    ok: true,
    value: {
      reason: reason ?? DEFAULT_OPERATOR_REASON,
      deadlineMs: deadlineMs ?? null,
      onDeadline: onDeadline ?? 'force',
      requestId: requestId.value,
    },
  };
}

/**
 * Reads the parameter of `pm2-self:cancel` and `pm2-self:status`: nothing, any text (ignored), or a
 * JSON object whose only key is an optional `requestId`. Pure.
 */
export function parseRequestId(param: unknown): ParameterReading<string | null> {
  const read = jsonOrText(param);
  if ('why' in read) return { ok: false, why: read.why };
  if ('text' in read) return { ok: true, value: null };
  const unknown = Object.keys(read.object).filter((key) => key !== 'requestId');
  if (unknown.length > 0)
    return { ok: false, why: `unknown key ${JSON.stringify(unknown[0])} (allowed: requestId)` };
  return readRequestId(read.object.requestId);
}

/**
 * The `requestId` of a parameter that was refused, when one can be read, so that even a refusal
 * reaches the caller that is waiting for it. Pure.
 */
export function requestIdOf(param: unknown): string | null {
  const read = jsonOrText(param);
  if (!('object' in read)) return null;
  const id = readRequestId(read.object.requestId);
  return id.ok ? id.value : null;
}
