/* global performance */
'use strict';
// Shared by probe.cjs (`require` of dist/index.cjs) and probe.mjs (`import` of dist/index.js).
// Asks pm2-self who this process is, writes the answers as JSON to the report file (argv[2] or
// $REPORT_FILE, with `%pid%` replaced by this pid), then idles until its parent goes away
// (or exits at once when PROBE_EXIT=1).
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '../../..');

function reportPath() {
  const target = process.argv[2] || process.env.REPORT_FILE;
  if (!target) throw new Error('probe: no report file (argv[2] or REPORT_FILE)');
  return target.replace('%pid%', String(process.pid));
}

/** Atomic write: the test never reads half a report. */
function writeReport(file, report) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(report, null, 2));
  fs.renameSync(temporary, file);
}

/**
 * Keeps the process alive (pm2-self's socket and timers are unref'd: without this, a process with
 * no IPC channel, such as the node child of a wrapper script, exits in the middle of a daemon query);
 * exits once the parent is gone, so no probe outlives its sandbox. Returns the stop function.
 */
function idle() {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 300);
  return () => clearInterval(timer);
}

function serializeError(error) {
  return {
    message: String(error && error.message ? error.message : error),
    stack: error && error.stack ? String(error.stack) : null,
  };
}

async function runProbe(lib, extra = {}) {
  const stopIdling = idle();
  const file = reportPath();
  const report = {
    module: extra.module || null,
    pid: process.pid,
    ppid: process.ppid,
    secretInEnv:
      typeof process.env.SECRET_TOKEN === 'string' && process.env.SECRET_TOKEN.startsWith('sk-live-'),
  };
  try {
    const started = performance.now();
    report.name = await lib.getProcessName();
    report.info = await lib.getInfo();
    report.identity = await lib.getDefaultPm2Self().getIdentity();
    report.elapsedMs = performance.now() - started;
    report.infoJson = JSON.stringify(report.info);
    report.liveInfo = await lib.getInfo({ live: true });
    report.liveInfoJson = JSON.stringify(report.liveInfo);
    report.status = await lib.getStatus();
    if (process.env.PROBE_ROUTES === '1') {
      // The same questions through each route explicitly (the CLI one must not spawn a daemon either).
      report.routes = {};
      for (const route of ['rpc', 'cli', 'auto']) {
        const self = lib.createPm2Self({ route, cwd: REPO_ROOT });
        const begin = performance.now();
        report.routes[route] = {
          identity: await self.getIdentity(),
          name: await self.getProcessName(),
          info: await self.getInfo({ live: true }),
          status: await self.getStatus(),
        };
        report.routes[route].elapsedMs = performance.now() - begin;
      }
    }
    if (extra.other) {
      // The other module format, loaded in the same process.
      report.otherIdentity = await extra.other.createPm2Self().getIdentity();
      report.sharedDefaultInstance = extra.other.getDefaultPm2Self() === lib.getDefaultPm2Self();
    }
    if (process.env.PROBE_RESTART === '1') {
      report.restart = await lib.gracefulRestart({ reason: 'identity test' });
      report.pendingAfterRestart = lib.hasPendingRestart();
    }
  } catch (error) {
    report.error = serializeError(error);
  }
  writeReport(file, report);
  if (process.env.PROBE_EXIT === '1') stopIdling();
}

module.exports = { runProbe, writeReport, idle, serializeError, REPO_ROOT };
