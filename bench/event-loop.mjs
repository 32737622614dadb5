/**
 * Event-loop blocking: inside an app under pm2, perf_hooks.monitorEventLoopDelay({ resolution: 1 })
 * max while one fresh daemon query runs (route 'rpc' and route 'cli'), against the same query
 * done with child_process.execSync('pm2 jlist -s') (`blockingJlistExecSync` in bench/apps/probe.cjs,
 * the only execSync in this repository, there as the thing compared against) and against an idle
 * window of the same shape (the noise floor).
 */
import { median, quantile, summary } from './lib/common.mjs';
import { runProbe } from './lib/probe-runner.mjs';

export async function run({ quick, log }) {
  const { result } = await runProbe('eventloop', { quick, log });
  const s = result.samples;
  const m = (key) => median(s[key].maxMs);
  const bench = 'Event-loop blocking';
  const rows = [
    {
      bench,
      measure: "max loop delay during a fresh query, route 'rpc'",
      value: m('rpc'),
      unit: 'ms',
      alt: 'execSync(pm2 jlist)',
      altValue: m('execSync'),
      ratio: m('rpc') / m('execSync'),
      target: '< 10 ms',
      pass: m('rpc') < 10,
    },
    {
      bench,
      measure: "max loop delay during a fresh query, route 'cli'",
      value: m('cli'),
      unit: 'ms',
      alt: 'execSync(pm2 jlist)',
      altValue: m('execSync'),
      ratio: m('cli') / m('execSync'),
      target: '< 10 ms',
      pass: m('cli') < 10,
    },
    {
      bench,
      measure: 'max loop delay during bare `pm2 jlist -s` with execa',
      value: m('bareExeca'),
      unit: 'ms',
      alt: 'execSync(pm2 jlist)',
      altValue: m('execSync'),
      ratio: m('bareExeca') / m('execSync'),
      target: 'info',
      pass: null,
    },
    {
      bench,
      measure: 'max loop delay, idle window (noise floor)',
      value: m('idle'),
      unit: 'ms',
      alt: 'p90 of the idle windows',
      altValue: quantile(s.idle.maxMs, 0.9),
      target: 'info',
      pass: null,
    },
  ];
  const notes = [
    `Event loop: ${result.reps} repetitions per operation, interleaved; each window = 5 ms + the operation + 10 ms; figures are medians of the per-window max (p90 of the rpc / cli windows: ${quantile(s.rpc.maxMs, 0.9).toFixed(1)} / ${quantile(s.cli.maxMs, 0.9).toFixed(1)} ms). Operation durations (median): rpc ${median(s.rpc.opMs).toFixed(1)} ms, cli ${median(s.cli.opMs).toFixed(1)} ms, execSync ${median(s.execSync.opMs).toFixed(1)} ms.`,
  ];
  const details = Object.fromEntries(
    Object.entries(s).map(([k, v]) => [k, { maxMs: summary(v.maxMs), opMs: summary(v.opMs) }]),
  );
  return { rows, notes, details };
}
