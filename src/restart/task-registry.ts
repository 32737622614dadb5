import type { Clock } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';

/** A task that was begun; `end()` it once (later calls are ignored). */
export interface TaskHandle {
  /** The label given to `beginTask`, for logs. */
  readonly label: string | undefined;
  /** True once `end()` was called. */
  readonly ended: boolean;
  /** Ends the task; a deferred restart proceeds when the last task ends. */
  end(): void;
}

/** A running task as a status screen shows it: "deferred by: import-batch, running 12 s". */
export interface TaskSnapshot {
  readonly label: string | null;
  /** Epoch ms when the task began (the wall clock then, to show). */
  readonly startedAt: number;
  /**
   * How long it has run, in milliseconds, when the snapshot was taken: measured on the monotonic
   * clock, so a wall clock stepped since it began changes nothing.
   */
  readonly runningMs: number;
  /** True once it has run longer than `staleTaskMs` (a forgotten `end()`, say). */
  readonly stale: boolean;
}

/** When a task counts as stale, and whom to tell. */
export interface StaleWatch {
  readonly staleTaskMs: number;
  onStale(task: TaskSnapshot): void;
}

/** The running tasks of one controller, with their labels and start times. */
export interface TaskRegistry {
  /** Registers a task; `onEnd` runs on the handle's first `end()` only. */
  begin(label: string | undefined, onEnd: () => void): TaskHandle;
  /** The running tasks, oldest first. */
  list(): readonly TaskSnapshot[];
}

interface Entry {
  readonly label: string | null;
  readonly startedAt: number;
  /** `monotonicNow` when it began. */
  readonly begunAt: number;
  stale: boolean;
}

const snapshotOf = (task: Entry, now: number): TaskSnapshot => ({
  label: task.label,
  startedAt: task.startedAt,
  runningMs: Math.max(0, Math.round(now - task.begunAt)),
  stale: task.stale,
});

/**
 * Creates a {@link TaskRegistry} on a clock. With `watch`, a task still running after `staleTaskMs`
 * is marked stale and reported once (its timer never keeps the process alive).
 */
export function createTaskRegistry(clock: Clock, watch?: StaleWatch): TaskRegistry {
  const running = new Set<Entry>();
  return {
    begin(label, onEnd) {
      const entry: Entry = {
        label: label ?? null,
        startedAt: clock.now(),
        begunAt: monotonicNow(clock),
        stale: false,
      };
      running.add(entry);
      let ended = false;
      const timer =
        watch === undefined
          ? undefined
          : clock.setTimeout(() => {
              if (ended) return;
              entry.stale = true;
              watch.onStale(snapshotOf(entry, monotonicNow(clock)));
            }, watch.staleTaskMs);
      return {
        label,
        get ended() {
          return ended;
        },
        end() {
          if (ended) return;
          ended = true;
          if (timer !== undefined) clock.clearTimeout(timer);
          running.delete(entry);
          onEnd();
        },
      };
    },
    list() {
      const now = monotonicNow(clock);
      return [...running].map((task) => snapshotOf(task, now));
    },
  };
}

/** A stale task in words, for a warning: `task "import-batch" has run 612 s`. */
export function describeStaleTask(task: TaskSnapshot): string {
  const label = task.label === null ? 'a task without label' : `task ${JSON.stringify(task.label)}`;
  return `(${label} has run ${Math.round(task.runningMs / 1000)} s)`;
}
