/** A task that was begun; `end()` it once (later calls are ignored). */
export interface TaskHandle {
  /** The label given to `beginTask`, for logs. */
  readonly label: string | undefined;
  /** True once `end()` was called. */
  readonly ended: boolean;
  /** Ends the task; a deferred restart proceeds when the last task ends. */
  end(): void;
}

/** A {@link TaskHandle} that calls `onEnd` on its first `end()` only. */
export function createTaskHandle(label: string | undefined, onEnd: () => void): TaskHandle {
  let ended = false;
  return {
    label,
    get ended() {
      return ended;
    },
    end() {
      if (ended) return;
      ended = true;
      onEnd();
    },
  };
}
