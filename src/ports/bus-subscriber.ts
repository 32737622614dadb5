/**
 * A subscriber to the pm2 daemon's event bus (`$PM2_HOME/pub.sock`): axon pub/sub over AMP framing,
 * each message `[event, data]` (e.g. `'axm:reply'` with `{ process: { pm_id, name, namespace }, data }`).
 * The subscriber only reads; connecting never starts a daemon.
 * @module
 */
import type { Socket } from 'node:net';
import { createAmpDecoder } from './amp-codec.js';
import type { RpcResult } from './ports.js';

/** One event published by the daemon. */
export interface BusMessage {
  readonly event: string;
  readonly data: unknown;
}

/** An open subscription; `close()` ends it (idempotent). */
export interface BusSubscription {
  close(): void;
}

/** Options of {@link subscribeToBus}. */
export interface BusSubscribeOptions {
  /** Longest wait for the connection, in milliseconds. */
  timeoutMs: number;
  /** Called once if the connection ends before `close()` (daemon gone, bad frame). */
  onEnd?: (why: string) => void;
}

/** Connects to the daemon's bus; the port the operator CLI listens through. */
export type BusConnector = (
  socketPath: string,
  onMessage: (message: BusMessage) => void,
  options: BusSubscribeOptions,
) => Promise<RpcResult<BusSubscription>>;

let net: Promise<typeof import('node:net')> | undefined;

/** Subscribes to every event of the bus at `socketPath`; resolves once connected, never throws. */
export const subscribeToBus: BusConnector = async (socketPath, onMessage, options) => {
  const { connect } = await (net ??= import('node:net'));
  return new Promise((resolve) => {
    let connected = false;
    let closed = false;
    let sock: Socket;
    try {
      sock = connect({ path: socketPath });
    } catch (error) {
      return resolve({ ok: false, reason: 'noDaemon', message: String(error) });
    }
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({
        ok: false,
        reason: 'timeout',
        message: `no connection to ${socketPath} within ${options.timeoutMs} ms`,
      });
    }, options.timeoutMs);
    const end = (why: string) => {
      if (closed) return;
      closed = true;
      sock.destroy();
      if (connected) options.onEnd?.(why);
    };
    const decoder = createAmpDecoder();
    sock.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected) {
        clearTimeout(timer);
        const reason = ['EACCES', 'EPERM'].includes(error.code ?? '') ? 'accessDenied' : 'noDaemon';
        resolve({ ok: false, reason, message: `${error.code ?? 'error'}: ${error.message}` });
      }
      end(`bus connection failed: ${error.message}`);
    });
    sock.on('close', () => end('the daemon closed the bus connection'));
    sock.on('data', (chunk: Buffer) => {
      const decoded = decoder.push(chunk);
      for (const [event, data] of decoded.messages) {
        if (typeof event === 'string' && !closed) onMessage({ event, data });
      }
      if (!decoded.ok) end(`bad bus frame (${decoded.reason})`);
    });
    sock.on('connect', () => {
      connected = true;
      clearTimeout(timer);
      const close = () => {
        closed = true;
        sock.destroy();
      };
      resolve({ ok: true, value: { close } });
    });
  });
};
