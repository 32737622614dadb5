/**
 * A worker under pm2 that operators can restart gracefully from the shell:
 *
 *   pm2 trigger pm2-trigger pm2-self:restart                # reason "pm2 trigger"
 *   pm2 trigger pm2-trigger pm2-self:restart "new config"   # reason "new config"
 *   npx pm2-self restart pm2-trigger --reason "new config"  # waits until it is back
 *   npx pm2-self status                                     # restart state, tasks, last reason
 *
 * One call, exposeToPm2(), registers the actions and the metrics (`pm2 show pm2-trigger`,
 * `pm2 monit`): no tx2, no @pm2/io. The reply reaches the CLI before the process exits.
 *
 * The work: one job after another (JOB_MS each, default 1500), so a restart is always deferred
 * until the current job ends; new jobs are refused once a restart is pending.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { exposeToPm2, getLastRestart, on, tryBeginTask } from 'pm2-self';

const JOB_MS = Number(process.env.JOB_MS) > 0 ? Number(process.env.JOB_MS) : 1500;

// At start-up, in every generation: pm2 forgets a process's actions when it exits.
exposeToPm2({ refuseNewTasks: true });

on('requested', ({ reason }) => console.log(`restart requested: ${reason}`));
on('deferred', ({ tasks }) => console.log(`restart deferred: waiting for ${tasks} task(s)`));
on('restarting', ({ strategy }) => console.log(`restarting now (${strategy.type})`));
/** @param {string} what */
const restartDropped = (what) => {
  console.log(`restart ${what}`);
  void workLoop(); // the loop stopped when new tasks were refused
};
on('cancelled', (event) => restartDropped(`cancelled: ${event.cause}`));
on('failed', (event) => restartDropped(`failed: ${event.message}`));

let jobs = 0;
async function workLoop() {
  for (;;) {
    const n = ++jobs;
    const task = tryBeginTask(`job ${n}`);
    if (task === null) return; // a restart is pending: no new job
    try {
      await sleep(JOB_MS);
      console.log(`job ${n} done`);
    } finally {
      task.end();
    }
  }
}

const last = await getLastRestart();
console.log(
  `pm2-trigger: pid ${process.pid}, jobs of ${JOB_MS} ms; last restart: ${last ? `"${last.reason}" (${last.initiator}, pid ${last.previousPid})` : 'none'}`,
);
void workLoop();
