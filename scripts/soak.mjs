#!/usr/bin/env node
/**
 * Soak test of pm2-self under a real pm2 (node_modules/pm2, private PM2_HOME).
 *
 *   npm run soak                       # build, then the long run (~4 min of chaos)
 *   node scripts/soak.mjs --short      # ~20 s of chaos (what test/pm2/soak-short.test.ts runs)
 *   node scripts/soak.mjs --duration 60 --seed 7 --keep
 *
 * Two apps run scripts/soak-lib/soak-app.cjs with the BUILT package: `soak-fork` (fork mode) and
 * `soak-cluster` (cluster mode, 2 instances); every process runs many short tasks (runTask, 5-200
 * ms, some overlapping) that log their begin and end lines with appendFile, and installs
 * installShutdownHandler(). At random moments the driver:
 * - asks a random process to gracefulRestart() (over its local HTTP port), sometimes several times
 *   at once (coalescing), half of the time with refuseNewTasks;
 * - cancels some deferred restarts with clearPendingRestart();
 * - runs `pm2 restart soak-fork` and `pm2 reload soak-cluster` from the CLI;
 * - kill -9s a process now and then (only processes older than 1.5 s, so pm2 never counts an
 *   unstable restart).
 * Then it lets things settle, stops the tasks, checks that the apps are online, kills the daemon
 * and checks the log (see scripts/soak-lib/analyze.mjs). Prints the counts, one `INVARIANT <key>
 * PASS|FAIL` line per invariant, `ANOMALY <key> <count>` lines for library behaviour worth a look
 * that is not an invariant (fatal with --strict), and a final `SOAK-RESULT <json>` line; exits 1
 * if an invariant failed.
 */
import { existsSync } from 'node:fs';
import { appendFile, open, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { DIST_CJS, ROOT, isAlive, processesWithMarker, sleep } from '../bench/lib/common.mjs';
import { createPm2Sandbox, disposeAllSandboxes } from '../bench/lib/pm2-sandbox.mjs';
import { analyze, parseLog } from './soak-lib/analyze.mjs';

const APP = join(ROOT, 'scripts', 'soak-lib', 'soak-app.cjs');

// ------------------------------------------------------------------------------------------------
// Arguments and plan
// ------------------------------------------------------------------------------------------------
function parseArgs(argv) {
  const args = { short: false, durationS: null, seed: null, keep: false, verbose: false, strict: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--short') args.short = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--verbose') args.verbose = true;
    else if (a === '--strict') args.strict = true;
    else if (a === '--duration') args.durationS = Number(argv[++i]);
    else if (a.startsWith('--duration=')) args.durationS = Number(a.slice(11));
    else if (a === '--seed') args.seed = Number(argv[++i]);
    else if (a.startsWith('--seed=')) args.seed = Number(a.slice(7));
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: node scripts/soak.mjs [--short] [--duration seconds] [--seed n] [--keep] [--verbose] [--strict]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const durationMs = (args.durationS ?? (args.short ? 20 : 240)) * 1000;
const scale = durationMs / 20_000;
// 20 s: 36 requests, 2 pm2 restart, 2 pm2 reload, 3 kill -9; 240 s: 432, 14, 14, 22.
const plan = {
  requests: Math.max(8, Math.round(36 * scale)),
  cliRestarts: Math.max(2, Math.round(2 * scale * 0.6)),
  cliReloads: Math.max(2, Math.round(2 * scale * 0.6)),
  kills: Math.max(3, Math.round(3 * scale * 0.6)),
};
const seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);

function prng(s) {
  let state = s >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(seed);
const pick = (items) => items[Math.floor(random() * items.length)];

const say = (message) => console.log(`[soak] ${message}`);
const debug = (message) => args.verbose && console.log(`[soak] ${message}`);

// ------------------------------------------------------------------------------------------------
// The app log, read incrementally
// ------------------------------------------------------------------------------------------------
function createLogTail(file) {
  let offset = 0;
  let rest = '';
  const procs = new Map(); // pid -> start line
  return {
    procs,
    async poll() {
      const handle = await open(file, 'r').catch(() => null);
      if (!handle) return;
      try {
        const { size } = await handle.stat();
        if (size <= offset) return;
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        offset = size;
        const text = rest + buffer.toString('utf8');
        const parts = text.split('\n');
        rest = parts.pop() ?? '';
        for (const raw of parts) {
          if (!raw.includes('"e":"start"')) continue;
          try {
            const line = JSON.parse(raw);
            procs.set(line.pid, line);
          } catch {
            // counted by the final analysis
          }
        }
      } finally {
        await handle.close();
      }
    },
    alive() {
      return [...procs.values()].filter((p) => isAlive(p.pid));
    },
  };
}

function httpGet(port, path, timeoutMs = 8_000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ ok: true, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          resolve({ ok: false, error: `bad body: ${error}` });
        }
      });
      res.on('error', (error) => resolve({ ok: false, error: String(error) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ ok: false, error: String(error.message ?? error) }));
  });
}

// ------------------------------------------------------------------------------------------------
// Run
// ------------------------------------------------------------------------------------------------
if (!existsSync(DIST_CJS)) {
  console.error(`soak: ${DIST_CJS} missing: run \`npm run build\` first (or \`npm run soak\`).`);
  process.exit(2);
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`\nsoak: ${signal}, killing the private pm2 daemon...`);
    void disposeAllSandboxes().finally(() => process.exit(130));
  });
}

const t0 = Date.now();
const sandbox = await createPm2Sandbox('pm2-self-soak-', { keep: true });
const logFile = join(sandbox.home, 'soak.log');
const quiesceFile = join(sandbox.home, 'quiesce');
const tail = createLogTail(logFile);
const driverLog = join(sandbox.home, 'driver.log');
/** The driver's own actions, kept next to the app log (useful with --keep). */
const note = (fields) =>
  void appendFile(driverLog, `${JSON.stringify({ t: Date.now(), ...fields })}\n`).catch(() => {});
/** Throws when the daemon died under us (then no CLI command may run: it would spawn a new one). */
const checkDaemon = async (where) => {
  if (daemonPid !== null && !isAlive(daemonPid)) {
    const log = await readFile(join(sandbox.home, 'pm2.log'), 'utf8').catch(() => '');
    throw new Error(
      `the pm2 daemon (pid ${daemonPid}) died ${where}; end of pm2.log:\n${log.split('\n').slice(-15).join('\n')}`,
    );
  }
};
const driver = {
  kills: [],
  cli: [],
  requests: [],
  cancels: [],
  finalPids: [],
  online: { ok: false, detail: 'not checked' },
  cleanup: { daemonGone: false, daemonDetail: 'not checked', orphans: [] },
  skipped: [],
};
let result;
let daemonPid = null;

try {
  say(
    `seed ${seed}; ${durationMs / 1000} s of chaos; plan: ${plan.requests} restart requests, ${plan.cliRestarts} pm2 restart, ${plan.cliReloads} pm2 reload, ${plan.kills} kill -9; PM2_HOME ${sandbox.home}`,
  );
  await writeFile(logFile, '');
  const appEnv = { SOAK_LOG: logFile, SOAK_QUIESCE_FILE: quiesceFile, PM2_SELF_DIST: DIST_CJS };
  const config = join(sandbox.home, 'soak.config.json');
  await writeFile(
    config,
    JSON.stringify({
      apps: [
        { name: 'soak-fork', script: APP, exec_mode: 'fork', env: appEnv },
        { name: 'soak-cluster', script: APP, exec_mode: 'cluster', instances: 2, env: appEnv },
      ],
    }),
  );
  await sandbox.pm2(['start', config]);
  daemonPid = await sandbox.daemonPid();
  const readyBy = Date.now() + 30_000;
  for (;;) {
    await tail.poll();
    if (tail.alive().length >= 3) break;
    if (Date.now() > readyBy)
      throw new Error(`the apps did not start: ${JSON.stringify([...tail.procs.values()])}`);
    await sleep(100);
  }
  say(`apps up after ${((Date.now() - t0) / 1000).toFixed(1)} s (daemon pid ${daemonPid})`);

  // ---- the schedule ----------------------------------------------------------------------------
  const events = [];
  const at = () => 1000 + random() * (durationMs - 2500);
  for (let i = 0; i < plan.requests; i++) events.push({ at: at(), type: 'request' });
  for (let i = 0; i < plan.cliRestarts; i++) events.push({ at: at(), type: 'cliRestart' });
  for (let i = 0; i < plan.cliReloads; i++) events.push({ at: at(), type: 'cliReload' });
  for (let i = 0; i < plan.kills; i++) events.push({ at: at(), type: 'kill9' });
  events.sort((a, b) => a.at - b.at);

  let rid = 0;
  const inflight = new Set();
  const track = (promise) => {
    inflight.add(promise);
    promise.finally(() => inflight.delete(promise));
  };
  let cliQueue = Promise.resolve();
  const cli = (cmd, app) =>
    (cliQueue = cliQueue.then(async () => {
      const entry = { cmd, app, start: Date.now(), end: null, ok: false };
      driver.cli.push(entry);
      note({ action: 'cli', cmd, app });
      try {
        await sandbox.pm2([cmd, app], { timeoutMs: 60_000 });
        entry.ok = true;
      } catch (error) {
        entry.error = String(error.shortMessage ?? error.message ?? error).slice(0, 300);
      }
      entry.end = Date.now();
      note({ action: 'cliDone', cmd, app, ok: entry.ok, error: entry.error });
      debug(`pm2 ${cmd} ${app}: ${entry.ok ? 'ok' : entry.error} (${entry.end - entry.start} ms)`);
    }));

  const sendRequest = async (target, refuse) => {
    const id = ++rid;
    const entry = { rid: id, pid: target.pid, at: Date.now(), refuse };
    driver.requests.push(entry);
    note({ action: 'request', rid: id, pid: target.pid, refuse });
    const answer = await httpGet(target.port, `/restart?rid=${id}&refuse=${refuse ? 1 : 0}`);
    entry.response = answer.ok ? answer.body : { error: answer.error };
    debug(`request ${id} -> ${target.name} ${target.pid}: ${JSON.stringify(entry.response).slice(0, 120)}`);
    if (answer.ok && answer.body.status === 'deferred' && random() < 0.4) {
      await sleep(Math.floor(random() * 150));
      const cancel = { rid: id, pid: target.pid, at: Date.now() };
      driver.cancels.push(cancel);
      const c = await httpGet(target.port, `/cancel?rid=${id}`);
      cancel.response = c.ok ? c.body : { error: c.error };
    }
  };

  const chaosStart = Date.now();
  // (kill -9 events may be pushed back while iterating: a plain index loop sees them)
  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    const wait = chaosStart + event.at - Date.now();
    if (wait > 0) await sleep(wait);
    await checkDaemon('during the chaos');
    await tail.poll();
    const alive = tail.alive();
    if (event.type === 'request') {
      if (alive.length === 0) {
        driver.skipped.push('request: no process alive');
        continue;
      }
      const target = pick(alive);
      const burst = random() < 0.2 ? 2 + Math.floor(random() * 3) : 1;
      const refuse = random() < 0.5;
      for (let i = 0; i < burst; i++) track(sendRequest(target, refuse));
    } else if (event.type === 'cliRestart') {
      track(cli('restart', 'soak-fork'));
    } else if (event.type === 'cliReload') {
      track(cli('reload', 'soak-cluster'));
    } else if (event.type === 'kill9') {
      const old = alive.filter((p) => Date.now() - p.startedAt > 1500);
      if (old.length === 0) {
        // Every process is young (restarts are frequent): try again a little later.
        if ((event.tries = (event.tries ?? 0) + 1) <= 10 && event.at + 400 < durationMs) {
          events.push({ ...event, at: event.at + 400 });
          events.sort((a, b) => a.at - b.at);
        } else driver.skipped.push('kill -9: no process older than 1.5 s');
        continue;
      }
      const target = pick(old);
      try {
        note({
          action: 'kill9',
          pid: target.pid,
          name: target.name,
          pmId: target.pmId,
          ageMs: Date.now() - target.startedAt,
        });
        process.kill(target.pid, 'SIGKILL');
        driver.kills.push({ pid: target.pid, name: target.name, at: Date.now() });
        debug(`kill -9 ${target.name} ${target.pid}`);
      } catch (error) {
        driver.skipped.push(`kill -9 ${target.pid}: ${error.code}`);
      }
    }
  }
  await Promise.allSettled([...inflight]);
  await cliQueue;
  say(
    `chaos done after ${((Date.now() - chaosStart) / 1000).toFixed(1)} s: ${driver.requests.length} requests, ${driver.cancels.length} cancels, ${driver.cli.length} CLI commands, ${driver.kills.length} kill -9`,
  );

  // ---- settle: every pending restart done, 3 processes, all idle, twice in a row ------------
  await sleep(1500);
  let stable = 0;
  let lastKey = '';
  let states = [];
  const settleBy = Date.now() + 30_000;
  while (stable < 2) {
    await checkDaemon('while settling');
    if (Date.now() > settleBy) {
      const list = await sandbox.jlist().catch((error) => String(error));
      const brief = Array.isArray(list)
        ? list.map((p) => ({
            name: p.name,
            pm_id: p.pm_id,
            pid: p.pid,
            status: p.pm2_env.status,
            restarts: p.pm2_env.restart_time,
            unstable: p.pm2_env.unstable_restarts,
          }))
        : list;
      throw new Error(
        `did not settle within 30 s: processes answering ${JSON.stringify(states)}; pm2 list ${JSON.stringify(brief)}`,
      );
    }
    await sleep(400);
    await tail.poll();
    const alive = tail.alive();
    states = await Promise.all(
      alive.map(async (p) => ({ pid: p.pid, name: p.name, ...(await httpGet(p.port, '/state', 3_000)) })),
    );
    const key = states
      .map((s) => s.pid)
      .sort()
      .join(',');
    const idle = states.length === 3 && states.every((s) => s.ok && s.body.phase === 'idle');
    stable = idle && key === lastKey ? stable + 1 : idle ? 1 : 0;
    lastKey = key;
  }
  // ---- stop the tasks, check the apps -----------------------------------------------------------
  await writeFile(quiesceFile, '');
  const alive = tail.alive();
  const quiesced = await Promise.all(alive.map((p) => httpGet(p.port, '/quiesce', 10_000)));
  await tail.poll();
  const list = await sandbox.jlist();
  const online = (name) => list.filter((p) => p.name === name && p.pm2_env.status === 'online' && p.pid > 0);
  const alivePids = new Set(tail.alive().map((p) => p.pid));
  const listPids = [...online('soak-fork'), ...online('soak-cluster')].map((p) => p.pid);
  const responding = quiesced.filter((q) => q.ok && q.body.tasks === 0 && q.body.phase === 'idle').length;
  const restartCounts = Object.fromEntries(
    list.map((p) => [
      `${p.name}#${p.pm_id}`,
      { restarts: p.pm2_env.restart_time, unstable: p.pm2_env.unstable_restarts, status: p.pm2_env.status },
    ]),
  );
  driver.online = {
    ok:
      online('soak-fork').length === 1 &&
      online('soak-cluster').length === 2 &&
      responding === 3 &&
      listPids.every((pid) => alivePids.has(pid)) &&
      alivePids.size === 3,
    detail: `soak-fork ${online('soak-fork').length}/1 online, soak-cluster ${online('soak-cluster').length}/2 online; ${responding}/3 processes idle and answering; pm2 counters ${JSON.stringify(restartCounts)}`,
  };
  driver.finalPids = [...alivePids];
} catch (error) {
  driver.error = String(error?.stack ?? error);
  console.error(`[soak] run failed: ${driver.error}`);
} finally {
  // ---- kill the daemon; nothing may be left -----------------------------------------------------
  await tail.poll().catch(() => {});
  const report = await sandbox.dispose();
  // Any process carrying this PM2_HOME (daemon, apps, CLI) that needed a SIGKILL or is still there.
  const strays = await processesWithMarker(sandbox.home);
  const orphans = [
    ...report.killedByForce,
    ...report.survivors.filter((s) => !strays.some((x) => x.pid === s.pid)),
  ];
  driver.cleanup = {
    daemonGone:
      daemonPid !== null && report.daemonExited === true && !isAlive(daemonPid) && strays.length === 0,
    daemonDetail:
      daemonPid === null
        ? 'no daemon pid was recorded'
        : `daemon ${daemonPid} ${report.daemonExited ? 'exited within 5 s of `pm2 kill`' : 'did NOT exit within 5 s of `pm2 kill`'}${isAlive(daemonPid) ? ' and is STILL ALIVE' : ''}; ${strays.length} process(es) with this PM2_HOME left`,
    orphans: [...orphans, ...strays],
  };
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const parsed = parseLog(text);
  result = analyze({ ...parsed, driver });
  if (!args.keep) await rm(sandbox.home, { recursive: true, force: true });
}

// ------------------------------------------------------------------------------------------------
// Report
// ------------------------------------------------------------------------------------------------
const r = result;
const g = r.groups;
const t = r.tasks;
console.log('');
console.log(
  `soak summary (${args.short ? 'short' : 'long'}, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s total)`,
);
console.log(
  `  generations (processes) per app: ${JSON.stringify(r.generations)}; how they ended: ${JSON.stringify(r.causes)}`,
);
console.log(`  tasks begun: ${t.begun}`);
console.log(`    completed exactly once:               ${t.completedOnce}`);
console.log(`    in flight at a kill -9 (allowed):     ${t.inFlightAtKill9}`);
console.log(`    cut short by a library restart:       ${t.cutByLibrary}   (must be 0)`);
console.log(
  `    cut short by pm2 restart/reload/kill: ${t.cutByPm2 + t.cutAtFinalKill}   (must be 0: installShutdownHandler drains)`,
);
console.log(`    lost / duplicated:                    ${t.lost} / ${t.inconsistent}   (must be 0)`);
console.log(`    refused while a restart was pending:  ${t.refused}`);
console.log(
  `  restart requests: ${r.requests.sent} sent, ${r.requests.answered} answered: ${JSON.stringify(r.requests.statuses)}${Object.keys(r.requests.refusedCodes).length ? `; refusals: ${JSON.stringify(r.requests.refusedCodes)}` : ''}`,
);
console.log(
  `    clearPendingRestart: ${r.requests.cancelAttempts} attempts, ${r.requests.cancelsOk} cancelled a pending restart`,
);
console.log(
  `    request groups: ${g.opened} opened (restarting|deferred; alreadyPending ones coalesced into them), ${g.cancelled} cancelled, ${g.executedWhileSuperseded} executed in a worker already superseded by pm2 reload, ${g.droppedByKill9} dropped by kill -9, ${g.supersededByPm2} superseded by pm2 restart/reload, ${g.racedWithCli} raced with a pm2 CLI command, ${g.failed} failed, ${g.lost} lost`,
);
console.log(
  `    library restarts: ${r.libraryRestartsObserved} observed (successor restart records) vs ${r.libraryRestartsExpected} expected from the request groups`,
);
console.log(
  `  pm2 CLI: ${driver.cli.filter((c) => c.cmd === 'restart').length} restart, ${driver.cli.filter((c) => c.cmd === 'reload').length} reload (${driver.cli.filter((c) => !c.ok).length} failed); kill -9: ${driver.kills.length}${driver.skipped.length ? `; skipped: ${driver.skipped.length}` : ''}`,
);
for (const c of driver.cli.filter((x) => !x.ok)) console.log(`    pm2 ${c.cmd} ${c.app} failed: ${c.error}`);
if (driver.error) console.log(`  run error: ${driver.error.split('\n')[0]}`);
for (const [kind, list] of Object.entries({ ...r.examples, ...r.groupExamples, unknownEnd: r.unknownEnds })) {
  if (list.length > 0) console.log(`  examples (${kind}): ${JSON.stringify(list).slice(0, 600)}`);
}
for (const inv of r.invariants)
  console.log(`INVARIANT ${inv.key} ${inv.ok ? 'PASS' : 'FAIL'} - ${inv.detail}`);
for (const a of r.anomalies) if (a.count > 0) console.log(`ANOMALY ${a.key} ${a.count} - ${a.detail}`);
const anomalyCount = r.anomalies.reduce((n, a) => n + a.count, 0);
const ok = r.ok && !driver.error && !(args.strict && anomalyCount > 0);
console.log(
  `SOAK-RESULT ${JSON.stringify({ ok, anomalies: Object.fromEntries(r.anomalies.map((a) => [a.key, a.count])), seed, short: args.short, durationMs, tasks: t, requests: r.requests, groups: g, failures: r.failures, libraryRestartsObserved: r.libraryRestartsObserved, libraryRestartsExpected: r.libraryRestartsExpected, generations: r.generations, causes: r.causes, cli: driver.cli.length, kills: driver.kills.length, invariants: Object.fromEntries(r.invariants.map((i) => [i.key, i.ok])), error: driver.error ?? null })}`,
);
if (args.keep) console.log(`kept: ${sandbox.home}`);
process.exitCode = ok ? 0 : 1;
