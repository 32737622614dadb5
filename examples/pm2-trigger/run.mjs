/**
 * npm run example:pm2-trigger
 *
 * Starts the worker under a private pm2 daemon, shows its metrics, runs the real
 * `pm2 trigger pm2-trigger graceful-restart "new config"` and waits for the new process. The daemon
 * is always killed at the end (also on Ctrl+C).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { createNarrator, guard, startPrivatePm2 } from '../_support/private-pm2.mjs';

const say = createNarrator();
const ecosystem = join(import.meta.dirname, 'ecosystem.config.cjs');
const pm2 = await startPrivatePm2({ prefix: 'pm2-self-example-pm2-trigger-' });

const app = (list) => list.find((p) => p.name === 'pm2-trigger');
const metrics = (entry) => {
  const monitor = entry?.pm2_env.axm_monitor ?? {};
  return `tasks running=${monitor['tasks running']?.value}, restart pending=${monitor['restart pending']?.value}`;
};

await guard(
  async () => {
    await pm2.pm2(['start', ecosystem]);
    say(`pm2 start pm2-trigger (private daemon, PM2_HOME=${pm2.home})`);
    const before = app(
      await pm2.waitFor((list) => app(list)?.pm2_env.axm_monitor?.['tasks running'] !== undefined),
    );
    say(`online: pid ${before.pid}, restarts ${before.pm2_env.restart_time}; metrics: ${metrics(before)}`);
    const show = await pm2.pm2(['show', 'pm2-trigger'], { silent: false });
    for (const line of show.split('\n').filter((l) => /tasks running|restart pending/.test(l)))
      say(`pm2 show: ${line.trim()}`);

    say('$ pm2 trigger pm2-trigger graceful-restart "new config"');
    const output = await pm2.pm2(['trigger', 'pm2-trigger', 'graceful-restart', 'new config'], {
      silent: false,
    });
    for (const line of stripVTControlCharacters(output).trim().split('\n')) say(`  ${line}`);

    const after = app(
      await pm2.waitFor(
        (list) => app(list)?.pm2_env.status === 'online' && app(list).pid !== before.pid && app(list).pid > 0,
      ),
    );
    say(
      `new pid ${after.pid} (was ${before.pid}), restarts ${before.pm2_env.restart_time} -> ${after.pm2_env.restart_time}`,
    );
    const settled = app(
      await pm2.waitFor(
        (list) =>
          app(list)?.pm2_env.axm_monitor?.['restart pending']?.value === false && app(list).pid === after.pid,
      ),
    );
    say(`metrics of the new process: ${metrics(settled)}`);
    say("the app's own log:");
    const log = await readFile(join(pm2.home, 'logs', 'pm2-trigger-out.log'), 'utf8');
    for (const line of log.trim().split('\n')) say(`  ${line}`);
  },
  async () => {
    await pm2.dispose();
    say('private pm2 daemon killed');
  },
);
