/**
 * Identity, common case: inside an app under pm2 (fork mode), the throughput of
 * `await getProcessName()` after the first call and the per-call time of `await getInfo()`, against
 * hand-rolled equivalents (reading process.env / process.memoryUsage() directly). Counts the child
 * processes spawned and the sockets opened during the loops (both must be 0).
 */
import { median, summary } from './lib/common.mjs';
import { runProbe } from './lib/probe-runner.mjs';

export async function run({ quick, log }) {
  const { result, dispose } = await runProbe('identity', { quick, log });
  const s = result.samples;
  const nameRate = median(s.nameCallsPerSec);
  const handRate = median(s.handNameCallsPerSec);
  const infoUs = median(s.infoUs);
  const handInfoUs = median(s.handInfoUs);
  const bench = 'Identity (in a pm2 fork app)';
  const rows = [
    {
      bench,
      measure: 'await getProcessName(), after the first call',
      value: nameRate,
      unit: 'calls/s',
      alt: 'async () => process.env.name',
      altValue: handRate,
      ratio: nameRate / handRate,
      target: '> 1M calls/s',
      pass: nameRate > 1e6,
    },
    {
      bench,
      measure: 'await getInfo(), per call',
      value: infoUs,
      unit: 'µs',
      alt: 'hand-rolled env + memoryUsage()',
      altValue: handInfoUs,
      ratio: infoUs / handInfoUs,
      target: '< 50 µs',
      pass: infoUs < 50,
    },
    {
      bench,
      measure: 'subprocesses spawned / daemon sockets opened during the loops',
      value: `${result.spawnedDuringLoops} / ${result.connectsDuringLoops}`,
      alt: 'new children in /proc',
      altValue: String(result.newChildPids.length),
      target: '0 / 0',
      pass:
        result.spawnedDuringLoops === 0 &&
        result.connectsDuringLoops === 0 &&
        result.newChildPids.length === 0,
    },
    {
      bench,
      measure: 'first getProcessName() of the process (cold instance)',
      value: result.coldMs,
      unit: 'ms',
      alt: 'first call on a 2nd fresh instance',
      altValue: result.secondColdMs,
      ratio: result.coldMs / result.secondColdMs,
      target: 'info',
      pass: null,
    },
  ];
  const notes = [
    `Identity: ${result.nameCalls} getProcessName() calls and ${result.infoCalls} getInfo() calls per repetition, ${s.nameCallsPerSec.length} repetitions (median); identity source ${result.identitySource}, relation ${result.relation}; ${dispose.killedByForce.length} process(es) needed a SIGKILL at cleanup.`,
  ];
  const details = {
    nameCallsPerSec: summary(s.nameCallsPerSec),
    handNameCallsPerSec: summary(s.handNameCallsPerSec),
    infoUs: summary(s.infoUs),
    handInfoUs: summary(s.handInfoUs),
    coldMs: result.coldMs,
    secondColdMs: result.secondColdMs,
  };
  return { rows, notes, details };
}
