/**
 * Sees the app's own `process.send('ready')`: the message by which a `wait_ready` app tells pm2 it
 * is ready. pm2 also lists such an app `online` at its `listen_timeout` without it, so only the
 * message itself says the app is ready.
 * @module
 */

/** A watch for the app's `'ready'` message. */
export interface ReadyWatch {
  /** Resolves once the app has sent `'ready'` after the watch began. */
  readonly seen: Promise<void>;
  /** Ends the watch (puts `process.send` back when nothing replaced it since). */
  stop(): void;
}

/** Watches `process.send` for `'ready'`; a process without an IPC channel never sends it. */
export function watchReadySignal(): ReadyWatch {
  const original = process.send;
  let resolveSeen = () => {};
  const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
  if (typeof original !== 'function') return { seen, stop: () => undefined };
  const watching = function (this: unknown, ...args: Parameters<NonNullable<typeof process.send>>) {
    if (args[0] === 'ready') resolveSeen();
    return Reflect.apply(original, this, args) as boolean;
  };
  process.send = watching as typeof process.send;
  return {
    seen,
    stop() {
      if (process.send === (watching as typeof process.send)) process.send = original;
    },
  };
}
