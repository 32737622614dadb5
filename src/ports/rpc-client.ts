/**
 * A minimal client for the pm2 daemon's RPC socket (`$PM2_HOME/rpc.sock`): axon req/rep with
 * `pm2-axon-rpc` messages over AMP framing, one short-lived connection per call.
 *
 * Request frame: `[{ type: 'call', method, args: [arg] }, "<pid>:<n>"]`.
 * Reply frame: `[{ args: [result, ...] }, "<same id>"]` or, when the method failed,
 * `[{ error: message | value, stack? }, "<same id>"]`.
 *
 * Connecting never starts a daemon: when nobody listens the connect fails (ENOENT / ECONNREFUSED).
 *
 * Windows: pm2 does not use `$PM2_HOME/rpc.sock` there but the fixed named pipe `\\.\pipe\rpc.sock`
 * (shared by every user and every PM2_HOME); callers must pass that path. Nothing else is done for
 * Windows here and it is untested.
 * @module
 */
import type { Socket } from 'node:net';
import { createAmpDecoder, encodeMessage } from './amp-codec.js';
import type { RpcResult } from './ports.js';

/** Options of {@link callDaemon} and {@link sendToDaemon}. */
export interface RpcCallOptions {
  /** Overall deadline (connect + write + reply), in milliseconds. */
  timeoutMs: number;
  /** Aborting ends the call with reason `closed`. */
  signal?: AbortSignal;
  /** Largest reply frame accepted (default 64 MiB); a bigger one ends the call with `protocol`. */
  maxReplyBytes?: number;
}

let sequence = 0;

function failureOf(error: NodeJS.ErrnoException, connected: boolean): RpcResult<never> {
  const code = error.code ?? '';
  const message = `${code || 'error'}: ${error.message}`;
  if (!connected && ['ENOENT', 'ECONNREFUSED', 'ENOTDIR'].includes(code))
    return { ok: false, reason: 'noDaemon', message };
  if (['EACCES', 'EPERM'].includes(code)) return { ok: false, reason: 'accessDenied', message };
  return { ok: false, reason: 'closed', message };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// node:net is loaded on the first call, not at import: importing pm2-self stays cheap.
let net: Promise<typeof import('node:net')> | undefined;

async function run<T>(
  socketPath: string,
  method: string,
  arg: unknown,
  options: RpcCallOptions,
  waitForReply: boolean,
): Promise<RpcResult<T>> {
  const { connect } = await (net ??= import('node:net'));
  return new Promise((resolve) => {
    const { signal } = options;
    const id = `${process.pid}:${sequence++}`;
    let settled = false;
    let connected = false;

    let frame: Buffer;
    try {
      // pm2's own Client always passes an object. God methods read `opts.id` etc. without a check, and
      // an exception there kills the daemon and every app (measured: `restartProcessId(null)`).
      frame = encodeMessage([{ type: 'call', method, args: [arg ?? {}] }, id]);
    } catch (error) {
      return resolve({
        ok: false,
        reason: 'protocol',
        message: `cannot encode the request: ${describe(error)}`,
      });
    }
    const aborted = (): RpcResult<T> => ({
      ok: false,
      reason: 'closed',
      message: `aborted: ${describe(signal?.reason)}`,
    });
    if (signal?.aborted) return resolve(aborted());
    let sock: Socket;
    try {
      sock = connect({ path: socketPath });
    } catch (error) {
      return resolve({
        ok: false,
        reason: 'noDaemon',
        message: `cannot connect to ${describe(socketPath)}: ${describe(error)}`,
      });
    }
    // The socket stays referenced while the call is pending, so `await getInfo({ live: true })` completes
    // in a script with nothing else to do; the timer (unref'd) bounds that to `timeoutMs`.
    const what = waitForReply ? 'reply' : 'flush';
    const timer = setTimeout(
      () =>
        settle({
          ok: false,
          reason: 'timeout',
          message: `no ${what} to ${method} within ${options.timeoutMs} ms`,
        }),
      Math.max(0, options.timeoutMs),
    );
    timer.unref();
    const onAbort = () => settle(aborted());
    signal?.addEventListener('abort', onAbort, { once: true });
    function settle(result: RpcResult<T>) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(result);
    }

    const decoder = createAmpDecoder({ maxFrameBytes: options.maxReplyBytes });
    sock.on('error', (error) => settle(failureOf(error, connected)));
    sock.on('close', () =>
      settle({ ok: false, reason: 'closed', message: `connection closed before the ${what} to ${method}` }),
    );
    sock.on('connect', () => {
      connected = true;
      sock.write(frame, (error) => {
        if (!error && !waitForReply) settle({ ok: true, value: undefined as T });
      });
    });
    sock.on('data', (chunk: Buffer) => {
      const decoded = decoder.push(chunk);
      if (!decoded.ok)
        return settle({
          ok: false,
          reason: decoded.reason === 'tooLarge' ? 'tooLarge' : 'protocol',
          message: `bad reply frame (${decoded.reason}): ${decoded.message}`,
        });
      const reply = decoded.messages[0];
      if (reply === undefined) return;
      const [body, replyId] = reply;
      if (reply.length !== 2 || replyId !== id || typeof body !== 'object' || body === null) {
        return settle({
          ok: false,
          reason: 'protocol',
          message: `unexpected reply: ${describe(reply).slice(0, 200)}`,
        });
      }
      // Same test as pm2-axon-rpc's Client: an `error` key means failure, whatever its value.
      if ('error' in body) return settle({ ok: false, reason: 'remoteError', message: describe(body.error) });
      if (!('args' in body) || !Array.isArray(body.args)) {
        return settle({
          ok: false,
          reason: 'protocol',
          message: `reply without args: ${describe(body).slice(0, 200)}`,
        });
      }
      settle({ ok: true, value: body.args[0] as T });
    });
  });
}

/**
 * Calls `method` on the daemon listening at `socketPath` with the single argument `arg` and resolves
 * with the first value the method passed to its callback. Never throws, never starts a daemon.
 *
 * `undefined` and `null` are sent as `{}`, as pm2's own Client always sends an object: a God method
 * that dereferences a null argument throws inside the daemon, which then exits and takes every app
 * with it.
 *
 * A pending call keeps the process alive until the reply, the timeout or an abort, whichever comes
 * first; nothing outlives the call (the socket is destroyed when it settles).
 * @example `await callDaemon<ProcessDescription[]>(join(home, 'rpc.sock'), 'getMonitorData', {}, { timeoutMs: 2000 })`
 */
export function callDaemon<T>(
  socketPath: string,
  method: string,
  arg: unknown,
  options: RpcCallOptions,
): Promise<RpcResult<T>> {
  return run<T>(socketPath, method, arg, options, true);
}

/**
 * Fire-and-forget variant of {@link callDaemon}: resolves `{ ok: true, value: undefined }` as soon as
 * the request has been written to the socket, without waiting for a reply. Meant for calls the daemon
 * answers only after killing the caller, e.g. `restartProcessId({ id: <own pm_id> })`. The daemon may
 * still reject the call; nobody will hear about it.
 */
export function sendToDaemon(
  socketPath: string,
  method: string,
  arg: unknown,
  options: RpcCallOptions,
): Promise<RpcResult<undefined>> {
  return run<undefined>(socketPath, method, arg, options, false);
}
