/**
 * Issue 18: the policies of `restartWhen()` measure on the clock port's monotonic time. A wall clock
 * stepped back or forward 1 h while a health check fails, or while memory stays over its limit, moves
 * neither the restart nor the loop delay: they behave exactly as with no step. The health's
 * `failingSince` stays a wall time, to show.
 */
import { describe, expect, it } from 'vitest';
import { watchHealth, type HealthTarget } from '../../src/policy/watch-health.js';
import { watchPolicy, type PolicyTarget } from '../../src/policy/restart-when.js';
import type { RestartOutcome } from '../../src/restart/restart-outcome.js';
import { createSteppedClock } from '../helpers/stepped-clock.js';

const HOUR_MS = 3_600_000;
const T0 = 1_800_000_000_000;
const STEPS = [
  ['no step', 0],
  ['a step back of 1 h', -HOUR_MS],
  ['a step forward of 1 h', HOUR_MS],
] as const;

/** The clock, and the restarts asked (simulated ms since the start); a request stays pending. */
function world() {
  const { sim, clock, step } = createSteppedClock(T0);
  const asked: number[] = [];
  const target = {
    clock,
    uptimeSeconds: () => 3_600,
    minUptimeMs: () => 1_000,
    hasPendingRestart: () => asked.length > 0,
    async restart(): Promise<RestartOutcome> {
      asked.push(sim.now() - T0);
      return { status: 'deferred', tasks: 1 };
    },
  };
  /**
   * Steps the wall clock by `stepMs` at 3.5 s; expects the restart asked at the check of 11 s (the
   * limit first seen at 1 s, held for 10 s), not a millisecond before.
   */
  const expectAskedAt11s = async (stepMs: number) => {
    await sim.advance(3_500);
    step(stepMs);
    await sim.advance(10_999 - 3_500);
    expect(asked).toEqual([]);
    await sim.advance(1);
    expect(asked).toEqual([11_000]);
  };
  return { asked, target, expectAskedAt11s };
}

describe.each(STEPS)('restartWhen() under %s', (_name, stepMs) => {
  it('a failing health check asks for the restart once it has failed unhealthyForMs; the loop delay stays 0', async () => {
    const { target, expectAskedAt11s } = world();
    const late: number[] = [];
    const failingSince: (number | null)[] = [];
    const health: HealthTarget = {
      ...target,
      update(watch, _change, lateMs) {
        late.push(lateMs);
        failingSince.push(watch.failingSince);
      },
    };
    const plan = { check: () => false, unhealthyForMs: 10_000, checkTimeoutMs: 400, checkEveryMs: 1_000 };
    watchHealth({ ...plan, jitterMs: 0 }, health);
    await expectAskedAt11s(stepMs);
    expect(late.every((ms) => ms === 0)).toBe(true);
    expect(new Set(failingSince)).toEqual(new Set([T0 + 1_000]));
  });

  it('memory over its limit asks for the restart once it has held sustainedForMs', async () => {
    const { target, expectAskedAt11s } = world();
    const memory: PolicyTarget = { ...target, residentMemoryBytes: () => 200, heapUsedBytes: () => 0 };
    const plan = { rssAboveBytes: 100, heapUsedAboveBytes: null, sustainedForMs: 10_000, maxUptimeMs: null };
    watchPolicy({ ...plan, checkEveryMs: 1_000, jitterMs: 0 }, memory);
    await expectAskedAt11s(stepMs);
  });
});
