/**
 * Review B1 through the real controller and machine: two instances share one turn (an in-memory slot
 * on a simulated clock). Instance 0 waits for its turn while it keeps serving overlapping tasks; when
 * the turn reaches it with tasks running it must give it back at once, so instance 1's next process,
 * asked meanwhile, restarts without waiting for the busy instance's tasks.
 */
import { describe, expect, it } from 'vitest';
import { createRestartController, type TaskHandle } from '../../src/restart/controller.js';
import { restartMachine } from '../../src/restart/machine.js';
import type { Turns } from '../../src/restart/turns.js';
import { PLANNED_EXIT, REQUEST_OPTIONS } from '../helpers/machine-fixtures.js';
import { createSimClock, type SimClock } from '../helpers/sim-clock.js';

/** One slot, polled every 250 ms as the file-backed turns do; `handBack` frees a restarted holder's. */
function createSlot(clock: SimClock) {
  let holder: string | null = null;
  const turnsOf = (who: string): Turns => ({
    async take({ onWait, stillWanted }) {
      const since = clock.now();
      let told = false;
      for (;;) {
        if (!stillWanted()) return { taken: false };
        if (holder === null) {
          holder = who;
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

describe('turns through the controller: a busy instance never holds the turn', () => {
  it('an instance that took work while it waited gives the turn back; the other restarts meanwhile; it goes once its tasks end', async () => {
    const clock = createSimClock();
    const slot = createSlot(clock);
    const one = instance(clock, slot.turnsOf('one'));
    const zero = instance(clock, slot.turnsOf('zero'));
    const options = { ...REQUEST_OPTIONS, deadlineMs: null };

    // Instance 1 restarts first: it holds the turn through its exit.
    void one.controller.request(options);
    await clock.advance(10);
    expect(one.exits).toHaveLength(1);
    expect(slot.holder()).toBe('one');

    // Instance 0 asks with nothing running: it waits, and serves overlapping tasks meanwhile.
    const outcome = zero.controller.request(options);
    await clock.advance(10);
    expect(await outcome).toEqual({ status: 'waitingTurn', holders: 1 });
    const running: TaskHandle[] = [];
    const beginAt = (at: number) => clock.setTimeout(() => running.push(zero.controller.beginTask()), at);
    const endAt = (at: number) => clock.setTimeout(() => running.shift()?.end(), at);
    // Tasks of 1 s every 400 ms for 6 s: two or three always run.
    for (let at = 0; at < 6_000; at += 400) {
      beginAt(at);
      endAt(at + 1_000);
    }

    // Instance 1's next process is ready 1.5 s later: the turn is free, and instance 0 takes it...
    await clock.advance(1_500);
    slot.handBack('one');
    await clock.advance(300);
    // ...and gives it back at once: it is still taking work.
    expect(zero.controller.state).toMatchObject({ phase: 'deferred', request: { turn: 'needed' } });
    expect(slot.holder()).toBeNull();
    expect(zero.controller.acceptsTasks()).toBe(true);

    // Instance 1's next process asks again: it goes at once, not after instance 0's tasks.
    const again = instance(clock, slot.turnsOf('one-next'));
    void again.controller.request(options);
    await clock.advance(10);
    expect(again.exits).toHaveLength(1);
    expect(running.length).toBeGreaterThan(0);
    slot.handBack('one-next');

    // Instance 0 restarts once its last task has ended (6.4 s after its first task began).
    expect(zero.exits).toHaveLength(0);
    await clock.advance(6_000);
    expect(running).toHaveLength(0);
    expect(zero.exits).toHaveLength(1);
    expect(slot.holder()).toBe('zero');
  });
});
