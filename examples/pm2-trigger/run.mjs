/**
 * npm run example:pm2-trigger
 *
 * Starts the worker under a private pm2 daemon, shows its metrics, runs the real
 * `pm2 trigger pm2-trigger pm2-self:restart "new config"`, waits for the new process, then restarts it
 * once more with the package's own command, `pm2-self restart pm2-trigger`, and shows `pm2-self status`.
 * The daemon is always killed at the end (also on Ctrl+C).
 */
import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { createNarrator, guard, startPrivatePm2 } from '../_support/private-pm2.mjs';

const say = createNarrator();
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
/** Runs `pm2-self <args>` (what `npx pm2-self` runs) against the private daemon; prints its lines. */
const pm2Self = (args, env) =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      for (const line of out.trimEnd().split('\n')) say(`  ${line}`);
      done(code);
    });
  });
const ecosystem = join(import.meta.dirname, 'ecosystem.config.cjs');
const pm2 = await startPrivatePm2({ prefix: 'pm2-self-example-pm2-trigger-' });

const app = (list) => list.find((p) => p.name === 'pm2-trigger');
const metrics = (entry) => {
  const monitor = entry?.pm2_env.axm_monitor ?? {};
  return `state=${monitor['pm2-self restart state']?.value}, tasks=${monitor['pm2-self running tasks']?.value}, last restart=${monitor['pm2-self last restart']?.value}`;
};

await guard(
  async () => {
    await pm2.pm2(['start', ecosystem]);
    say(`pm2 start pm2-trigger (private daemon, PM2_HOME=${pm2.home})`);
    const before = app(
      await pm2.waitFor((list) => app(list)?.pm2_env.axm_monitor?.['pm2-self running tasks'] !== undefined),
    );
    say(`online: pid ${before.pid}, restarts ${before.pm2_env.restart_time}; metrics: ${metrics(before)}`);
    const show = await pm2.pm2(['show', 'pm2-trigger'], { silent: false });
    for (const line of show.split('\n').filter((l) => /pm2-self /.test(l))) say(`pm2 show: ${line.trim()}`);

    say('$ pm2 trigger pm2-trigger pm2-self:restart "new config"');
    const output = await pm2.pm2(['trigger', 'pm2-trigger', 'pm2-self:restart', 'new config'], {
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
          app(list)?.pm2_env.axm_monitor?.['pm2-self last restart']?.value === 'new config' &&
          app(list).pid === after.pid,
      ),
    );
    say(`metrics of the new process: ${metrics(settled)}`);
    say('$ pm2-self restart pm2-trigger --reason "second config"');
    const code = await pm2Self(['restart', 'pm2-trigger', '--reason', 'second config'], pm2.env);
    if (code !== 0) throw new Error(`pm2-self restart exited with ${code}`);
    await pm2.waitFor(
      (list) => app(list)?.pm2_env.axm_monitor?.['pm2-self last restart']?.value === 'second config',
    );
    say('$ pm2-self status');
    await pm2Self(['status'], pm2.env);
    say("the app's own log:");
    const log = await readFile(join(pm2.home, 'logs', 'pm2-trigger-out.log'), 'utf8');
    for (const line of log.trim().split('\n')) say(`  ${line}`);
  },
  async () => {
    await pm2.dispose();
    say('private pm2 daemon killed');
  },
);
