/**
 * A simulated {@link Clock} for deterministic tests: time moves only through `advance`, and due timers
 * fire in order (by due time, then by the order they were set). Code under test awaits promises between
 * effects, so `advance` lets pending promises settle before and after every timer it fires: a timer set
 * by resumed async code (or by a fired timer) fires in the same `advance` when it falls due.
 *
 * No real time is involved: `flush` only yields to the event loop (`setImmediate`), which runs every
 * queued promise reaction; nothing waits for a wall-clock duration.
 */
import { setImmediate } from 'node:timers';
import type { Clock, TimerHandle } from '../../src/ports/ports.js';

/** Lets every pending promise reaction run (including reactions queued by those reactions). */
/**
 * Turns of the event loop let pass before and after each timer: code that yields with `setImmediate`
 * (as the controller does before hooks) settles within the same simulated millisecond, as it would
 * within the same real one.
 */
const SETTLE_ROUNDS = 3;

export async function flush(rounds = 1): Promise<void> {
  for (let round = 0; round < rounds; round++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface SimTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/** A clock whose time only moves when a test says so. */
export interface SimClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in order and settling pending promises around each. */
  advance(ms: number): Promise<void>;
  /** Moves time forward to the epoch ms `at` (no-op when already there or past). */
  advanceTo(at: number): Promise<void>;
  /** Fires every timer until none is left, or until `limitMs` of simulated time has passed. */
  runAll(limitMs?: number): Promise<void>;
  /** Due time of the next timer, or null when none is pending. */
  nextTimerAt(): number | null;
  /** Timers set and neither fired nor cleared. */
  pendingTimers(): number;
}

/** Creates a {@link SimClock} starting at the epoch ms `start`. */
export function createSimClock(start = 1_800_000_000_000): SimClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, SimTimer>();

  const nextDue = (limit: number): SimTimer | undefined => {
    let due: SimTimer | undefined;
    for (const timer of timers.values()) {
      if (timer.at > limit) continue;
      if (due === undefined || timer.at < due.at || (timer.at === due.at && timer.id < due.id)) due = timer;
    }
    return due;
  };

  const advanceTo = async (target: number): Promise<void> => {
    await flush(SETTLE_ROUNDS);
    for (;;) {
      const due = nextDue(target);
      if (due === undefined) break;
      timers.delete(due.id);
      now = Math.max(now, due.at);
      due.callback();
      await flush(SETTLE_ROUNDS);
    }
    now = Math.max(now, target);
    await flush(SETTLE_ROUNDS);
  };

  const clock: SimClock = {
    now: () => now,
    setTimeout(callback, delayMs): TimerHandle {
      const id = nextId++;
      timers.set(id, { id, at: now + Math.max(0, delayMs), callback });
      return id;
    },
    clearTimeout(handle) {
      if (typeof handle === 'number') timers.delete(handle);
    },
    advance: (ms) => advanceTo(now + ms),
    advanceTo,
    async runAll(limitMs = 24 * 3_600_000) {
      const limit = now + limitMs;
      await flush();
      for (let at = clock.nextTimerAt(); at !== null && at <= limit; at = clock.nextTimerAt())
        await advanceTo(at);
    },
    nextTimerAt() {
      let at: number | null = null;
      for (const timer of timers.values()) if (at === null || timer.at < at) at = timer.at;
      return at;
    },
    pendingTimers: () => timers.size,
  };
  return clock;
}
