/**
 * The main thread's side of the event-loop watchdog: starts the watchdog thread (unref'd: it never
 * keeps the process alive), writes a heartbeat into shared memory on every turn of an unref'd
 * interval, and hands the thread its target once the identity is known. See `watchdog-source.ts` for
 * what the thread does when the heartbeat stops.
 */
import { debug } from '../common/debug.js';
import { BEAT_SLOTS, watchdogSource, type WatchdogData, type WatchdogTarget } from './watchdog-source.js';
import { heartbeatEveryMs, monotonicMs } from './watchdog-verdict.js';

/** A running watchdog. */
export interface Watchdog {
  /** Tells the thread how to end the process and what to record (once the identity is known). */
  setTarget(target: WatchdogTarget): void;
  /** How late the last heartbeat came (the event loop's delay), or null before the second. */
  loopDelayMs(): number | null;
  /** Stops the heartbeat and the thread. */
  stop(): void;
}

/** Starts a watchdog that ends the process after `limitMs` without a heartbeat. */
export function startWatchdog(limitMs: number, runningTasks: () => number): Watchdog {
  // Loaded here, not at import: an app that never starts a watchdog pays nothing for them.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const { url: inspectorUrl } = process.getBuiltinModule('node:inspector');
  const beatMs = heartbeatEveryMs(limitMs);
  const beats = new SharedArrayBuffer(BEAT_SLOTS.length * 8);
  const slots = new BigInt64Array(beats);
  const data: WatchdogData = { beats, limitMs, pollMs: beatMs };
  // No execArgv: the app's loaders (tsx, --import) and --input-type have no business in the thread.
  const worker = new Worker(watchdogSource(), { eval: true, workerData: data, execArgv: [] });
  worker.unref();
  worker.on('error', (error) => debug('watchdog: the thread failed: %s', error.message));
  let last = 0;
  let delay: number | null = null;
  const beat = () => {
    const now = monotonicMs();
    if (last !== 0) delay = Math.max(0, now - last - beatMs);
    last = now;
    Atomics.store(slots, BEAT_SLOTS.inspectorOpen, inspectorUrl() === undefined ? 0n : 1n);
    Atomics.store(slots, BEAT_SLOTS.tasks, BigInt(runningTasks()));
    Atomics.store(slots, BEAT_SLOTS.lastBeatAt, BigInt(now));
  };
  // The first beat comes from the first turn of the loop after this call (a synchronous start-up never
  // counts as blocked, and code that hangs on that first turn is caught), then one every beatMs.
  const first = setImmediate(beat);
  first.unref();
  const interval = setInterval(beat, beatMs);
  interval.unref();
  return {
    setTarget: (target) => worker.postMessage({ type: 'target', target }),
    loopDelayMs: () => delay,
    stop() {
      clearImmediate(first);
      clearInterval(interval);
      void worker.terminate();
    },
  };
}
