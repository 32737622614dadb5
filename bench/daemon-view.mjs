/**
 * Daemon view, from inside an app under pm2 (fork mode, 3 idle neighbours):
 * - a fresh `getInfo({ live: true })` with `cacheTtlMs: 0` over the RPC route and over the CLI
 *   route, against a bare `pm2 jlist -s` run with execa (plus JSON.parse);
 * - 100 concurrent `getInfo({ live: true })` callers (default cache TTL) against one caller,
 *   counting the connections made to the daemon's socket.
 */
import { median, summary } from './lib/common.mjs';
import { runProbe } from './lib/probe-runner.mjs';

export async function run({ quick, log }) {
  const { result, processes } = await runProbe('daemon', { quick, log });
  const s = result.samples;
  const rpc = median(s.rpcMs);
  const cli = median(s.cliMs);
  const bare = median(s.bareJlistMs);
  const one = median(s.oneCallMs);
  const hundred = median(s.hundredCallsMs);
  const maxQueries = Math.max(...s.hundredCallsQueries);
  const bench = 'Daemon view';
  const rows = [
    {
      bench,
      measure: "fresh getInfo({live:true}), route 'rpc'",
      value: rpc,
      unit: 'ms',
      alt: 'bare `pm2 jlist -s` (execa)',
      altValue: bare,
      ratio: rpc / bare,
      target: '< 20 ms',
      pass: rpc < 20,
    },
    {
      bench,
      measure: "fresh getInfo({live:true}), route 'cli'",
      value: cli,
      unit: 'ms',
      alt: 'bare `pm2 jlist -s` (execa)',
      altValue: bare,
      ratio: cli / bare,
      target: '<= 1.10x bare jlist',
      pass: cli / bare <= 1.1,
    },
    {
      bench,
      measure: '100 concurrent getInfo({live:true}), default TTL',
      value: hundred,
      unit: 'ms',
      alt: 'one getInfo({live:true})',
      altValue: one,
      ratio: hundred / one,
      target: '1 query; <= 1.2x one call',
      pass: hundred / one <= 1.2 && maxQueries === 1,
    },
    {
      bench,
      measure: 'daemon queries made by the 100 callers (max over reps)',
      value: String(maxQueries),
      alt: 'queries made by one caller',
      altValue: String(Math.max(...s.oneCallQueries)),
      target: '1',
      pass: maxQueries === 1,
    },
  ];
  const local = median(s.hundredLocalMs);
  rows.push({
    bench,
    measure: '100 concurrent getInfo() without live (per-caller share)',
    value: local,
    unit: 'ms',
    alt: '100 concurrent getInfo({live:true})',
    altValue: hundred,
    ratio: local / hundred,
    target: 'info',
    pass: null,
  });
  const notes = [
    `Daemon view: ${result.reps} repetitions, interleaved (rpc, cli, bare, 1 caller, 100 callers); ${processes} processes in the daemon's list. Queries counted as connections to rpc.sock (net.Socket.prototype.connect).`,
  ];
  const details = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, summary(v)]));
  return { rows, notes, details };
}
