'use strict';
/**
 * The app of test/pm2/shutdown-budget.test.ts. It loads the BUILT package from PM2_SELF_DIST and
 * appends one JSON line per event to EVENTS_FILE: { pid, gen, event, at, ...data }, `gen` being pm2's
 * `restart_time` of this generation.
 *
 * SCENARIO (in every generation):
 * - long-task:    installShutdownHandler() with an async hook `sayGoodbye` (it waits 50 ms, then records
 *                 `goodbye`), and one task of 6 s begun at start.
 * - hanging-hook: installShutdownHandler() with a hook `hangs` that never settles, then a hook
 *                 `second` that records `second-hook`.
 * - exit-on-sigint: process.on('SIGINT', () => process.exit(0)), then installShutdownHandler().
 * - misspelt-key: gracefulRestart({ refuseNewTask: true }); records `threw` or `resolved`.
 * - noauto-restart: installShutdownHandler({ beforeExit: sayGoodbye }); generation 0 then asks
 *                 gracefulRestart({ reason: 'deploy' }) (run with autorestart: false, so the daemon
 *                 restarts it and sends its one SIGINT).
 * - restart-goodbye: installShutdownHandler({ beforeExit: sayGoodbye }); generation 0 then asks
 *                 gracefulRestart({ reason: 'deploy' }) with no hook of its own.
 * - health-goodbye: installShutdownHandler({ beforeExit: sayGoodbye }) and restartWhen() with a health
 *                 check that fails in generation 0 (unhealthyForMs 1000, checked every 250 ms).
 * - pm2-during-goodbye: installShutdownHandler({ beforeExit: slowGoodbye }); generation 0 then asks
 *                 gracefulRestart({ reason: 'deploy' }). slowGoodbye records `goodbye-start` and waits
 *                 60 s, within hooksTimeoutMs 60000 (the test runs `pm2 restart` meanwhile). Every generation records `last-restart`
 *                 with getLastRestart().
 * sayGoodbye waits 50 ms, then records `goodbye` with the hook's `reason` and `kind`.
 * Warnings (process.emitWarning) are recorded as `warning` with their code and message.
 */
const fs = require('node:fs');

const env = process.env;
const gen = env.restart_time ?? null;
const record = (event, data = {}) =>
  fs.appendFileSync(
    env.EVENTS_FILE,
    `${JSON.stringify({ pid: process.pid, gen, event, at: Date.now(), ...data })}\n`,
  );
process.on('warning', (warning) => record('warning', { code: warning.code, message: warning.message }));

const lib = require(env.PM2_SELF_DIST);
const self = lib.getDefaultPm2Self();
for (const name of lib.RESTART_EVENT_NAMES) self.on(name, (detail) => record(name, { detail }));
process.on('exit', (code) => record('exit', { code }));
setInterval(() => undefined, 60_000);

async function sayGoodbye({ reason, kind }) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  record('goodbye', { reason, kind });
}

const scenarios = {
  'long-task'() {
    self.installShutdownHandler({ beforeExit: sayGoodbye });
    void self.runTask(() => new Promise((resolve) => setTimeout(resolve, 6_000)), 'six-seconds');
    record('task-begun');
  },
  'hanging-hook'() {
    self.installShutdownHandler({
      beforeExit: [
        function hangs() {
          return new Promise(() => undefined);
        },
        function second() {
          record('second-hook');
        },
      ],
    });
  },
  'exit-on-sigint'() {
    process.on('SIGINT', () => process.exit(0));
    self.installShutdownHandler();
  },
  'noauto-restart'() {
    self.installShutdownHandler({ beforeExit: sayGoodbye });
    if (gen === '0') void self.gracefulRestart({ reason: 'deploy' });
  },
  'restart-goodbye'() {
    self.installShutdownHandler({ beforeExit: sayGoodbye });
    if (gen === '0') void self.gracefulRestart({ reason: 'deploy' });
  },
  'health-goodbye'() {
    self.installShutdownHandler({ beforeExit: sayGoodbye });
    self.restartWhen({ healthCheck: () => gen !== '0', unhealthyForMs: 1_000, checkEveryMs: 250 });
  },
  'pm2-during-goodbye'() {
    const slowGoodbye = async ({ reason, kind }) => {
      record('goodbye-start', { reason, kind });
      await new Promise((resolve) => setTimeout(resolve, 60_000));
    };
    self.installShutdownHandler({ beforeExit: slowGoodbye, hooksTimeoutMs: 60_000 });
    void self.getLastRestart().then((last) => {
      record('last-restart', { last });
      if (gen === '0') void self.gracefulRestart({ reason: 'deploy' });
    });
  },
  'misspelt-key'() {
    try {
      self.gracefulRestart({ refuseNewTask: true }).then(
        (outcome) => record('resolved', { outcome }),
        (error) => record('threw', { name: error.name, message: error.message }),
      );
    } catch (error) {
      record('threw', { name: error.name, message: error.message });
    }
  },
};
const run = scenarios[env.SCENARIO];
if (!run) throw new Error(`unknown SCENARIO ${env.SCENARIO}`);
run();
record('started');
