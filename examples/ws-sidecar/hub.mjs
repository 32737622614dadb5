/**
 * A minimal hub: a WebSocket server on 127.0.0.1 (random port) that sidecars connect to.
 *
 * It keeps an ordered log of what happened (connections, messages, closes) so a runner or a test can
 * wait for the next event and check the order. One sidecar at a time is enough for the example:
 * `send()` talks to the most recent connection.
 */
import { WebSocketServer } from 'ws';

/**
 * @param {{ host?: string, port?: number, onEvent?: (event: object) => void }} [options]
 */
export async function startHub({ host = '127.0.0.1', port = 0, onEvent = () => {} } = {}) {
  const server = new WebSocketServer({ host, port, maxPayload: 64 * 1024 });
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const url = `ws://${host}:${address.port}`;

  /** Every event, in order: `{ kind: 'connected' | 'message' | 'closed', connection, at, ... }`. */
  const events = [];
  const waiters = new Set();
  let current = null;
  let connections = 0;

  const record = (event) => {
    events.push(event);
    onEvent(event);
    for (const waiter of [...waiters]) waiter(event);
  };

  server.on('connection', (socket) => {
    const connection = ++connections;
    current = socket;
    record({ kind: 'connected', connection, at: Date.now() });
    socket.on('message', (data) => {
      let message;
      try {
        message = JSON.parse(String(data));
      } catch {
        message = { type: 'unparseable', raw: String(data).slice(0, 200) };
      }
      record({ kind: 'message', connection, at: Date.now(), message });
    });
    socket.on('close', (code, reason) => {
      if (current === socket) current = null;
      record({ kind: 'closed', connection, at: Date.now(), code, reason: String(reason) });
    });
    socket.on('error', () => {}); // a 'close' always follows
  });

  /**
   * Resolves with the first event (already logged from index `from` on, or still to come) that
   * matches `predicate`; rejects after `timeoutMs`.
   */
  const waitFor = (predicate, { from = 0, timeoutMs = 20_000 } = {}) => {
    const earlier = events.slice(from).find(predicate);
    if (earlier) return Promise.resolve(earlier);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`hub: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (event) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(event);
      };
      waiters.add(waiter);
    });
  };

  /** Waits for the next message of `type` (counting from the current end of the log). */
  const nextMessage = (type, options = {}) =>
    waitFor((event) => event.kind === 'message' && event.message.type === type, {
      from: events.length,
      ...options,
    });

  /** Sends a message to the connected sidecar. */
  const send = (message) => {
    if (current === null || current.readyState !== current.OPEN) throw new Error('hub: no sidecar connected');
    current.send(JSON.stringify(message));
  };

  /** Drops the current connection abruptly (as a crashing hub would): the sidecar reconnects. */
  const disconnect = () => current?.terminate();

  const close = () =>
    new Promise((resolve) => {
      for (const client of server.clients) client.terminate();
      server.close(() => resolve());
    });

  return { url, events, waitFor, nextMessage, send, disconnect, close };
}
