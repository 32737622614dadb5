// A sidecar under pm2: it runs the tasks a hub sends over a WebSocket and restarts when the hub asks.
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { getInfo, getLastRestart, gracefulRestart, installShutdownHandler, on, tryBeginTask } from 'pm2-self';

let hub; // the current connection to the hub
const send = (message) => {
  if (hub?.readyState === WebSocket.OPEN) hub.send(JSON.stringify(message));
};

// The hook run before any exit (ours or pm2's): tell the hub, close with 1012 ("service restart").
function leaveHub({ reason, signal }) {
  const socket = hub;
  hub = undefined; // leaving on purpose: no reconnect
  if (socket?.readyState !== WebSocket.OPEN) return;
  return new Promise((resolve) => {
    socket.once('close', resolve); // the hub has everything sent before the close
    signal.addEventListener('abort', () => socket.terminate()); // the hooks' time budget ran out
    socket.send(JSON.stringify({ type: 'restarting', reason }));
    socket.close(1012, 'restarting');
  });
}

async function runHubTask({ id, ms }) {
  const task = tryBeginTask(`task ${id}`);
  if (task === null) return send({ type: 'task-refused', id }); // a restart is under way: hand it back
  try {
    await sleep(ms); // the real work goes here
    send({ type: 'task-done', id });
  } finally {
    task.end();
  }
}

async function onMessage(data) {
  const message = JSON.parse(String(data));
  if (message.type === 'task') await runHubTask(message);
  if (message.type === 'restart') {
    const outcome = await gracefulRestart({
      reason: String(message.reason || 'hub request').slice(0, 200),
      refuseNewTasks: true, // tasks that arrive while it waits are refused
      beforeExit: leaveHub,
    });
    // An object: { status: 'deferred', tasks: 1 }, { status: 'restarting', strategy, why },
    // { status: 'refused', code, why } (the process keeps running), ...
    if (outcome.status === 'refused') console.error(`restart refused: ${outcome.why}`);
    send({ type: 'restart-ack', outcome });
  }
}

function connect() {
  const socket = new WebSocket(process.env.HUB_URL);
  hub = socket;
  socket.on('open', async () => {
    // Who am I (name, pm_id, instance, restarts, ...) and why did my previous process end?
    send({ type: 'identify', info: await getInfo(), lastRestart: await getLastRestart() });
  });
  socket.on('message', (data) => onMessage(data).catch((error) => console.error('message failed:', error)));
  socket.on('error', () => {}); // 'close' follows
  socket.on('close', () => {
    if (hub === socket) setTimeout(connect, 1000); // the hub went away: try again
  });
}

on('deferred', ({ reason, tasks }) => console.log(`restart "${reason}" waits for ${tasks} task(s)`));
on('exiting', ({ signal }) => console.log(`pm2 stops this process (${signal})`));
on('failed', ({ message }) => {
  console.error(`restart failed, still running: ${message}`);
  if (hub === undefined) connect(); // rejoin the hub
});

// pm2 stop / restart / reload: running tasks finish (within kill_timeout), then leaveHub runs.
installShutdownHandler({ refuseNewTasks: true, beforeExit: leaveHub });
connect();
