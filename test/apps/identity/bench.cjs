/* global performance */
'use strict';
// A pm2 app that measures getInfo() (no daemon query) and getInfo({ live: true }) (one daemon query
// per call, cacheTtlMs 0) through the RPC and the CLI routes, and reports the timings.
const lib = require('../../../dist/index.cjs');
const { writeReport, idle, serializeError, REPO_ROOT } = require('./probe-core.cjs');

const CALLS = Number(process.env.BENCH_CALLS || 1000);
const CLI_LIVE_CALLS = Number(process.env.BENCH_CLI_LIVE_CALLS || 40);

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    calls: sorted.length,
    medianMs: median,
    p90Ms: at(0.9),
    minMs: sorted[0],
    maxMs: sorted[sorted.length - 1],
  };
}

async function measure(calls, call) {
  const times = [];
  const failures = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const info = await call();
    times.push(performance.now() - started);
    if (info === null || (info.daemon !== null && info.daemon.ok !== true))
      failures.push(info === null ? 'null' : info.daemon.problem);
  }
  return { ...stats(times), failures: failures.length, firstFailure: failures[0] ?? null };
}

async function main() {
  idle();
  const report = { pid: process.pid };
  try {
    for (const route of ['rpc', 'cli']) {
      const self = lib.createPm2Self({ route, cacheTtlMs: 0, cwd: REPO_ROOT });
      const coldStart = performance.now();
      const first = await self.getInfo();
      const coldMs = performance.now() - coldStart;
      const liveSample = await self.getInfo({ live: true });
      report[route] = {
        firstCallMs: coldMs,
        firstRelation: first && first.relation,
        liveVia: liveSample && liveSample.daemon,
        getInfo: await measure(CALLS, () => self.getInfo()),
        getInfoLive: await measure(route === 'cli' ? CLI_LIVE_CALLS : CALLS, () =>
          self.getInfo({ live: true }),
        ),
      };
    }
  } catch (error) {
    report.error = serializeError(error);
  }
  writeReport(process.env.REPORT_FILE, report);
}

void main();
