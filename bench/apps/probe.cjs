'use strict';
/**
 * The measuring app of the identity, daemon-view and event-loop benchmarks. It runs UNDER pm2
 * (fork mode, started by the bench driver in a private PM2_HOME), measures from the inside, writes
 * one JSON object to PROBE_OUT (atomically) and then idles until the daemon is killed.
 *
 * Environment: PROBE_MODE (identity | daemon | eventloop), PROBE_OUT, PROBE_QUICK ('1'),
 * PM2_SELF_DIST (absolute path of dist/index.cjs), PROBE_PM2_BIN (the pm2 CLI script), PROBE_ROOT
 * (the repository: the library's `cwd` option, so that its CLI route finds node_modules/pm2 and runs
 * it as `node <bin>`, exactly like the bare alternative).
 *
 * Counters installed BEFORE the package loads:
 * - every child process: ChildProcess.prototype.spawn (all async spawns: spawn, exec, execFile,
 *   fork, execa) and the sync functions of child_process;
 * - every socket connect: net.Socket.prototype.connect, keyed by path (daemon queries).
 */
const fs = require('node:fs');
const childProcess = require('node:child_process');
const net = require('node:net');
const { syncBuiltinESMExports } = require('node:module');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const MODE = process.env.PROBE_MODE;
const OUT = process.env.PROBE_OUT;
const QUICK = process.env.PROBE_QUICK === '1';
const DIST = process.env.PM2_SELF_DIST;
const PM2_BIN = process.env.PROBE_PM2_BIN;
const ROOT = process.env.PROBE_ROOT;

const counters = { spawned: 0, spawnedSync: 0, connects: new Map() };
const originalSpawn = childProcess.ChildProcess.prototype.spawn;
childProcess.ChildProcess.prototype.spawn = function countedSpawn(...args) {
  counters.spawned += 1;
  return originalSpawn.apply(this, args);
};
for (const name of ['spawnSync', 'execSync', 'execFileSync']) {
  const original = childProcess[name];
  childProcess[name] = function countedSync(...args) {
    counters.spawnedSync += 1;
    return original.apply(this, args);
  };
}
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function countedConnect(...args) {
  const first = args[0];
  const where = Array.isArray(first) ? first[0] : first;
  const key =
    typeof where === 'object' && where !== null
      ? (where.path ?? `${where.host ?? ''}:${where.port ?? ''}`)
      : String(where);
  counters.connects.set(key, (counters.connects.get(key) ?? 0) + 1);
  return originalConnect.apply(this, args);
};
syncBuiltinESMExports();
const totalConnects = () => [...counters.connects.values()].reduce((a, b) => a + b, 0);
const connectsTo = (path) => counters.connects.get(path) ?? 0;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function childPids() {
  // Sync reads of /proc are fine here: this is the measuring app, sampled outside the timed loops.
  const pids = new Set();
  for (const tid of fs.readdirSync(`/proc/${process.pid}/task`)) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8');
    } catch {
      // thread gone
    }
    for (const p of text.trim().split(/\s+/)) if (p) pids.add(Number(p));
  }
  return [...pids];
}

function writeResult(result) {
  const temporary = `${OUT}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(result));
  fs.renameSync(temporary, OUT);
}

// ------------------------------------------------------------------------------------------------
async function identityMode() {
  const lib = require(DIST);
  const reps = QUICK ? 3 : 7;
  const nameCalls = QUICK ? 200_000 : 1_000_000;
  const infoCalls = QUICK ? 5_000 : 20_000;

  // Cold first call on a fresh instance (the default instance is measured below).
  let t = nowMs();
  const coldName = await lib.createPm2Self().getProcessName();
  const coldMs = nowMs() - t;
  // The same on a second fresh instance: what is left once the process-wide first-use costs (the
  // libuv thread pool, lazy module parts) are paid.
  t = nowMs();
  await lib.createPm2Self().getProcessName();
  const secondColdMs = nowMs() - t;

  // The front-page functions, as an app calls them; first call outside the loop.
  const name = await lib.getProcessName();
  const info = await lib.getInfo();
  if (name === null || info === null)
    throw new Error(`not detected as a pm2 app: name=${name} info=${JSON.stringify(info)}`);

  const handRolledName = async () => process.env.name ?? null;
  const handRolledInfo = async () => {
    const env = process.env;
    return {
      name: env.name,
      pmId: Number(env.pm_id),
      pid: process.pid,
      uptimeMs: Math.round(process.uptime() * 1000),
      memoryBytes: process.memoryUsage().rss,
    };
  };

  const loop = async (fn, n) => {
    const start = nowMs();
    for (let i = 0; i < n; i++) await fn();
    return nowMs() - start;
  };

  const childrenBefore = childPids();
  const spawnedBefore = counters.spawned + counters.spawnedSync;
  const connectsBefore = totalConnects();
  const samples = { nameCallsPerSec: [], handNameCallsPerSec: [], infoUs: [], handInfoUs: [] };
  const newChildren = new Set();
  for (let rep = 0; rep < reps; rep++) {
    samples.nameCallsPerSec.push(nameCalls / ((await loop(lib.getProcessName, nameCalls)) / 1000));
    samples.handNameCallsPerSec.push(nameCalls / ((await loop(handRolledName, nameCalls)) / 1000));
    samples.infoUs.push(((await loop(lib.getInfo, infoCalls)) * 1000) / infoCalls);
    samples.handInfoUs.push(((await loop(handRolledInfo, infoCalls)) * 1000) / infoCalls);
    for (const pid of childPids()) if (!childrenBefore.includes(pid)) newChildren.add(pid);
    await sleep(20);
  }
  return {
    name,
    coldName,
    coldMs,
    secondColdMs,
    relation: info.relation,
    identitySource: info.sources.identity,
    nameCalls,
    infoCalls,
    samples,
    spawnedDuringLoops: counters.spawned + counters.spawnedSync - spawnedBefore,
    connectsDuringLoops: totalConnects() - connectsBefore,
    newChildPids: [...newChildren],
  };
}

// ------------------------------------------------------------------------------------------------
async function daemonMode() {
  const lib = require(DIST);
  const { execa } = await import('execa');
  const rpcSocket = `${process.env.PM2_HOME}/rpc.sock`;
  const reps = QUICK ? 5 : 21;
  const rpc = lib.createPm2Self({ cacheTtlMs: 0, route: 'rpc', cwd: ROOT });
  const cli = lib.createPm2Self({ cacheTtlMs: 0, route: 'cli', cwd: ROOT });
  const env = { ...process.env, PM2_HOME: process.env.PM2_HOME, PM2_SILENT: 'true' };
  const bareJlist = async () => {
    const result = await execa(process.execPath, [PM2_BIN, 'jlist', '-s'], {
      env,
      extendEnv: false,
      stdin: 'ignore',
      maxBuffer: 64 * 1024 * 1024,
    });
    const list = JSON.parse(result.stdout.slice(result.stdout.indexOf('[')));
    if (!list.some((p) => p.pid === process.pid))
      throw new Error('bare jlist: this process is not in the list');
  };
  const check = (info, via) => {
    if (!info || !info.daemon || !info.daemon.ok || info.daemon.via !== via || info.status !== 'online')
      throw new Error(
        `getInfo({live:true}) via ${via}: ${JSON.stringify(info && { daemon: info.daemon, status: info.status })}`,
      );
  };
  await rpc.getIdentity();
  await cli.getIdentity();
  // Warm-up: first execa import, first CLI run, first socket.
  check(await rpc.getInfo({ live: true }), 'rpc');
  check(await cli.getInfo({ live: true }), 'cli');
  await bareJlist();

  const samples = {
    rpcMs: [],
    cliMs: [],
    bareJlistMs: [],
    oneCallMs: [],
    hundredCallsMs: [],
    oneCallQueries: [],
    hundredCallsQueries: [],
    hundredLocalMs: [],
  };
  for (let rep = 0; rep < reps; rep++) {
    let t = nowMs();
    check(await rpc.getInfo({ live: true }), 'rpc');
    samples.rpcMs.push(nowMs() - t);
    t = nowMs();
    check(await cli.getInfo({ live: true }), 'cli');
    samples.cliMs.push(nowMs() - t);
    t = nowMs();
    await bareJlist();
    samples.bareJlistMs.push(nowMs() - t);

    // One caller vs 100 concurrent callers, each on a fresh instance with the default cache TTL.
    const one = lib.createPm2Self({ cwd: ROOT });
    await one.getIdentity();
    let before = connectsTo(rpcSocket);
    t = nowMs();
    check(await one.getInfo({ live: true }), 'rpc');
    samples.oneCallMs.push(nowMs() - t);
    samples.oneCallQueries.push(connectsTo(rpcSocket) - before);

    const many = lib.createPm2Self({ cwd: ROOT });
    await many.getIdentity();
    before = connectsTo(rpcSocket);
    t = nowMs();
    const infos = await Promise.all(Array.from({ length: 100 }, () => many.getInfo({ live: true })));
    samples.hundredCallsMs.push(nowMs() - t);
    samples.hundredCallsQueries.push(connectsTo(rpcSocket) - before);
    for (const info of infos) check(info, 'rpc');
    // The per-caller share of the above: 100 concurrent getInfo() without a daemon query.
    t = nowMs();
    await Promise.all(Array.from({ length: 100 }, () => many.getInfo()));
    samples.hundredLocalMs.push(nowMs() - t);
    if (new Set(infos.map((i) => i.daemon.at)).size !== 1)
      throw new Error('100 concurrent callers got answers from different queries');
    await sleep(10);
  }
  return { reps, samples };
}

// ------------------------------------------------------------------------------------------------
/** The alternative the library exists to avoid: the same query, blocking the event loop. */
function blockingJlistExecSync(env) {
  const stdout = childProcess
    .execSync(`"${process.execPath}" "${PM2_BIN}" jlist -s`, {
      env,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    .toString('utf8');
  return JSON.parse(stdout.slice(stdout.indexOf('[')));
}

async function eventLoopMode() {
  const lib = require(DIST);
  const { execa } = await import('execa');
  const reps = QUICK ? 5 : 15;
  const rpc = lib.createPm2Self({ cacheTtlMs: 0, route: 'rpc', cwd: ROOT });
  const cli = lib.createPm2Self({ cacheTtlMs: 0, route: 'cli', cwd: ROOT });
  const env = { ...process.env, PM2_SILENT: 'true' };
  await rpc.getIdentity();
  await cli.getIdentity();
  await rpc.getInfo({ live: true });
  await cli.getInfo({ live: true });
  blockingJlistExecSync(env);

  const histogram = monitorEventLoopDelay({ resolution: 1 });
  /**
   * Max event-loop delay (ms) while `op` runs. The histogram's timer records nothing before its
   * first tick, so the window opens 5 ms before the operation; it closes 10 ms after it, so that
   * the late tick that follows a block gets recorded.
   */
  const maxDelayDuring = async (op) => {
    histogram.reset();
    histogram.enable();
    await sleep(5);
    const t = nowMs();
    await op();
    const opMs = nowMs() - t;
    await sleep(10);
    histogram.disable();
    return { maxMs: histogram.max / 1e6, opMs };
  };
  const ops = {
    idle: () => sleep(20),
    rpc: async () => {
      const info = await rpc.getInfo({ live: true });
      if (info?.daemon?.via !== 'rpc') throw new Error('rpc query failed');
    },
    cli: async () => {
      const info = await cli.getInfo({ live: true });
      if (info?.daemon?.via !== 'cli') throw new Error('cli query failed');
    },
    bareExeca: async () => {
      const result = await execa(process.execPath, [PM2_BIN, 'jlist', '-s'], {
        env,
        extendEnv: false,
        stdin: 'ignore',
        maxBuffer: 64 * 1024 * 1024,
      });
      JSON.parse(result.stdout.slice(result.stdout.indexOf('[')));
    },
    execSync: async () => {
      const list = blockingJlistExecSync(env);
      if (!Array.isArray(list)) throw new Error('execSync jlist failed');
    },
  };
  const samples = Object.fromEntries(Object.keys(ops).map((k) => [k, { maxMs: [], opMs: [] }]));
  for (let rep = 0; rep < reps; rep++) {
    for (const [key, op] of Object.entries(ops)) {
      const { maxMs, opMs } = await maxDelayDuring(op);
      samples[key].maxMs.push(maxMs);
      samples[key].opMs.push(opMs);
      await sleep(20);
    }
  }
  return {
    reps,
    samples,
    medians: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v.maxMs)])),
  };
}

// ------------------------------------------------------------------------------------------------
const modes = { identity: identityMode, daemon: daemonMode, eventloop: eventLoopMode };
setInterval(() => {}, 60_000); // stay alive (and online) after the measurement, until the daemon is killed
(async () => {
  try {
    if (!modes[MODE]) throw new Error(`unknown PROBE_MODE ${MODE}`);
    const result = await modes[MODE]();
    writeResult({ ok: true, pid: process.pid, result });
  } catch (error) {
    writeResult({ ok: false, pid: process.pid, error: String(error && error.stack ? error.stack : error) });
  }
})();
