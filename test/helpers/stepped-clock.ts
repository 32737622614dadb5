/**
 * A simulated clock whose monotonic time is the simulation's and whose wall clock can be stepped back
 * or forward (NTP, an operator's `date -s`) without moving any timer.
 */
import type { Clock } from '../../src/ports/ports.js';
import { createSimClock, type SimClock } from './sim-clock.js';

/** The simulation, the clock port over it, and the step of its wall clock. */
export interface SteppedClock {
  readonly sim: SimClock;
  readonly clock: Clock;
  /** Moves the wall clock by `ms` (negative: back); the monotonic time and the timers stay. */
  step(ms: number): void;
}

/** Creates a {@link SteppedClock} starting at the epoch ms `start`. */
export function createSteppedClock(start?: number): SteppedClock {
  const sim = createSimClock(start);
  let offset = 0;
  const clock: Clock = {
    now: () => sim.now() + offset,
    monotonicNow: () => sim.now(),
    setTimeout: (callback, delayMs) => sim.setTimeout(callback, delayMs),
    clearTimeout: (handle) => sim.clearTimeout(handle),
  };
  return { sim, clock, step: (ms) => (offset += ms) };
}
