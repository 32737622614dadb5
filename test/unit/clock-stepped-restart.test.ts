/**
 * Issue 18: the restart machine's in-process timings run on the clock port's monotonic time. A wall
 * clock stepped back or forward 1 h (NTP, an operator's `date -s`) while a restart waits or drains
 * changes none of them: a deferred restart's deadline, pm2's budget for the hooks, the hooks' shares,
 * the `min_uptime` wait and a task's age behave exactly as with no step. Wall times remain only where
 * a time is shown (a task's `startedAt`).
 */
import { describe, expect, it } from 'vitest';
import { wallTimeOf } from '../../src/ports/monotonic-now.js';
import { createRestartController } from '../../src/restart/controller.js';
import { createTaskRegistry } from '../../src/restart/task-registry.js';
import { restartMachine, type RequestOptions } from '../../src/restart/machine.js';
import type { ExitHook } from '../../src/restart/run-hooks.js';
import { PLANNED_EXIT, REQUEST_OPTIONS } from '../helpers/machine-fixtures.js';
import { createSteppedClock } from '../helpers/stepped-clock.js';

const HOUR_MS = 3_600_000;
const T0 = 1_800_000_000_000;

/**
 * A controller on the stepped clock whose plan is a plain exit code 0 (made in `planMs`, as a plan
 * that asks the daemon takes a while), with an exit spy.
 */
function world(minUptimeWaitMs = 0, planMs = 0) {
  const { sim, clock, step } = createSteppedClock(T0);
  const exits: number[] = [];
  const controller = createRestartController({
    machine: restartMachine,
    clock,
    process: { pid: 4242, exit: () => void exits.push(sim.now() - T0), keepAlive: () => () => undefined },
    plan: () =>
      new Promise((resolve) => clock.setTimeout(() => resolve({ ...PLANNED_EXIT, minUptimeWaitMs }), planMs)),
    stillTracked: async () => true,
    requestDaemonRestart: async () => ({ ok: true }),
    writeRecord: async () => true,
    discardRecord: async () => undefined,
    daemonRestartGraceMs: () => 10_000,
  });
  const drained: { atMs: number; forced: boolean }[] = [];
  controller.on('draining', (event) => drained.push({ atMs: sim.now() - T0, forced: event.forced }));
  /** Simulated milliseconds since the start. */
  const elapsed = () => sim.now() - T0;
  return { sim, clock, step, controller, exits, drained, elapsed };
}

/** A hook that runs until its signal aborts; `abortedAtMs()` says when (simulated ms), or null. */
function hookUntilAborted(elapsed: () => number): { hook: ExitHook; abortedAtMs(): number | null } {
  let abortedAtMs: number | null = null;
  const hook: ExitHook = ({ signal }) =>
    new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        abortedAtMs = elapsed();
        resolve();
      });
    });
  return { hook, abortedAtMs: () => abortedAtMs };
}

const options = (extra: Partial<RequestOptions> = {}) => ({ ...REQUEST_OPTIONS, ...extra });

const STEPS = [
  ['no step', 0],
  ['a step back of 1 h', -HOUR_MS],
  ['a step forward of 1 h', HOUR_MS],
] as const;

describe.each(STEPS)('the restart machine under %s', (_name, stepMs) => {
  it('a deferred restart is forced at its deadlineMs, neither at once nor an hour late', async () => {
    const { sim, step, controller, drained, exits } = world(0, 1_000);
    const first = controller.beginTask('a');
    controller.beginTask('b');
    void controller.request(options({ deadlineMs: 10_000 }));
    // The step comes while the plan is being made: the deadline's timer is set when it comes.
    await sim.advance(500);
    step(stepMs);
    await sim.advance(2_500);
    // One task ends: the request keeps waiting for the other, its deadline unchanged.
    first.end();
    await sim.advance(6_999);
    expect(controller.state.phase).toBe('deferred');
    expect(drained).toEqual([]);
    await sim.advance(1);
    expect(drained).toEqual([{ atMs: 10_000, forced: true }]);
    await sim.advance(10);
    expect(exits).toEqual([10_000]);
  });

  it.each([
    [10_000, 60_000, 10_000],
    [60_000, 10_000, 13_000],
  ])(
    'a request with deadlineMs %d, a step, one with %d: the earlier forcing deadline (at %d ms) holds',
    async (firstMs, secondMs, forcedAtMs) => {
      const { sim, step, controller, drained } = world();
      controller.beginTask('a');
      void controller.request(options({ deadlineMs: firstMs }));
      await sim.advance(2_000);
      step(stepMs);
      await sim.advance(1_000);
      void controller.request(options({ deadlineMs: secondMs, reason: 'later' }));
      await sim.advance(forcedAtMs - 3_001);
      expect(drained).toEqual([]);
      await sim.advance(1);
      expect(drained).toEqual([{ atMs: forcedAtMs, forced: true }]);
    },
  );

  it("pm2's stop: the hooks get what is left of pm2's budget, as with no step", async () => {
    const { sim, step, controller, exits, elapsed } = world();
    const task = controller.beginTask('job');
    const goodbye = hookUntilAborted(elapsed);
    controller.shutdown({
      signal: 'SIGINT',
      budgetMs: 5_000,
      refuseNewTasks: false,
      hooks: [goodbye.hook],
      hooksTimeoutMs: 4_000,
      hooksReserveMs: 1_000,
      recordAs: null,
      fromPm2: true,
    });
    await sim.advance(1_000);
    step(stepMs);
    await sim.advance(1_000);
    task.end();
    // The hooks start at 2 s with 3 s of pm2's budget left (the hooks' own 4 s would overrun it).
    await sim.advance(2_999);
    expect(goodbye.abortedAtMs()).toBeNull();
    await sim.advance(1);
    expect(goodbye.abortedAtMs()).toBe(5_000);
    await sim.advance(10);
    expect(exits).toEqual([5_000]);
  });

  it('a stepped clock during the hooks leaves the next hook its share', async () => {
    const { sim, clock, step, controller, exits, elapsed } = world();
    const second = hookUntilAborted(elapsed);
    const first: ExitHook = () =>
      new Promise<void>((resolve) => {
        step(stepMs);
        clock.setTimeout(resolve, 1_000);
      });
    void controller.request(options({ hooks: [first, second.hook], hooksTimeoutMs: 4_000 }));
    await sim.advance(3_999);
    expect(second.abortedAtMs()).toBeNull();
    await sim.advance(1);
    // 4 s in all: the first hook took 1 s, the second had the 3 s left.
    expect(second.abortedAtMs()).toBe(4_000);
    await sim.advance(10);
    expect(exits).toEqual([4_000]);
  });

  it("the min_uptime wait ends when pm2's min_uptime is over, counted from the plan", async () => {
    const { sim, step, controller, exits } = world(5_000);
    const task = controller.beginTask('job');
    void controller.request(options({ deadlineMs: null }));
    await sim.advance(1_000);
    step(stepMs);
    await sim.advance(1_000);
    task.end();
    await sim.advance(2_999);
    expect(exits).toEqual([]);
    await sim.advance(10);
    expect(exits).toEqual([5_000]);
  });

  it("a task's age is the time it has run; its startedAt stays the wall time it began", async () => {
    const { sim, step, controller } = world();
    controller.beginTask('import');
    await sim.advance(5_000);
    step(stepMs);
    await sim.advance(1_000);
    expect(controller.tasks()).toEqual([{ label: 'import', startedAt: T0, runningMs: 6_000, stale: false }]);
  });
});

describe('whole milliseconds from a fractional monotonic clock (performance.now())', () => {
  it("a task's runningMs and a monotonic time shown as a wall time are whole", () => {
    const { clock } = createSteppedClock(T0);
    let mono = 1_000.3;
    const fractional = { ...clock, monotonicNow: () => mono };
    const registry = createTaskRegistry(fractional);
    registry.begin('job', () => undefined);
    mono += 2_500.45;
    expect(registry.list()[0]?.runningMs).toBe(2_500);
    expect(wallTimeOf(fractional, mono + 10_000.2)).toBe(T0 + 10_000);
  });
});
