'use strict';
/**
 * The app of bench/local-answer.mjs, run under pm2 (fork mode). It installs the shutdown handler, asks
 * getInfo({ live: true }) once (the daemon's answer, which confirms it is online), then measures the
 * CPU (process.cpuUsage: user + system) of CALLS further getInfo({ live: true }) and getStatus() calls
 * that find nothing changed, one after another, and writes { perCallUs, sources } to RESULT_FILE.
 */
const fs = require('node:fs');

const lib = require(process.env.PM2_SELF_DIST);
const CALLS = Number(process.env.CALLS);

async function measure(call) {
  for (let i = 0; i < 1000; i += 1) await call(); // warm up
  const before = process.cpuUsage();
  for (let i = 0; i < CALLS; i += 1) await call();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / CALLS;
}

async function main() {
  lib.getDefaultPm2Self().installShutdownHandler();
  const first = await lib.getInfo({ live: true });
  await new Promise((r) => setTimeout(r, 200));
  const second = await lib.getInfo({ live: true });
  const info = await measure(() => lib.getInfo({ live: true }));
  const status = await measure(() => lib.getStatus());
  const out = { first: first?.sources.status, then: second?.sources.status, infoUs: info, statusUs: status };
  fs.writeFileSync(`${process.env.RESULT_FILE}.tmp`, JSON.stringify(out));
  fs.renameSync(`${process.env.RESULT_FILE}.tmp`, process.env.RESULT_FILE);
}

void main();
setInterval(() => undefined, 60_000);
