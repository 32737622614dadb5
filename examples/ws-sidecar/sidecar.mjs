/**
 * A sidecar under pm2 that connects to a hub over WebSocket, runs the tasks the hub sends, and
 * restarts itself gracefully when the hub asks: running tasks finish first, the hub is told, the
 * socket is flushed and closed with 1012 ("service restart"), then pm2 brings up a new process
 * that identifies itself again, with the record of why it restarted.
 *
 * Messages
 *   hub -> sidecar: {type:'task', id, ms}   {type:'restart', reason}
 *   sidecar -> hub: {type:'identify', info, lastRestart}   {type:'task-done', id}   {type:'task-refused', id}
 *                   {type:'restart-ack', outcome}   {type:'restarting', reason}
 *
 * Environment: HUB_URL (required), e.g. ws://127.0.0.1:8080
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import {
  getInfo,
  getLastRestart,
  gracefulRestart,
  installShutdownHandler,
  isPm2SelfError,
  on,
  runTask,
} from 'pm2-self';

const HUB_URL = process.env.HUB_URL;
if (!HUB_URL) {
  console.error('sidecar: HUB_URL is not set');
  process.exit(78); // EX_CONFIG
}

let ws = null;
let leaving = false; // set once we close the socket on purpose: no reconnect after that
let backoffMs = 250;

function send(message) {
  if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

/**
 * Sends `message`, then resolves once it and everything queued before or after it has been handed
 * to the kernel: the send callback fired and `bufferedAmount` is 0. A ping is queued behind any
 * remaining data and its callback tells when that data is out too: no sleep, no polling.
 */
async function sendAndFlush(socket, message) {
  await new Promise((resolve, reject) =>
    socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve())),
  );
  while (socket.bufferedAmount > 0 && socket.readyState === WebSocket.OPEN) {
    await new Promise((resolve, reject) =>
      socket.ping(undefined, undefined, (error) => (error ? reject(error) : resolve())),
    );
  }
}

/** Closes `socket` with `code` and resolves on 'close' (or when `signal`, the hook's budget, aborts). */
function closeAndWait(socket, code, reason, signal) {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      socket.terminate();
      resolve();
    };
    socket.once('close', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.close(code, reason);
  });
}

/**
 * The beforeExit hook (it receives `{ reason, signal }`): tell the hub, flush, close with 1012 and wait
 * for the close handshake.
 */
async function leaveHub({ reason, signal }) {
  leaving = true;
  const socket = ws;
  if (socket === null || socket.readyState !== WebSocket.OPEN) return;
  try {
    await sendAndFlush(socket, { type: 'restarting', reason });
  } finally {
    await closeAndWait(socket, 1012, 'restarting', signal);
  }
}

async function runHubTask({ id, ms }) {
  try {
    // The reply is part of the task: a deferred restart waits until the hub has been answered.
    await runTask(async () => {
      await sleep(ms);
      send({ type: 'task-done', id });
    }, `task ${id}`);
  } catch (error) {
    if (isPm2SelfError(error, 'ERR_PM2SELF_NOT_ACCEPTING_TASKS')) send({ type: 'task-refused', id });
    else send({ type: 'task-failed', id, message: String(error?.message ?? error) });
  }
}

async function onHubMessage(data) {
  let message;
  try {
    message = JSON.parse(String(data));
  } catch {
    return;
  }
  if (message.type === 'task' && Number.isFinite(message.ms) && message.ms >= 0) {
    void runHubTask(message);
  } else if (message.type === 'restart') {
    const reason =
      typeof message.reason === 'string' && message.reason !== ''
        ? message.reason.slice(0, 200)
        : 'hub request';
    // The shutdown handler's hook below says goodbye on this restart too (once).
    const outcome = await gracefulRestart({ reason });
    // With no task running the restart is already under way and the socket may be closing: send() skips it then.
    send({ type: 'restart-ack', outcome });
  }
}

function connect() {
  const socket = new WebSocket(HUB_URL);
  ws = socket;
  socket.on('open', async () => {
    backoffMs = 250;
    send({ type: 'identify', info: await getInfo(), lastRestart: await getLastRestart() });
  });
  socket.on('message', (data) =>
    onHubMessage(data).catch((error) => console.error('sidecar: message failed', error)),
  );
  socket.on('error', () => {}); // 'close' follows every error
  socket.on('close', () => {
    if (leaving) return;
    // The hub went away (or never answered): retry with exponential backoff and jitter, up to 10 s.
    const delay = Math.round(backoffMs * (0.5 + Math.random() / 2));
    backoffMs = Math.min(backoffMs * 2, 10_000);
    setTimeout(connect, delay);
  });
}

// A restart that could not be carried out leaves this process running: rejoin the hub.
on('failed', () => {
  leaving = false;
  if (ws === null || ws.readyState === WebSocket.CLOSED) connect();
});

// Every exit says goodbye: pm2 stopping or restarting us (`pm2 restart`, `pm2 stop`, `pm2 reload`, kind
// 'shutdown') and the restarts pm2-self performs (the hub's request above, kind 'restart').
installShutdownHandler({
  beforeExit: ({ reason, kind, signal }) =>
    leaveHub({ reason: kind === 'shutdown' ? `pm2: ${reason}` : reason, signal }),
});
connect();
