/**
 * A worker under pm2 that can be restarted gracefully from the pm2 CLI:
 *
 *   pm2 trigger pm2-trigger graceful-restart              # reason "pm2 trigger"
 *   pm2 trigger pm2-trigger graceful-restart "new config" # reason "new config"
 *
 * The action (pm2's own `tx2` package) calls gracefulRestart and replies with the outcome, which the
 * CLI prints. `pm2 show pm2-trigger` / `pm2 monit` show two metrics: `tasks running` and
 * `restart pending`.
 *
 * The work: one job after another (JOB_MS each, default 1500), so a restart is always deferred
 * until the current job ends; new jobs are refused once a restart is pending.
 */
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { getDefaultPm2Self, gracefulRestart, isPm2SelfError } from 'pm2-self';

const require = createRequire(import.meta.url);
const tx2 = require('tx2');

const JOB_MS = Number(process.env.JOB_MS) > 0 ? Number(process.env.JOB_MS) : 1500;
const self = getDefaultPm2Self();

// Metrics: pm2 receives them about once a second (tx2 pushes every 990 ms).
let running = 0;
tx2.metric({ name: 'tasks running', value: () => running });
const restartPending = tx2.metric({ name: 'restart pending', value: false });

self.on('requested', ({ reason }) => {
  restartPending.set(true);
  console.log(`restart requested: ${reason}`);
});
self.on('deferred', ({ tasks }) => console.log(`restart deferred: waiting for ${tasks} task(s)`));
self.on('restarting', ({ strategy }) => console.log(`restarting now (${strategy.type})`));
/** @param {string} what */
const restartDropped = (what) => {
  restartPending.set(false);
  console.log(`restart ${what}`);
  void workLoop(); // the loop stopped when new tasks were refused
};
self.on('cancelled', (event) => restartDropped(`cancelled: ${event.cause}`));
self.on('failed', (event) => restartDropped(`failed: ${event.message}`));

async function job(n) {
  running++;
  try {
    await sleep(JOB_MS);
    console.log(`job ${n} done`);
  } finally {
    running--;
  }
}

let jobs = 0;
async function workLoop() {
  for (;;) {
    try {
      const n = ++jobs;
      await self.runTask(() => job(n), `job ${n}`);
    } catch (error) {
      if (isPm2SelfError(error, 'ERR_PM2SELF_NOT_ACCEPTING_TASKS')) return; // a restart is pending
      throw error;
    }
  }
}

/** Resolves once every IPC message sent before this call (e.g. the action's reply) has been written. */
function ipcFlushed() {
  return new Promise((resolve) =>
    process.send ? process.send({ type: 'pm2-trigger:flush' }, () => resolve()) : resolve(),
  );
}

// Two parameters: pm2 passes the optional `pm2 trigger ... <param>` as the first one.
tx2.action('graceful-restart', (param, reply) => {
  const reason = typeof param === 'string' && param.trim() !== '' ? param.slice(0, 200) : 'pm2 trigger';
  let replied;
  const replySent = new Promise((resolve) => (replied = resolve));
  gracefulRestart({
    reason,
    refuseNewTasks: true,
    deadlineMs: 60_000,
    // Do not exit before the CLI has its answer.
    beforeExit: async () => {
      await replySent;
      await ipcFlushed();
    },
  }).then(
    (outcome) => {
      if (outcome.status === 'refused') restartPending.set(false);
      reply({ outcome });
      replied();
    },
    (error) => {
      reply({ error: String(error?.message ?? error) });
      replied();
    },
  );
});

const last = await self.getLastRestart();
console.log(
  `pm2-trigger: pid ${process.pid}, jobs of ${JOB_MS} ms; last restart: ${last ? `"${last.reason}" (${last.initiator}, pid ${last.previousPid})` : 'none'}`,
);
void workLoop();
