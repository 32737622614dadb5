'use strict';
/**
 * One app of the scale benchmark, run under pm2 (fork mode, `pmx: false`). Once a second, at a random
 * phase, it asks for its live status and records [epoch ms at the call, latency ms, answered online] in
 * memory: nothing per call leaves the process (no file, no IPC, no output), so the harness costs only
 * what the app's own bookkeeping costs.
 * SCALE_MODE:
 * - `lib`: `getInfo({ live: true })` of the pm2-self build at PM2_SELF_DIST, shutdown handler installed;
 * - `seed`: the approach pm2-self replaces, `execSync('pm2 jlist')` (this file is the only place the
 *   benchmarks run it once a second);
 * - `idle`: the same app with the library loaded and the handler installed, but no call (the floor);
 * - `timer`: the 1 Hz timer alone, no library (the control: what the wake itself costs).
 * On SIGUSR2 it reads SCALE_DIR/collect.json ({ from, to }) and writes SCALE_DIR/result-<pm_id>.json with
 * the samples and the number of connections it opened to the daemon's RPC socket inside that window,
 * once, then goes on idling until pm2 kills it.
 */
const fs = require('node:fs');
const path = require('node:path');
const childProcess = require('node:child_process');
const { performance } = require('node:perf_hooks');

const MODE = process.env.SCALE_MODE;
const DIR = process.env.SCALE_DIR;
const PM2_BIN = process.env.SCALE_PM2_BIN;
const PM_ID = process.env.pm_id;
const samples = [];
let inFlight = false;
let skipped = 0;
let collected = false;

// The idle floor is the same app, library loaded and handler installed, only not calling; the timer
// control loads nothing.
const lib = MODE === 'lib' || MODE === 'idle' ? require(process.env.PM2_SELF_DIST) : null;
// As a real app would: the handler is what tells a process of pm2's signals, so it may answer itself.
if (lib) lib.getDefaultPm2Self().installShutdownHandler();

// Daemon queries made by this process: connections to the daemon's RPC socket, by time.
const connects = [];
const net = require('node:net');
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function countedConnect(...args) {
  // net.createConnection() passes its normalized arguments as one array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const target = typeof first === 'object' && first !== null ? first.path : first;
  if (typeof target === 'string' && target.endsWith('rpc.sock')) connects.push(Date.now());
  return connect.apply(this, args);
};

function seedStatus() {
  const stdout = childProcess
    .execSync(`"${process.execPath}" "${PM2_BIN}" jlist`, {
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    .toString('utf8');
  const list = JSON.parse(stdout.slice(stdout.indexOf('[')));
  const me = list.find((p) => String(p.pm_id) === PM_ID);
  return me ? me.pm2_env.status : null;
}

async function ask() {
  if (MODE === 'lib') return (await lib.getInfo({ live: true }))?.status ?? null;
  if (MODE === 'seed') return seedStatus();
  return 'online';
}

function collect() {
  if (collected) return;
  collected = true;
  const window = JSON.parse(fs.readFileSync(path.join(DIR, 'collect.json'), 'utf8'));
  const inside = samples.filter(([at]) => at >= window.from && at < window.to);
  const out = path.join(DIR, `result-${PM_ID}.json`);
  const queries = connects.filter((at) => at >= window.from && at < window.to).length;
  fs.writeFileSync(`${out}.tmp`, JSON.stringify({ pid: process.pid, skipped, queries, samples: inside }));
  fs.renameSync(`${out}.tmp`, out);
}

// Asked once, after the window: the report never runs inside it.
process.on('SIGUSR2', collect);

async function tick() {
  if (MODE === 'idle' || MODE === 'timer' || collected) return;
  if (inFlight) {
    skipped += 1;
    return;
  }
  inFlight = true;
  const at = Date.now();
  const started = performance.now();
  let online;
  try {
    online = (await ask()) === 'online' ? 1 : 0;
  } catch {
    online = 0;
  }
  samples.push([at, performance.now() - started, online]);
  inFlight = false;
}

setTimeout(
  () => {
    void tick();
    setInterval(() => void tick(), 1000);
  },
  Math.floor(Math.random() * 1000),
);
