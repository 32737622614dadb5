import type { Clock } from './ports.js';

/**
 * The clock's monotonic milliseconds, or its wall clock where it has none: the time to measure ages
 * inside this process with, so that a wall clock stepped back or forward changes none of them.
 */
export function monotonicNow(clock: Clock): number {
  return clock.monotonicNow?.() ?? clock.now();
}

/** One moment as both clocks tell it. */
export interface Instant {
  /** Epoch ms: to compare with times other processes wrote (in files). */
  readonly wall: number;
  /** {@link monotonicNow}: to compare with times this process measured. */
  readonly mono: number;
}

/**
 * The wall clock's time (epoch ms) of `monotonicAt`, a time on {@link monotonicNow}: to show people,
 * or write for another process, a moment this process measured on its monotonic clock (whole ms).
 */
export function wallTimeOf(clock: Clock, monotonicAt: number): number {
  return Math.round(clock.now() + (monotonicAt - monotonicNow(clock)));
}

/** Now, as an {@link Instant}. */
export function instantOf(clock: Clock): Instant {
  return { wall: clock.now(), mono: monotonicNow(clock) };
}
