/** The drain's durations as pure functions of the pending request and the time (moved out of the controller). */
import { describe, expect, it } from 'vitest';
import { hooksBudgetMs, minUptimeWaitLeft } from '../../src/restart/drain-times.js';
import { openRequest, type PendingRequest } from '../../src/restart/request.js';
import { PLANNED_EXIT, REQUEST_OPTIONS } from '../helpers/machine-fixtures.js';

const T0 = 1_000_000;
const request = (overrides: Partial<PendingRequest> = {}): PendingRequest => ({
  ...openRequest(1, T0, T0, REQUEST_OPTIONS),
  ...overrides,
});
const planned = (minUptimeWaitMs: number, plannedAt: number | null = T0) =>
  request({ plan: { ...PLANNED_EXIT, minUptimeWaitMs }, plannedAt });

describe('minUptimeWaitLeft', () => {
  it.each([
    ['a restart planned now waits the whole min_uptime wait', planned(2_000), T0, 2_000],
    ['the wait counts from the plan, not from the drain', planned(2_000), T0 + 1_500, 500],
    ['a long deferral has used the wait up', planned(2_000), T0 + 60_000, 0],
    ['without a plan time, the wait starts now', planned(2_000, null), T0 + 60_000, 2_000],
    ['no plan (pm2 stopped it before one came): no wait', request(), T0, 0],
    ["pm2's stop never waits", { ...planned(2_000), kind: 'shutdown' as const }, T0, 0],
  ])('%s', (_title, pending, now, expected) => {
    expect(minUptimeWaitLeft(pending, now)).toBe(expected);
  });
});

describe('hooksBudgetMs', () => {
  it.each([
    ['without pm2 budget: hooksTimeoutMs', request({ hooksTimeoutMs: 4_000 }), T0, 4_000],
    [
      "pm2's budget ends first: what is left of it",
      request({ hooksTimeoutMs: 4_000, hardStopAt: T0 + 1_200 }),
      T0,
      1_200,
    ],
    [
      'the hooks end first: hooksTimeoutMs',
      request({ hooksTimeoutMs: 4_000, hardStopAt: T0 + 9_000 }),
      T0,
      4_000,
    ],
    ["pm2's budget already spent: none", request({ hooksTimeoutMs: 4_000, hardStopAt: T0 }), T0 + 50, 0],
  ])('%s', (_title, pending, now, expected) => {
    expect(hooksBudgetMs(pending, now)).toBe(expected);
  });
});
