#!/usr/bin/env node
/**
 * Runs every benchmark of pm2-self, prints a table and writes bench/RESULTS.md.
 *
 *   npm run bench                      # build, then all benchmarks, full repetitions (~12-15 min, the
 *                                      # scale section alone ~8: PM2SELF_SCALE_BASELINE=<rev> adds `before`)
 *   npm run bench:quick                # build, then every benchmark with fewer repetitions (~1-2 min):
 *                                      # CI's check that each still runs (exit 1 on an ERROR row)
 *   node bench/run.mjs --only import,parse [--out file.md]
 *
 * Benchmarks needing pm2 start their own daemon in a temporary PM2_HOME and kill it (with every
 * app) when done; a leftover process is an error. With --quick or --only, RESULTS.md is written only
 * when --out is given.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { DIST_CJS, DIST_ESM, ROOT, fmt } from './lib/common.mjs';
import { disposeAllSandboxes } from './lib/pm2-sandbox.mjs';
import { machineInfo, renderMarkdown, renderTable, verdict } from './lib/report.mjs';

const BENCHMARKS = {
  import: { title: 'Import cost', load: () => import('./import-cost.mjs') },
  identity: { title: 'Identity, common case', load: () => import('./identity.mjs') },
  daemon: { title: 'Daemon view', load: () => import('./daemon-view.mjs') },
  eventloop: { title: 'Event-loop blocking', load: () => import('./event-loop.mjs') },
  restart: { title: 'Restart downtime', load: () => import('./restart-downtime.mjs') },
  parse: { title: 'Parsing a 200-process list', load: () => import('./parse-list.mjs') },
  nodaemon: { title: 'No pm2 daemon', load: () => import('./no-daemon.mjs') },
  scale: { title: 'Scale (N apps, 1 Hz each)', load: () => import('./scale.mjs') },
  watchdog: { title: 'Watchdog', load: () => import('./watchdog.mjs') },
  local: { title: 'Local answer', load: () => import('./local-answer.mjs') },
};

function parseArgs(argv) {
  const args = { quick: false, only: null, out: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only') args.only = argv[++i];
    else if (arg.startsWith('--only=')) args.only = arg.slice(7);
    else if (arg === '--out') args.out = argv[++i];
    else if (arg.startsWith('--out=')) args.out = arg.slice(6);
    else if (arg === '--help' || arg === '-h') {
      console.log(
        'usage: node bench/run.mjs [--quick] [--only import,identity,daemon,eventloop,restart,parse,nodaemon,scale,watchdog,local] [--out RESULTS.md]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const selected = args.only
  ? args.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : Object.keys(BENCHMARKS);
for (const name of selected)
  if (!BENCHMARKS[name])
    throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
if (!existsSync(DIST_CJS) || !existsSync(DIST_ESM)) {
  console.error(
    `bench: ${DIST_CJS} / ${DIST_ESM} missing: run \`npm run build\` first (or \`npm run bench\`).`,
  );
  process.exit(2);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\nbench: ${signal}, killing the private pm2 daemons...`);
    void disposeAllSandboxes().finally(() => process.exit(130));
  });
}

const log = (message) => console.error(`[bench] ${message}`);
const machine = machineInfo();
const startedLoad = loadavg();
const started = Date.now();
const commit = await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, reject: false }).then(
  (r) => (r.exitCode === 0 ? r.stdout.trim() : null),
  () => null,
);
log(
  `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, pm2 ${machine.pm2}, load ${startedLoad.map((l) => l.toFixed(2)).join(' ')}${args.quick ? ', quick' : ''}`,
);

const rows = [];
const notes = [];
const details = [];
const sections = [];
for (const name of selected) {
  const { title, load } = BENCHMARKS[name];
  const t0 = Date.now();
  log(`${title}...`);
  try {
    const module = await load();
    const result = await module.run({ quick: args.quick, log });
    rows.push(...result.rows);
    notes.push(...(result.notes ?? []));
    if (result.details) details.push([title, result.details]);
    if (result.section) sections.push(result.markedSection ?? result.section);
  } catch (error) {
    rows.push({
      bench: title,
      measure: 'benchmark failed',
      error: String(error?.message ?? error)
        .split('\n')[0]
        .slice(0, 300),
    });
    notes.push(`${title} failed: ${String(error?.stack ?? error).slice(0, 1500)}`);
    log(`${title} FAILED: ${error?.stack ?? error}`);
  }
  log(`${title}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
await disposeAllSandboxes();

const endedLoad = loadavg();
console.log('');
console.log(renderTable(rows));
const counts = { PASS: 0, GAP: 0, ERROR: 0, info: 0 };
for (const row of rows) counts[verdict(row)] += 1;
if (notes.length > 0) console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
console.log(
  `\n${counts.PASS} PASS, ${counts.GAP} GAP, ${counts.ERROR} ERROR, ${counts.info} informative; load average ${fmt(startedLoad[0], 2)} -> ${fmt(endedLoad[0], 2)} on ${machine.cores} cores`,
);

// Only a full run of every benchmark refreshes RESULTS.md; --quick and --only write only to --out.
const out = args.out ?? (args.only || args.quick ? null : join(ROOT, 'bench', 'RESULTS.md'));
if (out) {
  const round = (value) => (typeof value === 'number' ? Math.round(value * 1000) / 1000 : value);
  const rounded = JSON.parse(JSON.stringify(details, (_key, value) => round(value)));
  await writeFile(
    out,
    renderMarkdown({
      machine,
      rows,
      notes,
      details: rounded,
      sections,
      quick: args.quick,
      only: args.only,
      startedLoad,
      endedLoad,
      commit,
      durationS: (Date.now() - started) / 1000,
    }),
  );
  console.log(`written: ${out}`);
}
process.exitCode = counts.ERROR > 0 ? 1 : 0;
