'use strict';
// A pm2 app that spawns two node children running the probe:
// - one inheriting the app's env (pm2 variables included) that also asks for a graceful restart;
// - one with a clean env holding only PM2_HOME, found only through the daemon's list.
// It reports its own pid and its children's, then idles.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { writeReport, idle } = require('./probe-core.cjs');

const probe = path.join(__dirname, 'probe.cjs');
const inherited = spawn(process.execPath, [probe, process.env.DESCENDANT_REPORT], {
  env: { ...process.env, PROBE_RESTART: '1' },
  stdio: 'inherit',
});
const stripped = spawn(process.execPath, [probe, process.env.STRIPPED_REPORT], {
  env: { PM2_HOME: process.env.PM2_HOME },
  stdio: 'inherit',
});
writeReport(process.env.REPORT_FILE, {
  pid: process.pid,
  descendantPid: inherited.pid,
  strippedPid: stripped.pid,
});
idle();
