/**
 * The IPC channel between a managed process and the pm2 daemon (`process.send` / `'message'`), as a
 * port: the operator actions speak pm2's action protocol through it, and tests pass a fake.
 * @module
 */
import { listenUncounted } from './uncounted-listener.js';

/** The app's side of the IPC channel to the pm2 daemon. */
export interface IpcChannel {
  /** False when the process has no channel at all (started by npm, a shell, or outside pm2). */
  readonly available: boolean;
  /** True while messages can be sent (false before the channel exists and after it closed). */
  readonly connected: boolean;
  /**
   * Sends one message; resolves true once it was handed to the channel, false when it could not be
   * (no channel, channel closed, message refused). Never throws and never leaves an `'error'` unhandled.
   */
  send(message: unknown): Promise<boolean>;
  /**
   * Listens to every message the daemon sends this process; returns the unsubscribe. Listening never
   * keeps the process alive by itself.
   */
  onMessage(listener: (message: unknown) => void): () => void;
}

const SHARED = Symbol.for('pm2-self.ipc-channel');

/**
 * The real channel over `process.send` and `process.on('message')`. One object per process (kept on
 * `globalThis`, so the ESM and CJS copies of the package share it).
 */
export function createNodeIpcChannel(): IpcChannel {
  const holder = globalThis as typeof globalThis & { [SHARED]?: IpcChannel };
  return (holder[SHARED] ??= {
    get available() {
      return typeof process.send === 'function';
    },
    get connected() {
      return typeof process.send === 'function' && process.connected === true;
    },
    send(message) {
      return new Promise((resolve) => {
        if (typeof process.send !== 'function' || !process.connected) return resolve(false);
        try {
          // With a callback, a failed send reports to it instead of emitting 'error' on the process.
          process.send(message, undefined, {}, (error) => resolve(error === null || error === undefined));
        } catch {
          resolve(false);
        }
      });
    },
    onMessage(listener) {
      // Counted out of the channel's references: listening changes nothing about when the process exits.
      return listenUncounted(listener);
    },
  });
}
