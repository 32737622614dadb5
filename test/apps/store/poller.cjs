'use strict';
/**
 * The app of test/pm2/store-trust.test.ts and store-junk.test.ts. Every POLL_MS it asks
 * `getInfo({ live: true })` and appends one JSON line to ANSWERS_FILE:
 * { pid, gen, instance, at, ms, status, restarts, daemon } (`ms`: how long the answer took).
 * UMASK_ZERO=1: `process.umask(0)` before anything else. SHUTDOWN_HANDLER=1: installShutdownHandler().
 * GO_DIR: when the file `<GO_DIR>/<name>-<gen>` appears, this generation asks gracefulRestart()
 * (instances of one app take turns) and appends { event: 'outcome', outcome }.
 * ALIGN_MS: each ask comes when the wall clock reaches a multiple of ALIGN_MS, so processes that share
 * it ask at the same instant (instead of every POLL_MS). QUERY_TIMEOUT_MS: the asks go through
 * createPm2Self({ queryTimeoutMs }) instead of the default instance.
 */
const env = process.env;
if (env.UMASK_ZERO === '1') process.umask(0);
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const lib = require(env.PM2_SELF_DIST);
const api = env.QUERY_TIMEOUT_MS ? lib.createPm2Self({ queryTimeoutMs: Number(env.QUERY_TIMEOUT_MS) }) : lib;
const gen = env.restart_time ?? null;
const instance = env.NODE_APP_INSTANCE ?? null;
const line = (fields) =>
  fs.appendFileSync(env.ANSWERS_FILE, `${JSON.stringify({ pid: process.pid, gen, instance, ...fields })}\n`);
if (env.SHUTDOWN_HANDLER === '1') lib.getDefaultPm2Self().installShutdownHandler();

let restarting = false;
const poll = async () => {
  const at = Date.now();
  const started = performance.now();
  const info = await api.getInfo({ live: true });
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
  const align = Number(env.ALIGN_MS ?? 0);
  setTimeout(() => void poll(), align > 0 ? align - (Date.now() % align) : Number(env.POLL_MS ?? 1000));
};
void poll();
