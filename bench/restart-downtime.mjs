/**
 * Restart downtime under real pm2 (fork mode, default settings): from the moment a restart is
 * asked for to the first statement of the new generation.
 * - graceful: the app calls gracefulRestart() (idle: no task runs); it writes Date.now() when asked;
 * - exit:     the app calls process.exit(0) (pm2 restarts it: the floor);
 * - cli:      the bench runs `pm2 restart <id>` (Date.now() taken just before the CLI is spawned).
 * Each request is made after the generation has run > 1.3 s, so gracefulRestart's wait for
 * min_uptime (1000 ms by default) is over and does not count. Modes interleave round-robin.
 */
import http from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DIST_CJS, ROOT, median, sleep, summary } from './lib/common.mjs';
import { createPm2Sandbox } from './lib/pm2-sandbox.mjs';

const APP = join(ROOT, 'bench', 'apps', 'restart-app.cjs');
const MIN_AGE_MS = 1300;

async function readLog(file) {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function poke(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/${path}`, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
      res.on('error', resolve);
    });
    req.on('error', resolve);
  });
}

async function waitForGeneration(file, { notPid, since, timeoutMs = 30_000 }) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const lines = await readLog(file);
    const start = lines.findLast((l) => l.ev === 'start' && l.pid !== notPid && l.at >= since);
    const listening = start && lines.find((l) => l.ev === 'listening' && l.pid === start.pid);
    if (start && listening) return { start, port: listening.port, lines };
    await sleep(10);
  }
  const tail = (await readLog(file)).slice(-6);
  throw new Error(
    `restart downtime: no new generation (after pid ${notPid}) within ${timeoutMs} ms; last log lines: ${JSON.stringify(tail)}`,
  );
}

export async function run({ quick, log }) {
  const reps = quick ? 3 : 5;
  const modes = ['graceful', 'exit', 'cli'];
  const sandbox = await createPm2Sandbox('pm2-self-bench-restart-');
  const samples = {
    graceful: [],
    exit: [],
    cli: [],
    cliCommandMs: [],
    planMs: [],
    exitMs: [],
    respawnMs: [],
  };
  const outcomes = [];
  let final;
  let report;
  try {
    const logFile = join(sandbox.home, 'restart.log');
    await writeFile(logFile, '');
    await sandbox.pm2(['start', APP, '--name', 'rb'], {
      extraEnv: { RESTART_LOG: logFile, PM2_SELF_DIST: DIST_CJS },
    });
    let current = await waitForGeneration(logFile, { notPid: -1, since: 0 });
    for (let rep = 0; rep < reps; rep++) {
      for (const mode of modes) {
        const age = Date.now() - current.start.at;
        if (age < MIN_AGE_MS) await sleep(MIN_AGE_MS - age);
        const oldPid = current.start.pid;
        const triggeredAt = Date.now();
        let requestedAt;
        if (mode === 'cli') {
          requestedAt = Date.now();
          await sandbox.pm2(['restart', 'rb']);
          samples.cliCommandMs.push(Date.now() - requestedAt);
        } else {
          // The app may exit right after answering: the answer is not needed, the log is the truth.
          await poke(current.port, mode);
        }
        const next = await waitForGeneration(logFile, { notPid: oldPid, since: triggeredAt }).catch(
          async (error) => {
            const list = await sandbox.jlist().catch(() => []);
            const app = list.find((p) => p.name === 'rb');
            const errLog = app ? await readFile(app.pm2_env.pm_err_log_path, 'utf8').catch(() => '') : '';
            throw new Error(
              `${error.message}; mode ${mode}; pm2 status ${app?.pm2_env?.status} (restarts ${app?.pm2_env?.restart_time}); app stderr: ${errLog.slice(-600)}`,
            );
          },
        );
        if (mode !== 'cli') {
          const request = next.lines.find((l) => l.ev === 'request' && l.pid === oldPid);
          if (!request)
            throw new Error(
              `restart downtime: generation ${oldPid} logged no request; log: ${JSON.stringify(next.lines.slice(-8))}`,
            );
          requestedAt = request.at;
          const outcome = next.lines.find((l) => l.ev === 'outcome' && l.pid === oldPid);
          if (mode === 'graceful') {
            outcomes.push(outcome?.outcome ?? outcome?.error ?? 'not logged');
            const draining = next.lines.find((l) => l.ev === 'draining' && l.pid === oldPid);
            const restarting = next.lines.find((l) => l.ev === 'restarting' && l.pid === oldPid);
            if (draining && restarting) {
              samples.planMs.push(draining.at - requestedAt);
              samples.exitMs.push(restarting.at - draining.at);
              samples.respawnMs.push(next.start.at - restarting.at);
            }
          }
        }
        samples[mode].push(next.start.at - requestedAt);
        current = next;
      }
      log(`restart downtime: round ${rep + 1}/${reps}`);
    }
    const list = await sandbox.jlist();
    final = list.find((p) => p.name === 'rb');
  } finally {
    report = await sandbox.dispose();
  }
  if (report.survivors.length > 0)
    throw new Error(`restart downtime: processes survived the cleanup: ${JSON.stringify(report.survivors)}`);
  const strategies = [
    ...new Set(outcomes.map((o) => (typeof o === 'object' ? `${o.status}/${o.strategy?.type}` : String(o)))),
  ];
  const graceful = median(samples.graceful);
  const exit = median(samples.exit);
  const cli = median(samples.cli);
  const bench = 'Restart downtime';
  const rows = [
    {
      bench,
      measure: 'idle gracefulRestart() -> new process runs',
      value: graceful,
      unit: 'ms',
      alt: 'bare process.exit(0) respawn',
      altValue: exit,
      ratio: graceful / exit,
      target: '<= 1.2x bare exit',
      pass: graceful / exit <= 1.2,
    },
    {
      bench,
      measure: '`pm2 restart <id>` from the CLI -> new process runs',
      value: cli,
      unit: 'ms',
      alt: 'bare process.exit(0) respawn',
      altValue: exit,
      ratio: cli / exit,
      target: 'info',
      pass: null,
    },
  ];
  const notes = [
    `Restart downtime: ${reps} restarts per mode, interleaved, each after > ${MIN_AGE_MS} ms of uptime; gracefulRestart outcomes: ${strategies.join(', ')}; at the end the app was ${final?.pm2_env?.status} with ${final?.pm2_env?.restart_time} restarts (${final?.pm2_env?.unstable_restarts} unstable). The CLI command itself took ${median(samples.cliCommandMs).toFixed(0)} ms (median). gracefulRestart breakdown (medians, ms clock): request -> 'draining' (plan: identity + fresh daemon query) ${median(samples.planMs)}, 'draining' -> 'restarting' (hooks + restart record) ${median(samples.exitMs)}, 'restarting' -> new process runs ${median(samples.respawnMs)}.`,
  ];
  const details = Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [k, { ...summary(v), samples: v }]),
  );
  return { rows, notes, details };
}
