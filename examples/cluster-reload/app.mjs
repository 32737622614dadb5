/**
 * A pm2 cluster app (2 instances) that loses no task across `pm2 reload`.
 *
 * pm2's reload starts a new worker, then sends SIGINT to the old one and SIGKILLs it after
 * `kill_timeout`. `installShutdownHandler({ refuseNewTasks: true })` turns that SIGINT into a drain:
 * tasks already running finish, new ones are refused, then the worker exits, within kill_timeout.
 *
 * Each worker starts tasks on a timer (TASK_EVERY_MS, random length between 400 and 1200 ms) and
 * writes one line per step to TASK_LOG: `<pid> begin <id>`, `<pid> end <id>`, `<pid> refused`,
 * `<pid> shutdown <signal>`, `<pid> deferred <tasks>`, `<pid> exit <code>`. It also serves
 * `GET /` on PORT (the cluster's shared port) with its pid and task count.
 */
import { appendFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  getDefaultPm2Self,
  getInfo,
  installShutdownHandler,
  isPm2SelfError,
  on,
  restartWhen,
  runTask,
} from 'pm2-self';

const TASK_LOG = process.env.TASK_LOG || join(tmpdir(), 'pm2-self-cluster-reload.log');
const TASK_EVERY_MS = Number(process.env.TASK_EVERY_MS) > 0 ? Number(process.env.TASK_EVERY_MS) : 250;
const PORT = Number(process.env.PORT || 8788);

const self = getDefaultPm2Self(); // for its restartState, shown on GET /
// Small appends to an O_APPEND file are atomic: both workers share one log.
// A failed write is reported, never left as an unhandled rejection (that would crash under pmx: false).
const log = (line) =>
  appendFile(TASK_LOG, `${process.pid} ${line}\n`).catch((error) =>
    console.error(`task log: ${error.message}`),
  );

const server = createServer((_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(
    JSON.stringify({
      pid: process.pid,
      instance: process.env.NODE_APP_INSTANCE,
      tasks: self.restartState.tasks,
      phase: self.restartState.phase,
    }),
  );
});

let counter = 0;
let ticker = null;
function startOneTask() {
  const id = `${process.pid}-${++counter}`;
  const ms = 400 + Math.floor(Math.random() * 800);
  // Logging happens inside the task: a begun task is counted, and it ends only after its 'end' is on disk.
  runTask(async () => {
    await log(`begin ${id}`);
    await sleep(ms);
    await log(`end ${id}`);
  }, id).catch((error) => {
    // Every rejection is handled here: under `pmx: false` an unhandled one would crash the worker.
    if (!isPm2SelfError(error, 'ERR_PM2SELF_NOT_ACCEPTING_TASKS')) return console.error('task failed', error);
    clearInterval(ticker); // pm2 is stopping this worker: no new work
    void log('refused');
  });
}

on('requested', ({ kind, reason }) => {
  if (kind !== 'shutdown') return;
  void log(`shutdown ${reason}`); // `pm2 SIGINT`: what pm2 sent
  server.close(); // stop taking connections at once; the cluster routes new ones to the other workers
});
on('deferred', ({ tasks }) => void log(`deferred ${tasks}`));
on('hookFailed', ({ message }) => void log(`hook-failed ${message}`));
process.on('exit', (code) => appendFileSync(TASK_LOG, `${process.pid} exit ${code}\n`)); // only sync work runs here

installShutdownHandler({ refuseNewTasks: true });

// A graceful memory and uptime limit instead of pm2's max_memory_restart; the instances take turns.
restartWhen({
  rssAboveBytes: 512 * 1024 * 1024, // or heapUsedAboveBytes
  sustainedForMs: 30_000, // the limit must hold this long, not one sample (default 30 s)
  maxUptimeMs: 6 * 3_600_000,
  jitterMs: 10 * 60_000, // a random offset per process, so instances do not go together
  deadlineMs: 60_000, // and any other option of gracefulRestart
});

server.listen(PORT, () => {
  ticker = setInterval(startOneTask, TASK_EVERY_MS);
  void getInfo().then((info) => log(`start instance ${info?.instance} restarts ${info?.restarts}`));
});
