/**
 * Turns through the real controller and machine: two instances share one turn (an in-memory slot on
 * a simulated clock). An instance that has its turn while tasks run refuses new ones and restarts
 * when they end (review T1: a back-to-back queue worker restarts after its current job, taking the
 * turn once); tasks still running TURN_HOLD_MS after the turn came give it back, so the other
 * instance restarts meanwhile (review B1, T2), and the busy one asks again when its tasks reach 0.
 */
import { describe, expect, it } from 'vitest';
import { createRestartController, type TaskHandle } from '../../src/restart/controller.js';
import { restartMachine, TURN_HOLD_MS } from '../../src/restart/machine.js';
import type { Turns } from '../../src/restart/turns.js';
import { PLANNED_EXIT, REQUEST_OPTIONS } from '../helpers/machine-fixtures.js';
import { createSimClock, type SimClock } from '../helpers/sim-clock.js';

/** One slot, polled every 250 ms as the file-backed turns do; `handBack` frees a restarted holder's. */
function createSlot(clock: SimClock) {
  let holder: string | null = null;
  const takes = new Map<string, number>();
  const turnsOf = (who: string): Turns => ({
    async take({ onWait, stillWanted }) {
      const since = clock.now();
      let told = false;
      for (;;) {
        if (!stillWanted()) return { taken: false };
        if (holder === null) {
          holder = who;
          takes.set(who, (takes.get(who) ?? 0) + 1);
          return { taken: true, waitedMs: told ? clock.now() - since : 0 };
        }
        if (!told) onWait(1);
        told = true;
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 250));
      }
    },
    async release() {
      if (holder === who) holder = null;
    },
    async handBack() {
      return 0;
    },
  });
  return {
    turnsOf,
    holder: () => holder,
    /** How many times `who` took the turn. */
    takes: (who: string) => takes.get(who) ?? 0,
    /** The next process of `who` is ready: its predecessor's turn is free. */
    handBack(who: string) {
      if (holder === who) holder = null;
    },
  };
}

function instance(clock: SimClock, turns: Turns) {
  const exits: number[] = [];
  const controller = createRestartController({
    machine: restartMachine,
    clock,
    process: { pid: 4242, exit: () => exits.push(clock.now()), keepAlive: () => () => undefined },
    plan: async () => ({ ...PLANNED_EXIT, instances: 2 }),
    stillTracked: async () => true,
    requestDaemonRestart: async () => ({ ok: true }),
    writeRecord: async () => true,
    discardRecord: async () => undefined,
    daemonRestartGraceMs: () => 10_000,
    turns,
  });
  return { controller, exits };
}

/** Instances 0 and 1 of one app, sharing one slot on one simulated clock. */
function twoInstances() {
  const clock = createSimClock();
  const slot = createSlot(clock);
  return {
    clock,
    slot,
    one: instance(clock, slot.turnsOf('one')),
    zero: instance(clock, slot.turnsOf('zero')),
  };
}

describe('turns through the controller: an instance holding its turn stops taking work, for a bounded time', () => {
  const options = { ...REQUEST_OPTIONS, deadlineMs: null };

  it('a back-to-back queue worker (its next 100 ms job begins as the last ends) restarts after its current job, taking the turn once (review T1)', async () => {
    const { clock, slot, one, zero } = twoInstances();
    // Instance 1 restarts first and holds the turn until its next process is ready.
    void one.controller.request(options);
    await clock.advance(10);
    expect(slot.holder()).toBe('one');

    // Instance 0: concurrency 1, the next job begun in the tick its last one ends; refused, it
    // retries 100 ms later (the review's app).
    let refused = 0;
    const job = (): void => {
      const task = zero.controller.tryBeginTask('job');
      if (task === null) {
        refused += 1;
        clock.setTimeout(job, 100);
        return;
      }
      clock.setTimeout(() => {
        task.end();
        job();
      }, 100);
    };
    job();
    void zero.controller.request(options);
    await clock.advance(1_000);
    expect(slot.takes('zero')).toBe(0);
    expect(zero.exits).toHaveLength(0);
    slot.handBack('one');
    // The turn comes during a job: that job ends, the next is refused, and it restarts.
    await clock.advance(500);
    expect(zero.exits).toHaveLength(1);
    expect(refused).toBeGreaterThan(0);
    expect(slot.takes('zero')).toBe(1);
    expect(slot.holder()).toBe('zero');
  });

  it('a back-to-back worker whose jobs outlast the first hold (15 s jobs): each hold doubles, so it restarts after its third job, the other instance restarting meanwhile (review re-probe)', async () => {
    const { clock, slot, one, zero } = twoInstances();
    const job = (): void => {
      const task = zero.controller.tryBeginTask('job');
      if (task === null) {
        clock.setTimeout(job, 100);
        return;
      }
      clock.setTimeout(() => {
        task.end();
        job();
      }, 15_000);
    };
    job();
    const askedAt = clock.now();
    void zero.controller.request(options);
    // Deferred during job 1, holding no turn; job 2 begins as job 1 ends, before the turn comes (15 s).
    await clock.advance(15_500);
    expect(slot.holder()).toBe('zero');
    expect(zero.controller.acceptsTasks()).toBe(false);
    // Held TURN_HOLD_MS with job 2 running: given back (25 s); the other instance restarts meanwhile.
    await clock.advance(TURN_HOLD_MS);
    expect(slot.holder()).toBeNull();
    void one.controller.request(options);
    await clock.advance(10);
    expect(one.exits).toHaveLength(1);
    slot.handBack('one');
    // Job 2 ends (30 s) and job 3 begins before the turn comes again; this hold lasts 2 x TURN_HOLD_MS,
    // so job 3 ends inside it (45 s), no job 4 begins, and it restarts.
    await clock.advance(20_000);
    expect(zero.exits).toHaveLength(1);
    expect(slot.takes('zero')).toBe(2);
    expect((zero.exits[0] ?? 0) - askedAt).toBeGreaterThanOrEqual(45_000);
    expect((zero.exits[0] ?? 0) - askedAt).toBeLessThan(46_000);
  });

  it('overlapping tasks when the turn comes: no new task, the running ones end within the hold, then it restarts', async () => {
    const { clock, slot, one, zero } = twoInstances();
    void one.controller.request(options);
    await clock.advance(10);
    const outcome = zero.controller.request(options);
    await clock.advance(10);
    expect(await outcome).toEqual({ status: 'waitingTurn', holders: 1 });
    // Tasks of 1 s every 400 ms: two or three always run.
    const running: TaskHandle[] = [];
    let refused = 0;
    for (let at = 0; at < 6_000; at += 400) {
      clock.setTimeout(() => {
        const task = zero.controller.tryBeginTask();
        if (task === null) return void (refused += 1);
        running.push(task);
        clock.setTimeout(() => task.end(), 1_000);
      }, at);
    }
    await clock.advance(1_500);
    slot.handBack('one');
    await clock.advance(300);
    expect(zero.controller.state).toMatchObject({ phase: 'deferred', request: { turn: 'held' } });
    expect(zero.controller.acceptsTasks()).toBe(false);
    // The tasks running when the turn came end within 1 s: it restarts then, with that turn.
    await clock.advance(1_000);
    expect(zero.exits).toHaveLength(1);
    expect(refused).toBeGreaterThan(0);
    expect(slot.takes('zero')).toBe(1);
  });

  it('a task still running TURN_HOLD_MS after the turn came: the turn goes back, the other restarts meanwhile, the busy one goes once its tasks end (review B1)', async () => {
    const { clock, slot, one, zero } = twoInstances();
    void one.controller.request(options);
    await clock.advance(10);
    void zero.controller.request(options);
    await clock.advance(10);
    // A long task (30 s) begins while instance 0 waits.
    const long = zero.controller.beginTask('long');
    await clock.advance(1_000);
    slot.handBack('one');
    await clock.advance(300);
    expect(slot.holder()).toBe('zero');
    expect(zero.controller.acceptsTasks()).toBe(false);

    // Held TURN_HOLD_MS: it goes back; instance 0 takes work again.
    await clock.advance(TURN_HOLD_MS);
    expect(slot.holder()).toBeNull();
    expect(zero.controller.state).toMatchObject({ phase: 'deferred', request: { turn: 'givenBack' } });
    expect(zero.controller.acceptsTasks()).toBe(true);
    const short = zero.controller.beginTask('short');

    // Instance 1's next process asks again: it goes at once, not after instance 0's tasks.
    const again = instance(clock, slot.turnsOf('one-next'));
    void again.controller.request(options);
    await clock.advance(10);
    expect(again.exits).toHaveLength(1);
    slot.handBack('one-next');

    // No new take while a task runs, however long.
    await clock.advance(20_000);
    expect(slot.takes('zero')).toBe(1);
    short.end();
    await clock.advance(1_000);
    expect(slot.takes('zero')).toBe(1);
    expect(zero.exits).toHaveLength(0);
    long.end();
    await clock.advance(300);
    expect(slot.takes('zero')).toBe(2);
    expect(zero.exits).toHaveLength(1);
  });

  it('refuseNewTasks and an endless task: the turn goes back after TURN_HOLD_MS (the other restarts), tasks stay refused, the turn is asked again when the task ends (review T2)', async () => {
    const { clock, slot, one, zero } = twoInstances();
    const endless = zero.controller.beginTask('endless');
    void zero.controller.request({ ...options, refuseNewTasks: true });
    await clock.advance(10);
    expect(slot.holder()).toBe('zero');
    void one.controller.request(options);
    await clock.advance(TURN_HOLD_MS);
    // Given back: instance 1 had it and restarted.
    expect(one.exits).toHaveLength(1);
    expect(zero.controller.state).toMatchObject({ phase: 'deferred', request: { turn: 'givenBack' } });
    expect(zero.controller.acceptsTasks()).toBe(false);
    slot.handBack('one');
    await clock.advance(60_000);
    expect(slot.takes('zero')).toBe(1);
    endless.end();
    await clock.advance(10);
    expect(slot.takes('zero')).toBe(2);
    expect(zero.exits).toHaveLength(1);
  });
});
