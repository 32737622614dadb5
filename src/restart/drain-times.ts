/**
 * The drain's two durations, from the pending request and the time: how much of pm2's `min_uptime`
 * a restart still waits out before its hooks, and how long the hooks get. Pure; `now` is monotonic, as
 * the request's times are.
 */
import type { PendingRequest } from './request.js';

/**
 * What is left of the `min_uptime` wait at `now` (0 when none): only a restart waits, from the
 * moment it was planned, so a long deferral has used the wait up; pm2's stop never waits.
 */
export function minUptimeWaitLeft(request: PendingRequest, now: number): number {
  const planned = request.plan;
  if (request.kind !== 'restart' || planned === null) return 0;
  return Math.max(0, planned.minUptimeWaitMs - (now - (request.plannedAt ?? now)));
}

/** The hooks' budget at `now`: `hooksTimeoutMs`, cut to what is left of pm2's budget when there is one. */
export function hooksBudgetMs(request: PendingRequest, now: number): number {
  if (request.hardStopAt === null) return request.hooksTimeoutMs;
  return Math.max(0, Math.min(request.hooksTimeoutMs, request.hardStopAt - now));
}
