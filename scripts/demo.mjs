// npm run demo: a private pm2 daemon, a fork app and a 2-instance cluster app that report their
// identities, then a restart deferred while a task runs, then the operator's view: `pm2-self status`
// and `pm2-self restart` of the cluster app, one instance at a time. Leaves no daemon and no process behind.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

const root = resolve(import.meta.dirname, '..');
const pm2Bin = join(root, 'node_modules/pm2/bin/pm2');
const app = join(root, 'scripts/demo/app.mjs');
const cli = join(root, 'dist/cli.js');
const home = await mkdtemp(join(tmpdir(), 'pm2-self-demo-'));
const events = join(home, 'events.jsonl');
await writeFile(events, '');

const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PM2_|pm_|npm_)/.test(key)));
Object.assign(env, { PM2_HOME: home, DEMO_EVENTS: events });
const t0 = Date.now();
const stamp = (at = Date.now()) => `+${((at - t0) / 1000).toFixed(2).padStart(5)}s`;
const say = (text, at) => console.log(`${stamp(at)}  ${text}`);
const pm2 = (...args) => execa(process.execPath, [pm2Bin, ...args], { env, extendEnv: false });
/** Runs `pm2-self <args>` (what `npx pm2-self` runs) and prints its output, indented. */
const pm2Self = async (...args) => {
  console.log(`   $ pm2-self ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const result = await execa(process.execPath, [cli, ...args], { env, extendEnv: false, reject: false });
  for (const line of `${result.stdout}${result.stderr}`.trimEnd().split('\n')) console.log(`     ${line}`);
  if (result.exitCode !== 0) throw new Error(`pm2-self ${args[0]} exited with ${result.exitCode}`);
};
const seenPids = new Set();
const readEvents = async () => {
  const list = (await readFile(events, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  for (const e of list) seenPids.add(e.pid);
  return list;
};
const waitFor = async (predicate, what, timeoutMs = 20_000) => {
  for (
    const until = Date.now() + timeoutMs;
    Date.now() < until;
    await new Promise((r) => setTimeout(r, 100))
  ) {
    const list = await readEvents();
    if (predicate(list)) return list;
  }
  throw new Error(`demo: timed out waiting for ${what}`);
};
const describe = (e) =>
  `${e.name.padEnd(13)} pm_id ${e.info.pmId}  pid ${e.pid}  ${e.info.execMode} mode, instance ${e.info.instance}, restarts ${e.info.restarts}, relation ${e.info.relation}`;

let exitCode = 0;
const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
try {
  console.log(`pm2-self demo: a private pm2 daemon in ${home}\n`);
  console.log('1. Identities: every instance asks "who am I?" (no subprocess, no daemon query)');
  await pm2('start', app, '--name', 'demo-fork', '-s');
  await pm2('start', app, '--name', 'demo-cluster', '-i', '2', '-s');
  const ids = await waitFor((l) => l.filter((e) => e.event === 'identity').length >= 3, 'three identities');
  for (const e of ids.filter((x) => x.event === 'identity')) say(describe(e), e.at);

  console.log('\n2. A restart requested while a task runs (a fork app that is busy when the hub asks)');
  await pm2('delete', 'all', '-s');
  await writeFile(events, '');
  env.DEMO_RESTART = '1';
  await pm2('start', app, '--name', 'demo-sidecar', '-s');
  const story = await waitFor(
    (l) => l.some((e) => e.event === 'identity' && e.info.restarts >= 1),
    'the new generation',
  );
  const first = story.find((e) => e.event === 'identity');
  for (const e of story) {
    if (e.event === 'identity' && e === first)
      say(`generation with pid ${e.pid} starts (restarts ${e.info.restarts})`, e.at);
    if (e.event === 'task-begun') say(`pid ${e.pid} begins task "${e.task}"`, e.at);
    if (e.event === 'restart-requested')
      say(
        `hub asks for a restart -> ${e.outcome.status}${e.outcome.tasks ? ` (${e.outcome.tasks} task running)` : ''}`,
        e.at,
      );
    if (e.event === 'task-ended') say(`task "${e.task}" ends`, e.at);
    if (e.event === 'hook') say(`before exit: ${e.note}`, e.at);
    if (e.event === 'restarting')
      say(
        `restarting: strategy ${e.strategy.type}${e.strategy.code === undefined ? '' : ` (exit code ${e.strategy.code})`}: ${e.why}`,
        e.at,
      );
    if (e.event === 'identity' && e !== first) {
      say(`back online: new pid ${e.pid} (was ${first.pid}), restarts ${e.info.restarts}`, e.at);
      const r = e.lastRestart;
      if (r) say(`it reads why: "${r.reason}", deferred ${r.deferredMs} ms, ${r.tasksCut} task cut`, e.at);
    }
  }
  const list = JSON.parse((await pm2('jlist', '-s')).stdout);
  const fork = list.find((p) => p.name === 'demo-sidecar');
  say(
    `pm2 says: demo-sidecar ${fork.pm2_env.status}, pid ${fork.pid}, restarts ${fork.pm2_env.restart_time}, unstable ${fork.pm2_env.unstable_restarts}`,
  );

  console.log('\n3. The operator: every app called exposeToPm2(), so the shell can restart them gracefully');
  delete env.DEMO_RESTART;
  await pm2('start', app, '--name', 'demo-cluster', '-i', '2', '-s');
  for (let until = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 200))) {
    const apps = JSON.parse((await pm2('jlist', '-s')).stdout);
    const exposed = apps.filter((p) => p.pm2_env.axm_monitor?.['pm2-self restart state'] !== undefined);
    if (exposed.length === apps.length) break;
    if (Date.now() > until) throw new Error('demo: the apps did not expose themselves');
  }
  await pm2Self('status');
  await pm2Self('restart', 'demo-cluster', '--reason', 'deploy v2');
} catch (error) {
  exitCode = 1;
  console.error(String(error));
} finally {
  const daemonPid = Number.parseInt(await readFile(join(home, 'pm2.pid'), 'utf8').catch(() => ''), 10);
  await readEvents().catch(() => []);
  const appPids = [...seenPids];
  await pm2('kill', '-s').catch(() => {});
  await rm(home, { recursive: true, force: true });
  const stillAlive = () => [daemonPid, ...appPids].filter((pid) => Number.isInteger(pid) && isAlive(pid));
  for (let i = 0; i < 50 && stillAlive().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const alive = stillAlive();
  console.log(`\n4. Clean exit: private daemon (pid ${daemonPid}) killed, ${home} removed`);
  console.log(
    alive.length === 0
      ? `   checked: the daemon and all ${appPids.length} app processes are gone`
      : `   STILL RUNNING: ${alive.join(', ')}`,
  );
  if (alive.length > 0) exitCode = 1;
}
process.exitCode = exitCode;
