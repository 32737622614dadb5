#!/usr/bin/env node
/**
 * Measures restart downtime under a real pm2 daemon (private PM2_HOME, killed at the end), as the
 * median of RUNS restarts per method. Run after `npm run build`:
 *
 *   node test/apps/restart/measure-downtime.mjs [--runs 5] [--json]
 *
 * Downtime = the new generation's first statement (Date.now() at the top of app.cjs) minus:
 * - graceful (exit):   Date.now() just before an idle gracefulRestart() (pm2 defaults: strategy exit 0);
 * - graceful (daemon): the same with autorestart: false (strategy daemon: restartProcessId over RPC);
 * - bare exit:         Date.now() just before process.exit(0);
 * - pm2 restart CLI:   Date.now() just before the test spawns `pm2 restart <name>`.
 * Every generation restarts 1.2 s after its start (past min_uptime), one app at a time.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';

const here = import.meta.dirname;
const APP = join(here, 'app.cjs');
const DIST = resolve(here, '../../../dist/index.cjs');
const PM2_BIN = resolve(here, '../../../node_modules/pm2/bin/pm2');

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs must be a positive integer');
if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run build first`);

const env = {};
for (const [key, value] of Object.entries(process.env)) {
  if (
    /^(PM2_|pm_|NODE_APP_INSTANCE$|name$|namespace$|exec_mode$|instances$|instance_var$|autorestart$|unique_id$|status$|restart_time$|unstable_restarts$|VITEST)/.test(
      key,
    )
  )
    continue;
  env[key] = value;
}
const home = await mkdtemp(join(tmpdir(), 'pm2-self-downtime-'));
Object.assign(env, { PM2_HOME: home, PM2_SILENT: 'true' });

const pm2 = async (...args) =>
  (await execa(process.execPath, [PM2_BIN, ...args], { env, extendEnv: false, timeout: 30_000 })).stdout;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const eventsOf = async (file) =>
  (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
const waitEvents = async (file, predicate, timeoutMs = 30_000) => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const events = await eventsOf(file);
    if (predicate(events)) return events;
    if (Date.now() > until)
      throw new Error(`timed out waiting on ${file}: ${JSON.stringify(events.map((e) => [e.gen, e.event]))}`);
    await sleep(25);
  }
};
const started = (events, gen) => events.find((e) => e.event === 'started' && e.gen === String(gen));

async function startApp(name, scenario, extra = {}) {
  const file = join(home, `events-${name}.jsonl`);
  const ecosystem = {
    apps: [
      {
        name,
        script: APP,
        cwd: home,
        env: {
          PM2_SELF_DIST: DIST,
          EVENTS_FILE: file,
          SCENARIO: scenario,
          MEASURE_RUNS: String(RUNS),
          START_DELAY_MS: '1200',
        },
        ...extra,
      },
    ],
  };
  const config = join(home, `${name}.json`);
  await writeFile(config, JSON.stringify(ecosystem));
  await pm2('start', config);
  return file;
}

/** A self-restarting chain: gen k records `request`, gen k+1 records `started`. */
async function measureChain(name, scenario, extra) {
  const file = await startApp(name, scenario, extra);
  const events = await waitEvents(file, (all) => started(all, RUNS) !== undefined, 30_000 + RUNS * 10_000);
  await pm2('delete', name);
  const samples = [];
  const inProcess = [];
  for (let gen = 0; gen < RUNS; gen++) {
    const request = events.find((e) => e.event === 'request' && e.gen === String(gen));
    samples.push(started(events, gen + 1).startedAt - request.requestAt);
    // the last event the old generation wrote (its exit, or `restarting` when the daemon SIGINTs it)
    const last = events.filter((e) => e.pid === request.pid).at(-1);
    inProcess.push(last.at - request.requestAt);
  }
  const strategies = [
    ...new Set(
      events.filter((e) => e.event === 'outcome').map((e) => e.outcome.strategy?.type ?? e.outcome.status),
    ),
  ];
  return {
    samples,
    note: `${strategies.length ? `strategy ${strategies.join(',')}; ` : ''}request -> last event of old process ${median(inProcess)} ms (median)`,
  };
}

async function measureCli() {
  const name = 'cli';
  const file = await startApp(name, 'measure-cli');
  const samples = [];
  const cliMs = [];
  for (let gen = 0; gen < RUNS; gen++) {
    const events = await waitEvents(file, (all) => started(all, gen) !== undefined);
    await sleep(Math.max(0, started(events, gen).startedAt + 1200 - Date.now()));
    const t0 = Date.now();
    await pm2('restart', name);
    cliMs.push(Date.now() - t0);
    const after = await waitEvents(file, (all) => started(all, gen + 1) !== undefined);
    samples.push(started(after, gen + 1).startedAt - t0);
  }
  await pm2('delete', name);
  return { samples, note: `CLI itself ran ${median(cliMs)} ms (median)` };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

const results = [];
try {
  results.push({
    method: 'gracefulRestart() idle (pm2 defaults)',
    ...(await measureChain('graceful', 'measure-graceful')),
  });
  results.push({
    method: 'gracefulRestart() idle (autorestart: false)',
    ...(await measureChain('graceful-daemon', 'measure-graceful', { autorestart: false })),
  });
  results.push({ method: 'bare process.exit(0)', ...(await measureChain('bare-exit', 'measure-exit')) });
  results.push({ method: 'pm2 restart <name> (CLI)', ...(await measureCli()) });
} finally {
  const pidText = await readFile(join(home, 'pm2.pid'), 'utf8').catch(() => null);
  await pm2('kill').catch(() => {});
  if (pidText) {
    try {
      process.kill(Number(pidText), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(home, { recursive: true, force: true });
}

const rows = results.map((r) => ({
  ...r,
  median: median(r.samples),
  min: Math.min(...r.samples),
  max: Math.max(...r.samples),
}));
if (values.json) {
  console.log(JSON.stringify({ runs: RUNS, node: process.version, results: rows }, null, 2));
} else {
  console.log(
    `restart downtime under pm2 (request -> new process running), ${RUNS} runs each, Node ${process.version}`,
  );
  for (const r of rows)
    console.log(
      `${r.method.padEnd(46)} median ${String(r.median).padStart(5)} ms  (min ${r.min}, max ${r.max}; runs ${r.samples.join(', ')})${r.note ? `  ${r.note}` : ''}`,
    );
}
