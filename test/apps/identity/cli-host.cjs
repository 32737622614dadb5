/* global performance */
'use strict';
// A pm2 app that drops pm2's variables from its own env, so pm2-self must find it in the daemon's
// list, then asks through the CLI route with each fake pm2 binary of $FAKE_CASES (JSON array of
// { label, bin, queryTimeoutMs }). It reports every typed answer, checks that the hung fake's process
// is gone, and finally answers once more through the RPC route: the host survives every failure.
const fs = require('node:fs');
const lib = require('../../../dist/index.cjs');
const { writeReport, idle, serializeError } = require('./probe-core.cjs');

const PM2_VARS =
  /^(pm_|name$|namespace$|exec_mode$|instances$|instance_var$|NODE_APP_INSTANCE$|autorestart$|unique_id$|status$|restart_time$|unstable_restarts$|created_at$|exit_code$)/;
for (const key of Object.keys(process.env)) if (PM2_VARS.test(key)) delete process.env[key];

function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

async function main() {
  idle();
  const report = { pid: process.pid, cases: {} };
  try {
    for (const { label, bin, queryTimeoutMs } of JSON.parse(process.env.FAKE_CASES)) {
      const self = lib.createPm2Self({ route: 'cli', pm2Bin: bin, queryTimeoutMs, cacheTtlMs: 0 });
      const started = performance.now();
      const identity = await self.getIdentity();
      const result = { identity, elapsedMs: performance.now() - started, name: await self.getProcessName() };
      if (label === 'hang') {
        const text = fs.existsSync(process.env.FAKE_PID_FILE)
          ? fs.readFileSync(process.env.FAKE_PID_FILE, 'utf8').trim()
          : null;
        result.hungPid = text === null ? null : Number(text);
        result.hungAliveAfter = result.hungPid === null ? null : isAlive(result.hungPid);
      }
      report.cases[label] = result;
    }
    const rpc = lib.createPm2Self({ route: 'rpc' });
    report.afterwards = {
      identity: await rpc.getIdentity(),
      name: await rpc.getProcessName(),
      status: await rpc.getStatus(),
    };
  } catch (error) {
    report.error = serializeError(error);
  }
  writeReport(process.env.REPORT_FILE, report);
}

void main();
