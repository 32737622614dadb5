// The demo's app: reports what it learns about itself, and (in the fork app's first generation)
// asks for a restart in the middle of a task. In your app: import { ... } from 'pm2-self'.
import { appendFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import {
  exposeToPm2,
  getInfo,
  getProcessName,
  gracefulRestart,
  getDefaultPm2Self,
} from '../../dist/index.js';

const report = (event, data = {}) =>
  appendFile(
    process.env.DEMO_EVENTS,
    `${JSON.stringify({ at: Date.now(), pid: process.pid, event, ...data })}\n`,
  );
const self = getDefaultPm2Self();
exposeToPm2(); // operators: `pm2 trigger <app> pm2-self:restart`, `pm2-self restart <app>`

const info = await getInfo();
await report('identity', { name: await getProcessName(), info, lastRestart: await self.getLastRestart() });

if (process.env.DEMO_RESTART === '1' && info?.restarts === 0) {
  self.on('deferred', (e) => void report('deferred', { tasks: e.tasks }));
  // The exit follows this event synchronously: write the line synchronously too.
  self.on('restarting', (e) =>
    appendFileSync(
      process.env.DEMO_EVENTS,
      `${JSON.stringify({ at: Date.now(), pid: process.pid, event: 'restarting', strategy: e.strategy, why: e.why })}\n`,
    ),
  );
  const task = self.beginTask('import-batch');
  await report('task-begun', { task: 'import-batch' });
  setTimeout(async () => {
    const outcome = await gracefulRestart({
      reason: 'hub asked: update to v2',
      beforeExit: () => report('hook', { note: 'told the hub: restarting' }),
    });
    await report('restart-requested', { outcome });
  }, 1200);
  setTimeout(async () => {
    await report('task-ended', { task: 'import-batch' });
    task.end();
  }, 2500);
}

setInterval(() => {}, 60_000);
