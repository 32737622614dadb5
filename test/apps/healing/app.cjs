/**
 * The app of the real-pm2 healing suite (test/pm2/policy-healing.test.ts). Every generation appends
 * JSON lines to EVENTS_FILE: `started` (with getLastRestart()), every pm2-self event, `task-ended` and
 * `exit`. SCENARIO (generation 0 misbehaves; later generations stay healthy and idle):
 * - health-task:  restartWhen({ healthCheck, unhealthyForMs: 1500 }); a task of TASK_MS (5000) from the
 *                 start; the check returns false from 1 s after the start.
 * - health-hang:  the same check never settles from 1 s after the start (checkTimeoutMs 300); no task.
 * - blocked:      restartWhen({ eventLoopBlockedForMs: 3000 }); a task from the start; `for (;;) {}` in
 *                 spin() 1.5 s after the start. SHUTDOWN_HANDLER=1 installs the shutdown handler first.
 * - busy:         restartWhen({ eventLoopBlockedForMs: 3000, healthCheck }) (in every generation): for
 *                 BUSY_MS (60000) the loop is blocked 2500 ms at a time (Atomics.wait: no CPU), with a
 *                 short turn between blocks; then `busy-done` with the health seen. Exposed to pm2.
 */
const startedAt = Date.now();
const fs = require('node:fs');

const env = process.env;
const scenario = env.SCENARIO;
const gen = env.restart_time ?? null;
const record = (event, data = {}) =>
  fs.appendFileSync(
    env.EVENTS_FILE,
    `${JSON.stringify({ pid: process.pid, gen, event, at: Date.now(), ...data })}\n`,
  );
const number = (name, fallback) => (env[name] === undefined ? fallback : Number(env[name]));

const lib = require(env.PM2_SELF_DIST);
for (const name of lib.RESTART_EVENT_NAMES) lib.on(name, (detail) => record(name, { detail }));
process.on('exit', (code) => record('exit', { code }));
setInterval(() => {}, 60_000);

const misbehaves = gen === '0';
const sinceStart = () => Date.now() - startedAt;

const scenarios = {
  'health-task'() {
    lib.restartWhen({
      healthCheck: () => !misbehaves || sinceStart() < 1000,
      unhealthyForMs: 1500,
      checkEveryMs: 200,
    });
    if (!misbehaves) return;
    const task = lib.beginTask('job');
    setTimeout(
      () => {
        record('task-ended');
        task.end();
      },
      number('TASK_MS', 5000),
    );
  },
  'health-hang'() {
    lib.restartWhen({
      healthCheck: () => (!misbehaves || sinceStart() < 1000 ? true : new Promise(() => {})),
      unhealthyForMs: 1500,
      checkEveryMs: 200,
      checkTimeoutMs: 300,
    });
  },
  blocked() {
    if (env.SHUTDOWN_HANDLER === '1') lib.installShutdownHandler();
    lib.restartWhen({ eventLoopBlockedForMs: 3000 });
    if (!misbehaves) return;
    lib.beginTask('job');
    setTimeout(function spin() {
      record('blocking');
      for (;;) {
        // spin: the event loop never turns again
      }
    }, 1500);
  },
  busy() {
    lib.exposeToPm2();
    lib.restartWhen({ eventLoopBlockedForMs: 3000, healthCheck: () => true, checkEveryMs: 1000 });
    const cell = new Int32Array(new SharedArrayBuffer(4));
    let blocks = 0;
    const block = () => {
      if (sinceStart() >= number('BUSY_MS', 60_000)) {
        record('busy-done', { blocks, health: lib.getHealth() });
        return;
      }
      Atomics.wait(cell, 0, 0, 2500);
      blocks += 1;
      setTimeout(block, 50);
    };
    setTimeout(block, 500);
  },
};

async function main() {
  record('started', { startedAt, lastRestart: await lib.getLastRestart() });
  const run = scenarios[scenario];
  if (!run) throw new Error(`unknown SCENARIO ${scenario}`);
  run();
  setInterval(() => record('health', { health: lib.getHealth() }), 500).unref();
}

void main();
