/**
 * Worker of the list-parsing benchmark (bench/parse-list.mjs), run in a fresh process with
 * --expose-gc. Prints one JSON object on stdout.
 *
 *   node --expose-gc bench/workers/parse-worker.mjs <list.json> memory <variant>   # one cold operation
 *   node --expose-gc bench/workers/parse-worker.mjs <list.json> timing <iterations>
 *
 * The list is read from a file (written by the driver with bench/lib/synthetic-list.mjs) rather than
 * built here, so that building it does not grow the heap before the memory baseline.
 *
 * Variants, all through the built package's public API (createPm2Self with fake ports: a daemon
 * client answering getVersion and getMonitorData, a file system serving a live pm2.pid and the pid file, a
 * process whose isAlive is true), with `route: 'rpc'`:
 * - jsonParse: JSON.parse of the ~1.2 MB text alone (what the RPC client does with the reply);
 * - libOnly:   getInfo({ live: true }) with the daemon answering the already-parsed list
 *              (validation + curation of 200 entries + finding this pm_id), cacheTtlMs 0;
 * - endToEnd:  the same, the daemon client doing JSON.parse of the text for each call;
 * - fromList:  a process WITHOUT pm2 variables: a fresh instance resolves its identity by matching
 *              its pid in the list, then getInfo({ live: true }) (default TTL: one parse).
 */
import { DIST_ESM } from '../lib/common.mjs';
import { readFileSync } from 'node:fs';
import { SELF_NAME, SELF_PID, SELF_PM_ID } from '../lib/synthetic-list.mjs';

const [, , file, what, arg] = process.argv;
const { createPm2Self } = await import(DIST_ESM);
const text = readFileSync(file, 'utf8');
const bytes = Buffer.byteLength(text);
// Parsed only where needed (libOnly, timing), so the memory baseline of the other variants is clean.
const list = what === 'timing' || arg === 'libOnly' ? JSON.parse(text) : null;
const HOME = '/nonexistent/pm2-self-bench-home';
const PID_FILE = `${HOME}/pids/app-${SELF_PM_ID}.pid`;

const fakeFs = {
  readText: async (path) =>
    path === `${HOME}/pm2.pid` ? '4242\n' : path === PID_FILE ? String(SELF_PID) : null,
  writeText: async () => true,
  remove: async () => true,
  whyUnreadable: async () => 'missing',
  list: async () => null,
};
const pm2Env = {
  pm_id: String(SELF_PM_ID),
  name: SELF_NAME,
  pm_pid_path: PID_FILE,
  PM2_HOME: HOME,
  exec_mode: 'fork_mode',
  pm_uptime: String(Date.now() - 60_000),
  restart_time: '0',
  unstable_restarts: '0',
  autorestart: 'true',
};
const fakeProcess = (env) => ({
  pid: SELF_PID,
  ppid: 4242,
  platform: 'linux',
  env,
  homedir: () => '/nonexistent',
  uptimeSeconds: () => 60,
  residentMemoryBytes: () => 1,
  heapUsedBytes: () => 1,
  isAlive: () => true,
  parentPidOf: async () => null,
  describe: async () => null,
  keepAlive: () => () => {},
  exit: (code) => {
    throw new Error(`exit(${code}) called in a benchmark`);
  },
  onShutdown: () => () => {},
});
const daemonAnswering = (produce) => ({
  call: async (_path, method) =>
    method === 'getMonitorData'
      ? { ok: true, value: produce() }
      : method === 'ping'
        ? { ok: true, value: { msg: 'pong' } }
        : method === 'getVersion' // the version check before the first query (a supported pm2)
          ? { ok: true, value: '7.0.4' }
          : { ok: false, reason: 'remoteError', message: 'no' },
});
const options = (produce, env, cacheTtlMs) => ({
  route: 'rpc',
  cacheTtlMs,
  ports: { daemon: daemonAnswering(produce), fs: fakeFs, process: fakeProcess(env) },
});

const libOnly = createPm2Self(options(() => list, pm2Env, 0));
const endToEnd = createPm2Self(options(() => JSON.parse(text), pm2Env, 0));
const check = (info) => {
  if (
    !info ||
    info.pmId !== SELF_PM_ID ||
    info.name !== SELF_NAME ||
    info.status !== 'online' ||
    !info.daemon?.ok
  )
    throw new Error(
      `unexpected getInfo answer: ${JSON.stringify({ status: info?.status, daemon: info?.daemon, sources: info?.sources })}`,
    );
  return info;
};
const variants = {
  jsonParse: async () => JSON.parse(text),
  libOnly: async () => check(await libOnly.getInfo({ live: true })),
  endToEnd: async () => check(await endToEnd.getInfo({ live: true })),
  fromList: async () => {
    const self = createPm2Self(options(() => JSON.parse(text), { PM2_HOME: HOME }, 1000));
    const info = check(await self.getInfo({ live: true }));
    if (info.sources.identity !== 'daemon')
      throw new Error(`fromList: identity from ${info.sources.identity}`);
    return info;
  },
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

if (what === 'memory') {
  const op = variants[arg];
  // Warm the identity of the env-based instances without touching the list.
  await libOnly.getIdentity();
  await endToEnd.getIdentity();
  globalThis.gc();
  const before = process.memoryUsage();
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const t = nowMs();
  const kept = await op();
  const ms = nowMs() - t;
  const after = process.memoryUsage();
  const peakAfter = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    JSON.stringify({
      variant: arg,
      bytes,
      coldMs: ms,
      rssDelta: after.rss - before.rss,
      peakRssDelta: peakAfter - peakBefore,
      heapUsedDelta: after.heapUsed - before.heapUsed,
      kept: typeof kept,
    }),
  );
} else if (what === 'timing') {
  const iterations = Number(arg);
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = -3; i < iterations; i++) {
    for (const [key, op] of Object.entries(variants)) {
      const t = nowMs();
      await op();
      if (i >= 0) samples[key].push(nowMs() - t);
    }
  }
  process.stdout.write(JSON.stringify({ bytes, entries: list.length, samples }));
} else {
  throw new Error('usage: parse-worker.mjs <list.json> memory <variant> | timing <iterations>');
}
