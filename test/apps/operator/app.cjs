'use strict';
/**
 * The app of the operator tests (test/pm2/operator-*.test.ts): loads the BUILT package from
 * PM2_SELF_DIST, calls exposeToPm2() at start-up (unless EXPOSE=0) and appends one JSON line per event
 * to EVENTS_FILE: { pid, gen, instance, event, at, ...data }, with `started` first and `exit` last.
 *
 * - TASK_MS: when set, runs back-to-back tasks of that length (so a restart is always deferred).
 * - TX2=1: also registers a tx2 action `tx2:ping` and a tx2 metric, to show both coexist.
 * - CLOSE_CHANNEL=before|after: disconnects the IPC channel before exposeToPm2(), or 200 ms after it
 *   (run with pmx: false: pm2's injected @pm2/io exits an app whose channel closes).
 * - READY=1: sends process.send('ready') READY_DELAY_MS (default 300) after start (for wait_ready),
 *   recording `ready-sent`.
 * - NO_TURNS=1: uses its own instance with maxUnavailable Infinity (no turns among the instances).
 * - BROKEN_AFTER_MS: a broken release: every generation after the first exits with code 1 that long
 *   after its start.
 */
const startedAt = Date.now();
const fs = require('node:fs');

const env = process.env;
const eventsFile = env.EVENTS_FILE;
if (!eventsFile || !env.PM2_SELF_DIST) throw new Error('EVENTS_FILE and PM2_SELF_DIST are required');
const record = (event, data = {}) =>
  fs.appendFileSync(
    eventsFile,
    `${JSON.stringify({ pid: process.pid, gen: env.restart_time ?? null, instance: env.NODE_APP_INSTANCE ?? null, event, at: Date.now(), ...data })}\n`,
  );
record('started', { at: startedAt, hasChannel: typeof process.send === 'function' });
process.on('exit', (code) => record('exit', { code }));

const lib = require(env.PM2_SELF_DIST);
// NO_TURNS=1: an instance that takes no turns (maxUnavailable Infinity), so only the rollout paces it.
const self = env.NO_TURNS === '1' ? lib.createPm2Self({ maxUnavailable: Infinity }) : lib.getDefaultPm2Self();
for (const name of ['requested', 'deferred', 'cancelled', 'draining', 'restarting', 'refused', 'failed']) {
  self.on(name, (detail) => record(name, { detail }));
}

const disconnect = () => {
  process.disconnect?.();
  record('disconnected', { connected: process.connected });
};
if (env.CLOSE_CHANNEL === 'before') disconnect();

if (env.TX2 === '1') {
  const tx2 = require('tx2');
  tx2.action('tx2:ping', (reply) => reply({ pong: process.pid }));
  tx2.metric({ name: 'tx2 metric', value: () => 42 });
}

if (env.EXPOSE !== '0') {
  const debugLines = [];
  self.exposeToPm2({ refuseNewTasks: false, debug: (line) => debugLines.push(line) });
  record('exposed', { debug: debugLines });
}
if (env.CLOSE_CHANNEL === 'after') setTimeout(disconnect, 200);

if (env.TASK_MS) {
  const ms = Number(env.TASK_MS);
  const loop = async () => {
    for (;;) {
      const task = self.beginTask('job');
      await new Promise((resolve) => setTimeout(resolve, ms));
      task.end();
      record('task-ended');
      if (self.hasPendingRestart()) return;
    }
  };
  void loop();
}

if (env.BROKEN_AFTER_MS && env.restart_time !== '0')
  setTimeout(() => process.exit(1), Number(env.BROKEN_AFTER_MS));

if (env.READY === '1')
  setTimeout(
    () => {
      record('ready-sent');
      process.send?.('ready');
    },
    Number(env.READY_DELAY_MS ?? 300),
  );

setInterval(() => {}, 60_000);
