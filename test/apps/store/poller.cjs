'use strict';
/**
 * The app of test/pm2/store-trust.test.ts and store-junk.test.ts. Every POLL_MS it asks
 * `getInfo({ live: true })` and appends one JSON line to ANSWERS_FILE:
 * { pid, gen, instance, at, ms, status, restarts, daemon } (`ms`: how long the answer took).
 * UMASK_ZERO=1: `process.umask(0)` before anything else. SHUTDOWN_HANDLER=1: installShutdownHandler().
 * GO_DIR: when the file `<GO_DIR>/<name>-<gen>` appears, this generation asks gracefulRestart()
 * (instances of one app take turns) and appends { event: 'outcome', outcome }.
 */
const env = process.env;
if (env.UMASK_ZERO === '1') process.umask(0);
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const lib = require(env.PM2_SELF_DIST);
const gen = env.restart_time ?? null;
const instance = env.NODE_APP_INSTANCE ?? null;
const line = (fields) =>
  fs.appendFileSync(env.ANSWERS_FILE, `${JSON.stringify({ pid: process.pid, gen, instance, ...fields })}\n`);
if (env.SHUTDOWN_HANDLER === '1') lib.getDefaultPm2Self().installShutdownHandler();

let restarting = false;
const poll = async () => {
  const at = Date.now();
  const started = performance.now();
  const info = await lib.getInfo({ live: true });
  line({
    at,
    ms: Math.round(performance.now() - started),
    status: info?.status ?? null,
    restarts: info?.restarts ?? null,
    daemon: info?.daemon ?? null,
  });
  if (!restarting && env.GO_DIR && fs.existsSync(path.join(env.GO_DIR, `${env.name}-${gen}`))) {
    restarting = true;
    line({ event: 'outcome', outcome: await lib.gracefulRestart({ reason: 'store test' }) });
  }
  setTimeout(() => void poll(), Number(env.POLL_MS ?? 1000));
};
void poll();
