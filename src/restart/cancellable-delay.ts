import type { Clock } from '../ports/ports.js';

/** A delay on the injected clock that can be ended early. */
export interface CancellableDelay {
  /** Resolves after the delay, or as soon as `end()` is called. */
  readonly done: Promise<void>;
  /** Ends the delay now. */
  end(): void;
}

/** Starts a {@link CancellableDelay} of `delayMs`. */
export function cancellableDelay(clock: Clock, delayMs: number): CancellableDelay {
  let end = () => {};
  const done = new Promise<void>((resolve) => {
    const handle = clock.setTimeout(resolve, delayMs);
    end = () => {
      clock.clearTimeout(handle);
      resolve();
    };
  });
  return { done, end };
}
