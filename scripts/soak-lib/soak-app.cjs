'use strict';
/**
 * The sidecar app of the soak test (scripts/soak.mjs), run under pm2 as `soak-fork` (fork mode) and
 * `soak-cluster` (cluster mode, 2 instances). It uses the BUILT package (PM2_SELF_DIST) through the
 * process-wide default instance and appends one JSON line per event to SOAK_LOG with appendFile:
 *
 *   start     {name, pmId, instance, gen, startedAt, port, record}   record = getLastRestart()
 *   begin/end {id, ms}         a task (runTask), written INSIDE the task: a task is not over until
 *                              its end line is on disk, so a library restart can never lose it
 *   refused   {id}             runTask refused a task (a restart with refuseNewTasks is pending)
 *   req       {rid, status, strategy, code, why, phase, tasks}  the outcome of gracefulRestart()
 *   cancel    {rid, ok}        the result of clearPendingRestart()
 *   exitHook  {kind, reason, via}  a beforeExit hook ran (via: 'request' | 'shutdownHandler')
 *   sigint    {reason, coalesced}  pm2 asked the process to stop (SIGINT / 'shutdown' message)
 *   failed / cancelledEvent / hookFailed   restart events
 *
 * Control: a local HTTP port (printed in the start line), listened with `exclusive: true` so that
 * each cluster worker has its own: /restart?rid=N&refuse=0|1, /cancel?rid=N, /state, /quiesce.
 * Tasks: 5-200 ms each, started at random moments (~10/s, some overlapping) until quiesced
 * (/quiesce, or the SOAK_QUIESCE_FILE existing at start).
 */
const startedAt = Date.now();
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const http = require('node:http');

const env = process.env;
const LOG = env.SOAK_LOG;
const QUIESCE_FILE = env.SOAK_QUIESCE_FILE;
const lib = require(env.PM2_SELF_DIST);
const self = lib.getDefaultPm2Self();
const pid = process.pid;

const pending = new Set();
function append(fields) {
  const write = fsp
    .appendFile(LOG, `${JSON.stringify({ e: fields.e, pid, t: Date.now(), ...fields })}\n`)
    .catch(() => {});
  pending.add(write);
  write.finally(() => pending.delete(write));
  return write;
}
/** Every log write issued so far is on disk (hooks call this before the process exits). */
const flushed = () => Promise.allSettled([...pending]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------------
// Restart plumbing
// ------------------------------------------------------------------------------------------------
self.installShutdownHandler({
  refuseNewTasks: true,
  beforeExit: async (context) => {
    await flushed();
    await append({ e: 'exitHook', kind: context.kind, reason: context.reason, via: 'shutdownHandler' });
  },
});
self.on('requested', (event) => {
  if (event.kind === 'shutdown') append({ e: 'sigint', reason: event.reason, coalesced: event.coalesced });
});
self.on('failed', (event) =>
  append({ e: 'failed', reason: event.reason, cause: event.cause, message: event.message }),
);
self.on('cancelled', (event) => append({ e: 'cancelledEvent', reason: event.reason, cause: event.cause }));
self.on('hookFailed', (event) => append({ e: 'hookFailed', reason: event.reason, message: event.message }));

// ------------------------------------------------------------------------------------------------
// Tasks
// ------------------------------------------------------------------------------------------------
let generating = !fs.existsSync(QUIESCE_FILE);
let seq = 0;

function startTask() {
  const id = `${pid}:${++seq}`;
  const ms = 5 + Math.floor(Math.random() * 196);
  self
    .runTask(async () => {
      await append({ e: 'begin', id, ms });
      await sleep(ms);
      await append({ e: 'end', id });
    }, id)
    .catch((error) =>
      append(
        error && error.code === 'ERR_PM2SELF_NOT_ACCEPTING_TASKS'
          ? { e: 'refused', id }
          : { e: 'taskError', id, message: String(error) },
      ),
    );
}

function scheduleNext() {
  if (!generating) return;
  setTimeout(
    () => {
      if (!generating) return;
      startTask();
      if (Math.random() < 0.15) startTask(); // overlapping pairs
      scheduleNext();
    },
    20 + Math.floor(Math.random() * 130),
  );
}

// ------------------------------------------------------------------------------------------------
// Control
// ------------------------------------------------------------------------------------------------
function reply(res, body) {
  return new Promise((resolve) => {
    res.on('close', resolve);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body), resolve);
  });
}

async function onRestart(url, res) {
  const rid = url.searchParams.get('rid');
  const refuseNewTasks = url.searchParams.get('refuse') === '1';
  let markLogged;
  const logged = new Promise((resolve) => (markLogged = resolve));
  // The exit waits until this request's outcome is logged and answered.
  const hook = async (context) => {
    await logged;
    await flushed();
    await append({ e: 'exitHook', kind: context.kind, reason: context.reason, via: 'request', rid });
  };
  let outcome;
  try {
    outcome = await self.gracefulRestart({ reason: `soak-${rid}`, refuseNewTasks, beforeExit: hook });
  } catch (error) {
    outcome = { status: 'error', message: String(error) };
  }
  await append({
    e: 'req',
    rid,
    status: outcome.status,
    strategy: outcome.strategy && outcome.strategy.type,
    code: outcome.code,
    why: outcome.why,
    phase: outcome.phase,
    tasks: outcome.tasks,
  });
  await reply(res, { pid, ...outcome });
  markLogged();
}

async function onCancel(url, res) {
  const rid = url.searchParams.get('rid');
  const ok = self.clearPendingRestart();
  await append({ e: 'cancel', rid, ok });
  await reply(res, { pid, ok });
}

async function onQuiesce(res) {
  generating = false;
  while (self.restartState.tasks > 0) await sleep(20);
  await flushed();
  await reply(res, { pid, tasks: self.restartState.tasks, phase: self.restartState.phase });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url || '/', 'http://localhost');
  const route = url.pathname;
  const done =
    route === '/restart'
      ? onRestart(url, res)
      : route === '/cancel'
        ? onCancel(url, res)
        : route === '/quiesce'
          ? onQuiesce(res)
          : route === '/state'
            ? reply(res, {
                pid,
                name: env.name,
                pmId: Number(env.pm_id),
                phase: self.restartState.phase,
                tasks: self.restartState.tasks,
                generating,
              })
            : reply(res, { error: 'not found' });
  done.catch((error) => append({ e: 'controlError', route, message: String(error) }));
});

server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, async () => {
  const record = await self.getLastRestart().catch((error) => ({ error: String(error) }));
  await append({
    e: 'start',
    name: env.name,
    pmId: Number(env.pm_id),
    instance: env.NODE_APP_INSTANCE ?? null,
    gen: Number(env.restart_time),
    startedAt,
    port: server.address().port,
    record,
  });
  scheduleNext();
});
