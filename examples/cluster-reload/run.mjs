/**
 * npm run example:cluster-reload
 *
 * Starts the 2-instance cluster app under a private pm2 daemon, lets both workers run tasks, runs
 * `pm2 reload cluster-reload`, and checks the task log: every task an old worker began, it also
 * finished. The daemon is always killed at the end (also on Ctrl+C).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNarrator, freePort, guard, startPrivatePm2 } from '../_support/private-pm2.mjs';
import { lostTasks, readTaskLog } from './tasks-log.mjs';

const say = createNarrator();
const ecosystem = join(import.meta.dirname, 'ecosystem.config.cjs');
const pm2 = await startPrivatePm2({ prefix: 'pm2-self-example-cluster-reload-' });
const taskLog = join(pm2.home, 'tasks.log');
const port = await freePort();

const workers = (list) => list.filter((p) => p.name === 'cluster-reload');
const allOnline = (list, exclude = []) =>
  workers(list).length === 2 &&
  workers(list).every((p) => p.pm2_env.status === 'online' && p.pid > 0 && !exclude.includes(p.pid));

await guard(
  async () => {
    await pm2.pm2(['start', ecosystem], { env: { TASK_LOG: taskLog, PORT: String(port) } });
    const before = workers(await pm2.waitFor((list) => allOnline(list)));
    const oldPids = before.map((p) => p.pid);
    say(`pm2 start cluster-reload: 2 workers, pids ${oldPids.join(' and ')}, sharing port ${port}`);
    for (let i = 0; i < 4; i++) {
      const answer = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.json());
      say(`GET / -> worker pid ${answer.pid}, ${answer.tasks} task(s) running`);
    }
    await sleep(1500);

    say('$ pm2 reload cluster-reload');
    await pm2.pm2(['reload', 'cluster-reload']);
    const after = workers(await pm2.waitFor((list) => allOnline(list, oldPids)));
    say(`reload done: new pids ${after.map((p) => p.pid).join(' and ')}`);
    // The old workers may still be draining when pm2 reports the reload done: wait for their exit lines.
    for (let i = 0; i < 100; i++) {
      const log = await readTaskLog(taskLog);
      if (oldPids.every((pid) => log.get(pid)?.lines.some((l) => l.startsWith('exit')))) break;
      await sleep(100);
    }

    const log = await readTaskLog(taskLog);
    let lost = 0;
    for (const pid of oldPids) {
      const entry = log.get(pid);
      const missing = lostTasks(entry);
      lost += missing.length;
      const steps = entry.lines.filter(
        (l) => !l.startsWith('begin') && !l.startsWith('end') && !l.startsWith('start'),
      );
      say(
        `old worker ${pid}: ${entry.begun.length} tasks begun, ${entry.ended.length} ended; ${steps.join(', ')}${missing.length ? `; LOST: ${missing.join(', ')}` : ''}`,
      );
    }
    for (const p of after)
      say(`new worker ${p.pid}: ${log.get(p.pid)?.begun.length ?? 0} tasks begun so far`);
    if (lost > 0) throw new Error(`${lost} task(s) lost across the reload`);
    say('no task lost across the reload');
  },
  async () => {
    await pm2.dispose();
    say('private pm2 daemon killed');
  },
);
