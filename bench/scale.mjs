#!/usr/bin/env node
/**
 * Scale: N apps under one private pm2 daemon (fork mode, `pmx: false`), each asking for its live status
 * once a second, at a random phase. Per run: start the N apps, wait until all are online, warm up, then
 * measure over a window (30 s; 6 s with --quick) the daemon's CPU and the apps' own CPU (the run time
 * of every thread from /proc/<pid>/task/<tid>/schedstat, in ns, plus reaped children's utime + stime),
 * and every call's latency as the app saw it. The apps keep their samples in memory and report once,
 * after the window, when SIGUSR2 asks them.
 *
 * Modes: `after` (this checkout's dist), `before` (the dist of another revision, built by
 * lib/baseline-dist.mjs when --before / --baseline or PM2SELF_SCALE_BASELINE names one), `seed`
 * (`execSync('pm2 jlist')` per call, at the smallest N only), `idle` (library loaded and handler
 * installed, no calls, every N: the floor) and `timer` (the 1 Hz timer alone, no library, every N: the
 * control that shows what the wake costs). The total is daemon + apps over the idle run of the same N.
 *
 *   npm run bench:scale -- --ns 25,50,100,200 --window 30 --before <rev>
 *                                      # build, then this section alone; updates the "Scale" section of
 *                                      # bench/RESULTS.md (not with --modes, --quick or --no-write)
 *   node bench/scale.mjs [--before <rev>] [--ns 25,50] [--window 30] [--modes idle,after] [--reps 1]
 *                        [--quick] [--no-write]
 *
 * Every daemon and app is killed by its sandbox; a process left behind is an error.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { DIST_CJS, PM2_BIN, ROOT, fmt, median, quantile, sleep } from './lib/common.mjs';
import { buildBaselineDist } from './lib/baseline-dist.mjs';
import { createPm2Sandbox, disposeAllSandboxes } from './lib/pm2-sandbox.mjs';
import { machineInfo, renderTable } from './lib/report.mjs';

const APP = join(ROOT, 'bench', 'apps', 'scale-app.cjs');
const BENCH = 'Scale (N apps, 1 Hz each)';
const TARGET_PERCENT = 1;
/** Issue 20: 100 apps polling at 1 Hz cost under 3 % of a core in all, over the same apps idle. */
const TOTAL_TARGET_PERCENT = 3;

/**
 * CPU time of a pid in ns: the run time of each of its threads (schedstat, ns-precise), plus its reaped
 * children's utime + stime (clock ticks; the seed's `pm2 jlist` children) with `children`; 0 when gone.
 */
async function cpuNs(pid, ticksPerSecond, children = false) {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => []);
  const runs = await Promise.all(
    tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').catch(() => '0')),
  );
  const threads = runs.reduce((sum, text) => sum + (Number(text.split(' ')[0]) || 0), 0);
  if (!children) return threads;
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const reaped = [13, 14].reduce((sum, i) => sum + (Number.parseInt(fields[i] ?? '0', 10) || 0), 0);
  return threads + (reaped / ticksPerSecond) * 1e9;
}

async function sumNs(pids, ticksPerSecond, children) {
  const all = await Promise.all(pids.map((pid) => cpuNs(pid, ticksPerSecond, children)));
  return all.reduce((a, b) => a + b, 0);
}

async function clockTicks() {
  const result = await execa('getconf', ['CLK_TCK'], { reject: false });
  const ticks = Number.parseInt(result.stdout, 10);
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}

/** One run: N apps in `mode`, the daemon's and apps' CPU over the window, the calls' latencies. */
async function runOnce({ n, mode, dist, windowMs, warmupMs, ticksPerSecond, log }) {
  const sandbox = await createPm2Sandbox(`pm2-self-scale-${mode}-${n}-`);
  const dir = await mkdtemp(join(tmpdir(), `pm2-self-scale-out-`));
  let outcome;
  let report;
  try {
    const appMode = mode === 'before' || mode === 'after' ? 'lib' : mode;
    const env = {
      SCALE_MODE: appMode,
      SCALE_DIR: dir,
      SCALE_PM2_BIN: PM2_BIN,
      PM2_SELF_DIST: dist ?? DIST_CJS,
      PM2_SILENT: 'true',
    };
    const apps = Array.from({ length: n }, (_, i) => ({
      name: `scale-${i}`,
      script: APP,
      exec_mode: 'fork',
      pmx: false,
      autorestart: false,
      env,
    }));
    const config = join(sandbox.home, 'apps.json');
    await writeFile(config, JSON.stringify({ apps }));
    await sandbox.pm2(['start', config], { timeoutMs: 300_000 });
    const list = await sandbox.waitFor(
      (l) => l.length === n && l.every((p) => p.pm2_env.status === 'online' && p.pid > 0),
      120_000,
      500,
    );
    const daemonPid = await sandbox.daemonPid();
    const appPids = list.map((p) => p.pid);
    await sleep(warmupMs);
    // Reading every thread's run time takes a while at large N: each edge is the middle of its reads.
    const before0 = Date.now();
    const daemon0 = await cpuNs(daemonPid, ticksPerSecond);
    const apps0 = await sumNs(appPids, ticksPerSecond, true);
    const from = Math.round((before0 + Date.now()) / 2);
    await sleep(windowMs);
    const before1 = Date.now();
    const daemon1 = await cpuNs(daemonPid, ticksPerSecond);
    const apps1 = await sumNs(appPids, ticksPerSecond, true);
    const to = Math.round((before1 + Date.now()) / 2);
    const seconds = (to - from) / 1000;
    await writeFile(join(dir, 'collect.json'), JSON.stringify({ from, to }));
    // Each app reports once, now that the window is over.
    for (const pid of appPids) process.kill(pid, 'SIGUSR2');
    const until = Date.now() + 60_000;
    let files = [];
    while (Date.now() < until) {
      files = (await readdir(dir)).filter((f) => /^result-\d+\.json$/.test(f));
      if (files.length === n) break;
      await sleep(200);
    }
    if (files.length !== n) throw new Error(`${mode} N=${n}: ${files.length} of ${n} apps reported`);
    const results = await Promise.all(
      files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8'))),
    );
    const end = await sandbox.jlist();
    const down = end.filter((p) => p.pm2_env.status !== 'online' || p.pm2_env.restart_time !== 0);
    if (down.length > 0)
      throw new Error(`${mode} N=${n}: ${down.length} app(s) not online without restarts at the end`);
    const latencies = results.flatMap((r) => r.samples.map((s) => s[1]));
    const calls = latencies.length;
    const online = results.reduce((sum, r) => sum + r.samples.filter((s) => s[2] === 1).length, 0);
    outcome = {
      n,
      mode,
      seconds,
      daemonPercent: ((daemon1 - daemon0) / 1e9 / seconds) * 100,
      appsPercent: ((apps1 - apps0) / 1e9 / seconds) * 100,
      calls,
      callsPerAppPerSecond: calls / n / seconds,
      onlineShare: calls === 0 ? null : online / calls,
      skipped: results.reduce((sum, r) => sum + r.skipped, 0),
      // Connections to rpc.sock by the library (the seed's CLI children connect on their own: not counted).
      queriesPerSecond: results.reduce((sum, r) => sum + r.queries, 0) / seconds,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      worstCallerP99Ms: Math.max(
        ...results.map((r) =>
          quantile(
            r.samples.map((s) => s[1]),
            0.99,
          ),
        ),
      ),
      load: loadavg()[0],
    };
    log(
      `scale ${mode} N=${n}: daemon ${fmt(outcome.daemonPercent, 2)}% of a core, ${fmt(outcome.queriesPerSecond, 2)} queries/s, apps ${fmt(outcome.appsPercent, 1)}%, p50 ${fmt(outcome.p50Ms)} ms, p99 ${fmt(outcome.p99Ms)} ms, ${calls} calls, load ${fmt(outcome.load, 2)}`,
    );
  } finally {
    report = await sandbox.dispose();
    await rm(dir, { recursive: true, force: true });
  }
  if (report.survivors.length > 0)
    throw new Error(`scale ${mode} N=${n}: processes survived: ${JSON.stringify(report.survivors)}`);
  return outcome;
}

/** The median run of a repeated configuration (by daemon CPU), with the spread. */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.daemonPercent - b.daemonPercent);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    ...mid,
    daemonPercent: median(runs.map((r) => r.daemonPercent)),
    spread: runs.map((r) => r.daemonPercent),
  };
}

const pct = (value) => `${fmt(value, 2)} %`;

/** CPU over the idle run of the same N (daemon, apps, total), in % of a core; null without one. */
function overIdle(by, mode, n) {
  const r = by[`${mode}-${n}`];
  const idle = by[`idle-${n}`];
  if (!r || !idle || mode === 'idle' || mode === 'timer') return null;
  const daemon = r.daemonPercent - idle.daemonPercent;
  const apps = r.appsPercent - idle.appsPercent;
  return { daemon, apps, total: daemon + apps };
}

function section({ ns, by, baseline, windowS, reps, machine, load }) {
  const out = ['## Scale: N apps polling at 1 Hz', ''];
  out.push(
    `\`bench/scale.mjs\`, ${machine.cores} cores, pm2 ${machine.pm2}, Node ${machine.node}, ${machine.date}; load average ${load.map((l) => fmt(l, 2)).join(' -> ')}. ` +
      `Each app (fork mode, \`pmx: false\`) asks for its live status once a second at a random phase; ${windowS} s window per run, ${reps} run(s) per configuration (median; spread in brackets). ` +
      `CPU = the run time of every thread over the window (/proc/<pid>/task/*/schedstat, ns), in % of one core; apps' CPU includes their reaped children. ` +
      `The apps keep their samples in memory and report once, after the window. ` +
      `\`timer\` = a 1 Hz timer alone, no library (what the wake costs); \`idle\` = library loaded, handler installed, no calls (the floor); ` +
      `\`before\` = revision ${baseline ?? '(none given)'}; \`after\` = this checkout; \`seed\` = \`execSync('pm2 jlist')\` per call.`,
    '',
  );
  out.push(
    "| N | mode | daemon CPU | daemon CPU per app | daemon queries/s | apps' CPU | CPU per app | daemon over idle | apps over idle | total over idle | p50 | p99 | worst caller p99 | calls/s | calls/app/s | answers `online` |",
  );
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const n of ns)
    for (const mode of ['timer', 'idle', 'seed', 'before', 'after']) {
      const r = by[`${mode}-${n}`];
      if (!r) continue;
      const spread = r.spread.length > 1 ? ` [${r.spread.map((v) => fmt(v, 2)).join(', ')}]` : '';
      const over = overIdle(by, mode, n);
      const overCells = over ? `${pct(over.daemon)} | ${pct(over.apps)} | ${pct(over.total)}` : ' | | ';
      const calling = mode !== 'idle' && mode !== 'timer';
      // µs of CPU per app per second: the timer row is what a 1 Hz wake alone costs.
      const perApp = `${fmt((r.appsPercent / 100 / n) * 1e6, 0)} µs/s`;
      out.push(
        `| ${n} | ${mode} | ${pct(r.daemonPercent)}${spread} | ${fmt(r.daemonPercent / n, 4)} % | ${mode === 'before' || mode === 'after' ? fmt(r.queriesPerSecond, 2) : ''} | ${pct(r.appsPercent)} | ${perApp} | ${overCells} | ${calling ? `${fmt(r.p50Ms)} ms` : ''} | ${calling ? `${fmt(r.p99Ms)} ms` : ''} | ${calling ? `${fmt(r.worstCallerP99Ms)} ms` : ''} | ${fmt(r.calls / r.seconds, 1)} | ${fmt(r.callsPerAppPerSecond, 2)} | ${r.onlineShare === null ? '' : `${fmt(r.onlineShare * 100, 1)} %`} |`,
      );
    }
  out.push('');
  return out.join('\n');
}

export async function run({
  quick = false,
  log = () => {},
  baseline = process.env.PM2SELF_SCALE_BASELINE,
  ns,
  windowS,
  reps,
  modes,
} = {}) {
  const sizes = ns ?? (quick ? [5, 10] : [25, 50, 100, 200]);
  const windowMs = (windowS ?? (quick ? 6 : 30)) * 1000;
  const repeats = reps ?? 1;
  const ticksPerSecond = await clockTicks();
  const machine = machineInfo();
  const loadStart = loadavg()[0];
  const before = baseline ? await buildBaselineDist(baseline) : null;
  if (before) log(`scale: baseline ${before.sha} built at ${before.cjs}`);
  const plan = [];
  for (let rep = 0; rep < repeats; rep++)
    for (const n of sizes) {
      if (n === sizes[0]) plan.push({ n, mode: 'seed' });
      // The control at every N: a 1 Hz timer alone (what the wake costs, with no library at all).
      plan.push({ n, mode: 'timer' });
      // The floor at every N: the total over idle is what the calls cost, daemon and apps together.
      plan.push({ n, mode: 'idle' });
      if (before) plan.push({ n, mode: 'before', dist: before.cjs });
      plan.push({ n, mode: 'after' });
    }
  const runs = {};
  for (const step of plan.filter((s) => !modes || modes.includes(s.mode))) {
    // A Node app's first ~15 s carry start-up CPU (GC, lazy compilation) that is not the calls' cost.
    const result = await runOnce({ ...step, windowMs, warmupMs: quick ? 3000 : 20_000, ticksPerSecond, log });
    (runs[`${step.mode}-${step.n}`] ??= []).push(result);
  }
  const by = Object.fromEntries(Object.entries(runs).map(([key, list]) => [key, medianRun(list)]));
  const windowSeconds = windowMs / 1000;
  const markdown = section({
    ns: sizes,
    by,
    baseline: before?.sha ?? null,
    windowS: windowSeconds,
    reps: repeats,
    machine,
    load: [loadStart, loadavg()[0]],
  });
  if (modes)
    return {
      rows: [],
      notes: [`Scale: partial run (${modes.join(', ')})`],
      details: { runs },
      section: markdown,
    };
  const small = sizes[0];
  const large = sizes[sizes.length - 1];
  const rows = [];
  for (const n of sizes) {
    const after = by[`after-${n}`];
    const prior = by[`before-${n}`];
    /** A CPU row of the after run beside before, with a limit at N=100. */
    const cpuRow = (measure, value, priorValue, limit) => ({
      bench: BENCH,
      measure: `${measure}, N=${n} (after)`,
      value,
      unit: '% of a core',
      alt: priorValue === undefined ? undefined : `before (${before.sha})`,
      altValue: priorValue,
      ratio: priorValue === undefined ? undefined : value / priorValue,
      target: n === 100 ? `< ${limit}% at N=100` : 'info',
      pass: n === 100 ? value < limit : null,
    });
    rows.push(
      cpuRow('daemon CPU, getInfo({live:true})', after.daemonPercent, prior?.daemonPercent, TARGET_PERCENT),
    );
    const total = overIdle(by, 'after', n);
    if (total)
      rows.push(
        cpuRow(
          'total CPU over idle (daemon + apps)',
          total.total,
          overIdle(by, 'before', n)?.total,
          TOTAL_TARGET_PERCENT,
        ),
      );
    rows.push({
      bench: BENCH,
      measure: `caller latency p50 / p99, N=${n} (after)`,
      value: `${fmt(after.p50Ms)} / ${fmt(after.p99Ms)} ms`,
      alt: prior ? `before (${before.sha})` : undefined,
      altValue: prior ? `${fmt(prior.p50Ms)} / ${fmt(prior.p99Ms)} ms` : undefined,
      ratioText: prior
        ? `${fmt(after.p50Ms / prior.p50Ms, 2)}x / ${fmt(after.p99Ms / prior.p99Ms, 2)}x`
        : undefined,
      target: 'info',
      pass: null,
    });
  }
  const growth = by[`after-${large}`].daemonPercent / by[`after-${small}`].daemonPercent;
  const linear = large / small;
  rows.push({
    bench: BENCH,
    measure: `daemon CPU growth N=${small} -> N=${large} (after)`,
    value: growth,
    unit: 'x',
    alt: 'linear growth',
    altValue: linear,
    ratio: growth / linear,
    target: `<= ${linear * 1.5}x (linear, with noise)`,
    pass: growth <= linear * 1.5,
  });
  // What the calls cost in all grows with N: the total over idle, from the smallest N to the largest.
  const totalSmall = overIdle(by, 'after', small)?.total;
  const totalLarge = overIdle(by, 'after', large)?.total;
  if (totalSmall !== undefined && totalLarge !== undefined && totalSmall > 0) {
    const totalGrowth = totalLarge / totalSmall;
    rows.push({
      bench: BENCH,
      measure: `total CPU over idle growth N=${small} -> N=${large} (after)`,
      value: totalGrowth,
      unit: 'x',
      alt: 'linear growth',
      altValue: linear,
      ratio: totalGrowth / linear,
      target: `<= ${linear * 1.5}x (linear, with noise)`,
      pass: totalGrowth <= linear * 1.5,
    });
  }
  const seed = by[`seed-${small}`];
  const after = by[`after-${small}`];
  rows.push({
    bench: BENCH,
    measure: `daemon CPU, N=${small}: after vs execSync('pm2 jlist') per call`,
    value: after.daemonPercent,
    unit: '% of a core',
    alt: 'seed approach',
    altValue: seed.daemonPercent,
    ratio: after.daemonPercent / seed.daemonPercent,
    target: 'info',
    pass: null,
  });
  rows.push({
    bench: BENCH,
    measure: `caller latency p50 / p99, N=${small}: after vs seed`,
    value: `${fmt(after.p50Ms)} / ${fmt(after.p99Ms)} ms`,
    alt: 'seed approach',
    altValue: `${fmt(seed.p50Ms)} / ${fmt(seed.p99Ms)} ms`,
    ratioText: `${fmt(after.p50Ms / seed.p50Ms, 3)}x / ${fmt(after.p99Ms / seed.p99Ms, 3)}x`,
    target: 'info',
    pass: null,
  });
  return {
    rows,
    notes: [
      `Scale: ${sizes.join(', ')} apps, ${windowSeconds} s window, ${repeats} run(s) per configuration; per-run figures in the Scale section.`,
    ],
    details: { runs },
    section: markdown,
    markedSection: markedSection(markdown),
  };
}

const SECTION_BEGIN = '<!-- scale:begin -->';
const SECTION_END = '<!-- scale:end -->';

/** The Scale section between the markers that let `bench:scale` replace it alone. */
export const markedSection = (markdown) => `${SECTION_BEGIN}\n${markdown}\n${SECTION_END}`;

/** Replaces (or appends) the marked Scale section of a markdown file. */
export function spliceSection(text, markdown) {
  const block = markedSection(markdown);
  const begin = text.indexOf(SECTION_BEGIN);
  const end = text.indexOf(SECTION_END);
  if (begin !== -1 && end > begin) return text.slice(0, begin) + block + text.slice(end + SECTION_END.length);
  return `${text.trimEnd()}\n\n${block}\n`;
}

async function main() {
  const args = {
    quick: false,
    baseline: undefined,
    ns: undefined,
    windowS: undefined,
    reps: undefined,
    write: true,
  };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--baseline' || arg === '--before') args.baseline = argv[++i];
    else if (arg === '--ns') args.ns = argv[++i].split(',').map(Number);
    else if (arg === '--window') args.windowS = Number(argv[++i]);
    else if (arg === '--reps') args.reps = Number(argv[++i]);
    else if (arg === '--modes') args.modes = argv[++i].split(',');
    else if (arg === '--no-write') args.write = false;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!existsSync(DIST_CJS)) throw new Error(`${DIST_CJS} missing: run \`npm run build\` first`);
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.on(signal, () => void disposeAllSandboxes().finally(() => process.exit(130)));
  const log = (message) => console.error(`[bench] ${message}`);
  const result = await run({ ...args, baseline: args.baseline ?? process.env.PM2SELF_SCALE_BASELINE, log });
  console.log(renderTable(result.rows));
  console.log(`\n${result.section}`);
  if (args.write && !args.quick && !args.modes) {
    const file = join(ROOT, 'bench', 'RESULTS.md');
    const text = existsSync(file) ? await readFile(file, 'utf8') : '# pm2-self benchmark results\n';
    await writeFile(file, spliceSection(text, result.section));
    console.log(`written: ${file} (Scale section)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch(async (error) => {
    console.error(error?.stack ?? error);
    await disposeAllSandboxes();
    process.exit(1);
  });
}
