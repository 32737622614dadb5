import type { Clock } from '../ports/ports.js';

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
  /** Epoch ms when the task began. */
  readonly startedAt: number;
  /** How long it has run, in milliseconds, when the snapshot was taken. */
  readonly runningMs: number;
}

/** The running tasks of one controller, with their labels and start times. */
export interface TaskRegistry {
  /** Registers a task; `onEnd` runs on the handle's first `end()` only. */
  begin(label: string | undefined, onEnd: () => void): TaskHandle;
  /** The running tasks, oldest first. */
  list(): readonly TaskSnapshot[];
}

/** Creates a {@link TaskRegistry} on a clock. */
export function createTaskRegistry(clock: Clock): TaskRegistry {
  const running = new Set<{ label: string | null; startedAt: number }>();
  return {
    begin(label, onEnd) {
      const entry = { label: label ?? null, startedAt: clock.now() };
      running.add(entry);
      let ended = false;
      return {
        label,
        get ended() {
          return ended;
        },
        end() {
          if (ended) return;
          ended = true;
          running.delete(entry);
          onEnd();
        },
      };
    },
    list() {
      const now = clock.now();
      return [...running].map((task) => ({ ...task, runningMs: Math.max(0, now - task.startedAt) }));
    },
  };
}
