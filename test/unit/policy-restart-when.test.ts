/**
 * Self-restart policies on a simulated clock: the pure evaluation (sampling, sustain, jitter,
 * min_uptime), the policy's validation, and the driver (no request while one is pending, asks again
 * with back-off after a refusal that can change, stops after a permanent one, stop() ends the watch).
 */
import { describe, expect, it } from 'vitest';
import {
  describeBytes,
  describeDuration,
  evaluatePolicy,
  planPolicy,
  QUIET,
  type PolicyPlan,
  type PolicySample,
} from '../../src/policy/restart-policy.js';
import { watchPolicy, type PolicyTarget } from '../../src/policy/restart-when.js';
import type { RestartOutcome } from '../../src/restart/restart-outcome.js';
import { createSimClock } from '../helpers/sim-clock.js';

const MB = 1024 * 1024;
const noJitter = () => 0;

const sample = (at: number, overrides: Partial<PolicySample> = {}): PolicySample => ({
  at,
  uptimeMs: 60_000 + at,
  rssBytes: 100 * MB,
  heapUsedBytes: 50 * MB,
  minUptimeMs: 1_000,
  ...overrides,
});

/** Runs samples through the policy; returns the reasons, one per sample. */
function run(plan: PolicyPlan, samples: readonly PolicySample[]): (string | null)[] {
  let watch = QUIET;
  return samples.map((s) => {
    const next = evaluatePolicy(plan, watch, s);
    watch = next.watch;
    return next.reason;
  });
}

describe('evaluatePolicy', () => {
  const plan = planPolicy({ rssAboveBytes: 512 * MB, sustainedForMs: 30_000, checkEveryMs: 5_000 }, noJitter);

  it('a memory limit counts only once it held for sustainedForMs; the reason names the limit and the value', () => {
    const high = (at: number) => sample(at, { rssBytes: 612 * MB });
    expect(run(plan, [high(0), high(5_000), high(25_000), high(29_999), high(30_000)])).toEqual([
      null,
      null,
      null,
      null,
      'rss 612 MB > 512 MB for 30 s',
    ]);
  });

  it('one sample below the limit starts the count again', () => {
    const high = (at: number) => sample(at, { rssBytes: 612 * MB });
    expect(
      run(plan, [high(0), high(20_000), sample(25_000), high(30_000), high(55_000), high(60_000)]),
    ).toEqual([null, null, null, null, null, 'rss 612 MB > 512 MB for 30 s']);
  });

  it('the heap limit works the same way', () => {
    const heap = planPolicy({ heapUsedAboveBytes: 200 * MB, sustainedForMs: 10_000 }, noJitter);
    const high = (at: number) => sample(at, { heapUsedBytes: 300 * MB });
    expect(run(heap, [high(0), high(10_000)])).toEqual([null, 'heapUsed 300 MB > 200 MB for 10 s']);
  });

  it('limits under 1 MB print in KB, never as "0 MB"', () => {
    const small = planPolicy({ heapUsedAboveBytes: 600 * 1024, sustainedForMs: 10_000 }, noJitter);
    const high = (at: number) => sample(at, { heapUsedBytes: 1.5 * MB });
    expect(run(small, [high(0), high(10_000)])).toEqual([null, 'heapUsed 1.5 MB > 600 KB for 10 s']);
    expect([512, 600 * 1024, 1.5 * MB, 612 * MB].map(describeBytes)).toEqual([
      '512 B',
      '600 KB',
      '1.5 MB',
      '612 MB',
    ]);
  });

  it('nothing within min_uptime, even when a limit holds', () => {
    const young = (at: number) => sample(at, { rssBytes: 612 * MB, uptimeMs: at, minUptimeMs: 60_000 });
    expect(run(plan, [young(0), young(30_000), young(59_999), young(60_000)])).toEqual([
      null,
      null,
      null,
      'rss 612 MB > 512 MB for 30 s',
    ]);
  });

  it('maxUptimeMs: once the process has run that long, plus its jitter', () => {
    const uptime = planPolicy({ maxUptimeMs: 3_600_000, jitterMs: 600_000 }, () => 0.5);
    expect(uptime.jitterMs).toBe(300_000);
    const at = (uptimeMs: number) => sample(0, { uptimeMs });
    expect(run(uptime, [at(3_600_000), at(3_899_999)])).toEqual([null, null]);
    expect(run(uptime, [at(3_900_000)])).toEqual(['uptime 65 min reached (max 1 h)']);
  });

  it('jitter also lengthens the sustain, so instances over the limit together do not go together', () => {
    const a = planPolicy({ rssAboveBytes: 512 * MB, sustainedForMs: 30_000, jitterMs: 10_000 }, () => 0);
    const b = planPolicy({ rssAboveBytes: 512 * MB, sustainedForMs: 30_000, jitterMs: 10_000 }, () => 0.9);
    const high = (at: number) => sample(at, { rssBytes: 612 * MB });
    const samples = [0, 30_000, 35_000, 39_000].map(high);
    const reason = 'rss 612 MB > 512 MB for 30 s';
    // a (no jitter drawn) asks at 30 s; b (9 s drawn) only at 39 s.
    expect(run(a, samples)).toEqual([null, reason, reason, reason]);
    expect(run(b, samples)).toEqual([null, null, null, reason]);
  });

  it('describes durations in their largest whole unit', () => {
    expect([30_000, 3_600_000, 90_000, 1_500, 61_500].map(describeDuration)).toEqual([
      '30 s',
      '1 h',
      '90 s',
      '1500 ms',
      '62 s',
    ]);
  });
});

describe('planPolicy', () => {
  it.each([
    [
      {},
      'Expected the policy of restartWhen() to set a limit (rssAboveBytes, heapUsedAboveBytes, maxUptimeMs, healthCheck or eventLoopBlockedForMs), got an empty object',
    ],
    [{ rssAboveBytes: -1 }, 'Expected `rssAboveBytes` to be a positive whole number of bytes, got -1'],
    [{ rssAboveBytes: 1.5 }, 'Expected `rssAboveBytes` to be a positive whole number of bytes, got 1.5'],
    [
      { maxUptimeMs: 'a day' },
      'Expected `maxUptimeMs` to be a number of milliseconds from 1000 to 2147483647, got "a day"',
    ],
    [
      { maxUptimeMs: 60_000, checkEveryMs: 0 },
      'Expected `checkEveryMs` to be a number of milliseconds from 100 to 2147483647, got 0',
    ],
    [
      { maxUptimeMs: 60_000, jitterMs: Number.NaN },
      'Expected `jitterMs` to be a number of milliseconds from 0 to 2147483647, got NaN',
    ],
  ])('%j throws a TypeError', (limits, message) => {
    expect(() => planPolicy(limits as never, noJitter)).toThrow(TypeError);
    expect(() => planPolicy(limits as never, noJitter)).toThrow(message);
  });
});

describe('watchPolicy', () => {
  function setup(outcomes: Array<RestartOutcome['status'] | 'unreachable'>) {
    const clock = createSimClock(0);
    const asked: string[] = [];
    const memory = { rss: 100 * MB, pending: false };
    const target: PolicyTarget = {
      clock,
      uptimeSeconds: () => 600 + clock.now() / 1000,
      residentMemoryBytes: () => memory.rss,
      heapUsedBytes: () => 10 * MB,
      minUptimeMs: () => 1_000,
      hasPendingRestart: () => memory.pending,
      async restart(reason) {
        asked.push(reason);
        const status = outcomes.shift() ?? 'deferred';
        if (status === 'refused') return { status, code: 'ERR_PM2SELF_NOT_UNDER_PM2', why: 'outside pm2' };
        if (status === 'unreachable')
          return { status: 'refused', code: 'ERR_PM2SELF_DAEMON_UNREACHABLE', why: 'daemon paused' };
        return { status: 'deferred', tasks: 1 };
      },
    };
    return { clock, asked, memory, target };
  }
  const plan = planPolicy({ rssAboveBytes: 512 * MB, sustainedForMs: 10_000, checkEveryMs: 5_000 }, noJitter);

  it('asks once the limit held, and not again while the request is pending', async () => {
    const { clock, asked, memory, target } = setup(['deferred']);
    watchPolicy(plan, target);
    memory.rss = 600 * MB;
    await clock.advance(20_000);
    expect(asked).toEqual(['rss 600 MB > 512 MB for 10 s']);
    memory.pending = true;
    await clock.advance(60_000);
    expect(asked).toHaveLength(1);
    // Cancelled by someone: the watch starts afresh, and asks again once the limit held again.
    memory.pending = false;
    await clock.advance(10_000);
    expect(asked).toHaveLength(1);
    await clock.advance(5_000);
    expect(asked).toHaveLength(2);
  });

  it('after a permanent refusal (not under pm2) it stops: no spinning outside pm2', async () => {
    const { clock, asked, memory, target } = setup(['refused']);
    watchPolicy(plan, target);
    memory.rss = 600 * MB;
    await clock.advance(60_000);
    expect(asked).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a refusal that can change (daemon unreachable) is asked again with back-off, up to 60 s apart', async () => {
    const { clock, asked, memory, target } = setup([
      'unreachable',
      'unreachable',
      'unreachable',
      'unreachable',
      'unreachable',
      'unreachable',
      'unreachable',
      'deferred',
    ]);
    watchPolicy(plan, target);
    memory.rss = 600 * MB;
    const askedAt: number[] = [];
    const record = target.restart.bind(target);
    target.restart = (reason) => {
      askedAt.push(clock.now());
      // The 8th ask is taken: the request is pending from then on.
      if (askedAt.length === 8) memory.pending = true;
      return record(reason);
    };
    await clock.advance(10 * 60_000);
    expect(asked).toHaveLength(8);
    expect(new Set(asked)).toEqual(new Set(['rss 600 MB > 512 MB for 10 s']));
    const gaps = askedAt.slice(1).map((at, index) => at - (askedAt[index] as number));
    expect(gaps).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });

  it('stop() ends the watch and clears its timer', async () => {
    const { clock, asked, memory, target } = setup([]);
    const stop = watchPolicy(plan, target);
    expect(clock.pendingTimers()).toBe(1);
    stop();
    expect(clock.pendingTimers()).toBe(0);
    memory.rss = 600 * MB;
    await clock.advance(60_000);
    expect(asked).toEqual([]);
  });
});
