/**
 * Healing detection on a simulated clock: the watchdog's heartbeat gaps (armed at the first beat,
 * never with an inspector open, loop delays under the limit never judged blocked) and how it ends a
 * blocked process; the health check's pure core (a check that flips, the
 * failure that must last `unhealthyForMs` plus this process's jitter) and its driver (false, throw and
 * a never-settling check all count as failing; no request within min_uptime or while one is pending;
 * after a refusal the checks go on, asking again with back-off unless the refusal is permanent).
 */
import { describe, expect, it } from 'vitest';
import {
  NO_CHECK_YET,
  planHealth,
  recordCheck,
  type HealthPlan,
  type HealthWatch,
} from '../../src/policy/health-check.js';
import { watchHealth, type HealthTarget } from '../../src/policy/watch-health.js';
import { watchdogEnd } from '../../src/policy/watchdog-end.js';
import {
  blockedReason,
  heartbeatEveryMs,
  judgeHeartbeat,
  wasFrozen,
} from '../../src/policy/watchdog-verdict.js';
import type { RestartSettings } from '../../src/pm2/restart-settings.js';
import type { RestartOutcome } from '../../src/restart/restart-outcome.js';
import { createSimClock } from '../helpers/sim-clock.js';

const plan = (overrides: Partial<HealthPlan> = {}): HealthPlan => ({
  check: () => true,
  unhealthyForMs: 1_500,
  checkTimeoutMs: 400,
  checkEveryMs: 250,
  jitterMs: 0,
  ...overrides,
});

describe('recordCheck: a check that flips', () => {
  it('announces unhealthy once, asks after unhealthyForMs without a break, and a pass resets it', () => {
    const p = plan();
    let watch: HealthWatch = NO_CHECK_YET;
    const steps = [
      { ok: true, at: 0 },
      { ok: false, at: 250, error: 'hub down' },
      { ok: false, at: 1_000, error: 'hub down' },
      { ok: true, at: 1_250 },
      { ok: false, at: 1_500, error: 'hub down' },
      { ok: false, at: 2_999, error: 'hub down' },
      { ok: false, at: 3_000, error: 'hub still down' },
    ] as const;
    const seen = steps.map((result) => {
      // No wall clock step: the monotonic time is the wall time.
      const step = recordCheck(p, watch, { ...result, mono: result.at });
      watch = step.watch;
      return [step.change, step.reason];
    });
    expect(seen).toEqual([
      [null, null],
      ['unhealthy', null],
      [null, null],
      ['healthy', null],
      ['unhealthy', null],
      [null, null],
      [null, 'health check failing for 1500 ms: hub still down'],
    ]);
    expect(watch).toEqual({
      lastCheckAt: 3_000,
      lastOk: false,
      failingSince: 1_500,
      failingSinceMono: 1_500,
      lastError: 'hub still down',
    });
  });

  it("adds this process's jitter to unhealthyForMs", () => {
    const p = plan({ jitterMs: 700 });
    const first = recordCheck(p, NO_CHECK_YET, { ok: false, at: 0, mono: 0, error: 'x' });
    expect(recordCheck(p, first.watch, { ok: false, at: 2_199, mono: 2_199, error: 'x' }).reason).toBeNull();
    expect(recordCheck(p, first.watch, { ok: false, at: 2_200, mono: 2_200, error: 'x' }).reason).toBe(
      'health check failing for 2200 ms: x',
    );
  });
});

describe('planHealth', () => {
  it.each([
    [{ healthCheck: 'yes' }, 'Expected `healthCheck` to be a function'],
    [
      { healthCheck: (): boolean => true, unhealthyForMs: -1 },
      'Expected `unhealthyForMs` to be a number of milliseconds from 0 to 2147483647, got -1',
    ],
    [
      { healthCheck: (): boolean => true, checkTimeoutMs: 0 },
      'Expected `checkTimeoutMs` to be a number of milliseconds from 100 to 2147483647, got 0',
    ],
    [{ unhealthyForMs: 1000 }, 'Expected `healthCheck` to be a function when unhealthyForMs'],
  ])('%j throws a TypeError', (limits, message) => {
    expect(() => planHealth(limits as never, 1000, 0)).toThrow(TypeError);
    expect(() => planHealth(limits as never, 1000, 0)).toThrow(message);
  });

  it('no healthCheck, no plan; defaults otherwise', () => {
    expect(planHealth({}, 5_000, 0)).toBeNull();
    expect(planHealth({ healthCheck: () => true }, 5_000, 3)).toMatchObject({
      unhealthyForMs: 30_000,
      checkTimeoutMs: 5_000,
      checkEveryMs: 5_000,
      jitterMs: 3,
    });
  });
});

describe('watchHealth', () => {
  function setup(
    answer: () => boolean | Promise<boolean>,
    outcomes: Array<RestartOutcome['status'] | 'unreachable'> = [],
  ) {
    const clock = createSimClock(0);
    const asked: string[] = [];
    const changes: string[] = [];
    const world = { pending: false, uptimeMs: 60_000, lastError: null as string | null };
    const target: HealthTarget = {
      clock,
      uptimeSeconds: () => (world.uptimeMs + clock.now()) / 1000,
      minUptimeMs: () => 1_000,
      hasPendingRestart: () => world.pending,
      async restart(reason) {
        asked.push(reason);
        const outcome = outcomes.shift();
        if (outcome === 'refused')
          return { status: 'refused', code: 'ERR_PM2SELF_NOT_UNDER_PM2', why: 'outside pm2' };
        if (outcome === 'unreachable')
          return { status: 'refused', code: 'ERR_PM2SELF_DAEMON_UNREACHABLE', why: 'daemon paused' };
        world.pending = true; // as the controller: pending until the restart ends
        return { status: 'deferred', tasks: 1 };
      },
      update(watch, change) {
        world.lastError = watch.lastError;
        if (change !== null) changes.push(change);
      },
    };
    const stop = watchHealth(plan({ check: answer }), target);
    return { clock, asked, changes, world, stop };
  }

  it.each([
    ['returns false', () => false, 'returned false'],
    [
      'throws',
      () => {
        throw new Error('socket closed\nat x');
      },
      'threw: socket closed',
    ],
    ['rejects', () => Promise.reject(new Error('ECONNRESET')), 'threw: ECONNRESET'],
    ['never settles', () => new Promise<boolean>(() => {}), 'no answer within 400 ms'],
    ['answers a non-boolean', () => 'ok' as unknown as boolean, 'returned "ok", not a boolean'],
  ])('a check that %s is failing, and the restart is asked once it lasted', async (_label, answer, error) => {
    const { clock, asked, changes, world } = setup(answer);
    await clock.advance(1_000);
    expect(changes).toEqual(['unhealthy']);
    expect(world.lastError).toBe(error);
    expect(asked).toEqual([]);
    await clock.advance(2_500);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(
      new RegExp(`^health check failing for (\\d+) ms: ${error.replace(/[()."]/g, '\\$&')}$`),
    );
    expect(Number(/for (\d+) ms/.exec(asked[0] as string)?.[1])).toBeGreaterThanOrEqual(1_500);
  });

  it('a check that passes again is healthy and asks nothing', async () => {
    let ok = false;
    const { clock, asked, changes } = setup(() => ok);
    await clock.advance(1_000);
    ok = true;
    await clock.advance(5_000);
    expect(changes).toEqual(['unhealthy', 'healthy']);
    expect(asked).toEqual([]);
  });

  it('asks nothing within min_uptime, nor while a request is pending', async () => {
    const { clock, asked, world } = setup(() => false);
    world.uptimeMs = -10_000; // started 10 s from now on the simulated clock: min_uptime not reached
    await clock.advance(5_000);
    expect(asked).toEqual([]);
    world.uptimeMs = 60_000;
    world.pending = true;
    await clock.advance(5_000);
    expect(asked).toEqual([]);
    world.pending = false;
    await clock.advance(300);
    expect(asked).toHaveLength(1);
  });

  it('a refusal that can change (daemon unreachable) is asked again after a back-off that doubles', async () => {
    const { clock, asked } = setup(() => false, ['unreachable', 'unreachable', 'unreachable']);
    const askedAt: number[] = [];
    for (let step = 0; step < 400 && asked.length < 4; step++) {
      const before = asked.length;
      await clock.advance(50);
      if (asked.length > before) askedAt.push(clock.now());
    }
    expect(asked).toHaveLength(4);
    // checkEveryMs is 250 here: after each refusal, the next ask waits 250 ms, then 500 ms, then 1 s.
    const gaps = askedAt.slice(1).map((at, index) => at - (askedAt[index] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(250);
    expect(gaps[1]).toBeGreaterThanOrEqual(500);
    expect(gaps[2]).toBeGreaterThanOrEqual(1_000);
  });

  it('after a permanent refusal (outside pm2) the checks go on, but no restart is asked again', async () => {
    let ok = false;
    const { clock, asked, changes } = setup(() => ok, ['refused']);
    await clock.advance(5_000);
    expect(asked).toHaveLength(1);
    ok = true;
    await clock.advance(1_000);
    ok = false;
    await clock.advance(10_000);
    expect(asked).toHaveLength(1);
    expect(changes).toEqual(['unhealthy', 'healthy', 'unhealthy']);
  });

  it('stop() ends the checks and clears the timer', async () => {
    let calls = 0;
    const { clock, stop } = setup(() => (calls++, true));
    await clock.advance(1_000);
    const before = calls;
    stop();
    await clock.advance(10_000);
    expect(calls).toBe(before);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('judgeHeartbeat: heartbeat gaps', () => {
  it.each([
    ['no heartbeat yet (a synchronous start-up)', 0, false, 60_000, null],
    ['a gap under the limit', 10_000, false, 12_999, null],
    ['a gap of exactly the limit', 10_000, false, 13_000, 3_000],
    ['a gap past the limit', 10_000, false, 17_500, 7_500],
    ['a gap past the limit with an inspector open', 10_000, true, 17_500, null],
  ])('%s', (_label, lastBeatAt, inspectorOpen, now, expected) => {
    expect(judgeHeartbeat(lastBeatAt, inspectorOpen, now, 3_000)).toBe(expected);
  });

  it('a loop that beats on time, or late but under the limit, is never judged blocked', () => {
    const beatMs = heartbeatEveryMs(3_000);
    expect(beatMs).toBe(250);
    // Delays just under the limit: each beat comes beatMs + 2500 ms after the previous one.
    let lastBeatAt = 1_000;
    for (let beat = 0; beat < 100; beat++) {
      for (let now = lastBeatAt; now < lastBeatAt + beatMs + 2_500; now += 50)
        expect(judgeHeartbeat(lastBeatAt, false, now, 3_000)).toBeNull();
      lastBeatAt += beatMs + 2_500;
    }
  });

  it('a freeze of the whole process (SIGSTOP, a paused container) is not a blocked loop', () => {
    // The watchdog thread polls every 250 ms; a poll 5 s late means nobody ran, the main loop included.
    expect(wasFrozen(10_000, 10_250, 3_000)).toBe(false);
    expect(wasFrozen(10_000, 15_000, 3_000)).toBe(true);
    expect(wasFrozen(0, 15_000, 3_000)).toBe(false);
    // Judged from the resume: no verdict at once, a verdict once the loop stays silent past the limit.
    expect(judgeHeartbeat(10_000, false, 15_000, 3_000, 15_000)).toBeNull();
    expect(judgeHeartbeat(10_000, false, 17_999, 3_000, 15_000)).toBeNull();
    expect(judgeHeartbeat(10_000, false, 18_000, 3_000, 15_000)).toBe(3_000);
    // A beat after the resume counts as usual.
    expect(judgeHeartbeat(15_100, false, 16_000, 3_000, 15_000)).toBeNull();
  });

  it('the heartbeat is a tenth of the limit, between 10 and 250 ms', () => {
    expect([100, 1_000, 3_000, 60_000].map(heartbeatEveryMs)).toEqual([10, 100, 250, 250]);
  });

  it('the reason names the gap and, when known, where the main thread was', () => {
    expect(blockedReason(3_104, [])).toBe('event loop blocked for 3104 ms');
    expect(blockedReason(3_104, ['spin (/app/a.js:3:1)', 'main (/app/a.js:9:1)'])).toBe(
      'event loop blocked for 3104 ms; main thread at spin (/app/a.js:3:1) < main (/app/a.js:9:1)',
    );
    expect(blockedReason(3_000, ['x'.repeat(2_000)])).toHaveLength(1024);
  });
});

describe('watchdogEnd: the way pm2 brings a blocked process back', () => {
  const settings = (autorestart: boolean | 'unknown', stopExitCodes: number[] | 'unknown') =>
    ({ autorestart, stopExitCodes }) as unknown as RestartSettings;
  it.each([
    [true, [], 'kill'],
    [true, [3], 'kill'],
    [true, [0], 'daemon'],
    [true, [137], 'daemon'],
    [true, 'unknown', 'daemon'],
    [false, [], 'daemon'],
    ['unknown', [], 'daemon'],
  ] as const)('autorestart %s, stop_exit_codes %j: %s', (autorestart, stop, expected) => {
    expect(watchdogEnd(settings(autorestart, stop as number[] | 'unknown'))).toBe(expected);
  });
});
