// A worker under pm2, in strict TypeScript: jobs run as tasks, a restart waits for them, and pm2's own
// stop drains them too. Every value pm2-self hands back is typed.
import {
  getInfo,
  gracefulRestart,
  installShutdownHandler,
  on,
  runTask,
  type HookContext,
  type Pm2Info,
  type RestartOutcome,
} from 'pm2-self';

interface Job {
  readonly id: string;
  readonly ms: number;
}

async function work(job: Job): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, job.ms)); // the real work goes here
  return `job ${job.id} done`;
}

// A job is a task: a restart (ours or pm2's) waits until it ends.
export function runJob(job: Job): Promise<string> {
  return runTask(() => work(job), `job ${job.id}`);
}

// The hook run before any exit: it gets the reason and a signal aborted when its time is up.
async function sayGoodbye({ reason, kind, signal }: HookContext): Promise<void> {
  if (signal.aborted) return;
  console.log(`leaving (${kind}): ${reason}`);
}

export async function restartForDeploy(version: string): Promise<RestartOutcome> {
  const outcome = await gracefulRestart({
    reason: `deploy ${version}`,
    refuseNewTasks: true,
    deadlineMs: 60_000,
    beforeExit: sayGoodbye,
  });
  if (outcome.status === 'refused') console.error(`restart refused (${outcome.code}): ${outcome.why}`);
  if (outcome.status === 'deferred') console.log(`restart deferred: ${outcome.tasks} task(s) running`);
  return outcome;
}

export async function describeSelf(): Promise<string> {
  const info: Pm2Info | null = await getInfo();
  return info === null ? 'not under pm2' : `${info.name} #${info.pmId} (restarts: ${info.restarts ?? '?'})`;
}

on('restarting', (event) => console.log(`restarting: ${event.reason}`));
installShutdownHandler({ refuseNewTasks: true, beforeExit: sayGoodbye });
