/**
 * A sidecar whose reason to live is its WebSocket connection to a hub. When the hub connection has
 * been dead for a minute (closed and not coming back, or open but no longer answering pings), the
 * sidecar restarts itself gracefully: running tasks finish, and the next generation reads why.
 *
 * Environment: HUB_URL (required), e.g. ws://127.0.0.1:8080; UNHEALTHY_FOR_MS (default 60000) and
 * CHECK_EVERY_MS (default 5000).
 *
 *   HUB_URL=ws://127.0.0.1:8080 pm2 start examples/healing/hub-health.mjs
 */
import WebSocket from 'ws';
import { getLastRestart, on, restartWhen } from 'pm2-self';

const HUB_URL = process.env.HUB_URL;
if (!HUB_URL) {
  console.error('hub-health: HUB_URL is not set');
  process.exit(78); // EX_CONFIG
}

let hub = null;

function connect() {
  hub = new WebSocket(HUB_URL);
  hub.on('error', () => {}); // 'close' follows
  hub.on('close', () => setTimeout(connect, 1_000));
}

/** True once the hub answers a ping; a hub that never answers leaves it pending (checkTimeoutMs). */
function hubAnswers() {
  const socket = hub;
  if (socket?.readyState !== WebSocket.OPEN) return false;
  return new Promise((resolve) => {
    socket.once('pong', () => resolve(true));
    socket.ping();
  });
}

restartWhen({
  healthCheck: hubAnswers, // true: healthy; false, a throw or no answer: failing
  unhealthyForMs: Number(process.env.UNHEALTHY_FOR_MS ?? 60_000),
  checkEveryMs: Number(process.env.CHECK_EVERY_MS ?? 5_000),
  checkTimeoutMs: 2_000, // a check still pending after this counts as failing
});
on('unhealthy', ({ error }) => console.warn(`hub-health: hub unhealthy (${error})`));
on('healthy', ({ failedForMs }) => console.log(`hub-health: hub back after ${failedForMs} ms`));

const last = await getLastRestart();
if (last !== null) console.log(`hub-health: restarted because ${last.reason}`);
connect();
