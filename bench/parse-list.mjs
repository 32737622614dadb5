/**
 * Parsing a synthetic 200-process list (~1.2 MB, see bench/lib/synthetic-list.mjs) through the
 * built package's public API, with fake ports (see bench/workers/parse-worker.mjs): time per
 * getInfo({ live: true }) and the memory of one cold call, against JSON.parse of the text alone.
 * Each worker is a fresh `node --expose-gc` process.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cleanEnv, median, runTimed, summary } from './lib/common.mjs';
import { buildSyntheticList } from './lib/synthetic-list.mjs';

const WORKER = join(ROOT, 'bench', 'workers', 'parse-worker.mjs');
const VARIANTS = ['jsonParse', 'libOnly', 'endToEnd', 'fromList'];

async function worker(file, args) {
  const result = await runTimed(process.execPath, ['--expose-gc', WORKER, file, ...args], {
    env: cleanEnv(),
  });
  if (result.code !== 0)
    throw new Error(`parse worker ${args.join(' ')} failed: ${result.stderr.slice(0, 800)}`);
  return JSON.parse(result.stdout);
}

export async function run({ quick, log }) {
  const processes = quick ? 1 : 3;
  const iterations = quick ? 7 : 21;
  const dir = await mkdtemp(join(tmpdir(), 'pm2-self-bench-parse-'));
  const timing = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const memory = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  let bytes;
  let entries;
  try {
    const built = buildSyntheticList();
    bytes = built.bytes;
    entries = built.list.length;
    const file = join(dir, 'jlist-200.json');
    await writeFile(file, built.text);
    for (let p = 0; p < processes; p++) {
      const t = await worker(file, ['timing', String(iterations)]);
      for (const v of VARIANTS) timing[v].push(median(t.samples[v]));
      for (const v of VARIANTS) memory[v].push(await worker(file, ['memory', v]));
      log(`parse: worker round ${p + 1}/${processes}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const t = (v) => median(timing[v]);
  const mem = (v, key) => median(memory[v].map((m) => m[key]));
  const MB = 1024 * 1024;
  const bench = `Parse ${entries}-process list (${(bytes / 1e6).toFixed(2)} MB)`;
  const rows = [
    {
      bench,
      measure: 'JSON.parse of the text alone',
      value: t('jsonParse'),
      unit: 'ms',
      target: 'baseline',
      pass: null,
    },
    {
      bench,
      measure: 'getInfo({live:true}), list already parsed (library share)',
      value: t('libOnly'),
      unit: 'ms',
      alt: 'JSON.parse alone',
      altValue: t('jsonParse'),
      ratio: t('libOnly') / t('jsonParse'),
      target: 'info',
      pass: null,
    },
    {
      bench,
      measure: 'getInfo({live:true}) incl. JSON.parse',
      value: t('endToEnd'),
      unit: 'ms',
      alt: 'JSON.parse alone',
      altValue: t('jsonParse'),
      ratio: t('endToEnd') / t('jsonParse'),
      target: '< 30 ms',
      pass: t('endToEnd') < 30,
    },
    {
      bench,
      measure: 'no pm2 env: match own pid in the list + getInfo({live:true})',
      value: t('fromList'),
      unit: 'ms',
      alt: 'JSON.parse alone',
      altValue: t('jsonParse'),
      ratio: t('fromList') / t('jsonParse'),
      target: '< 30 ms',
      pass: t('fromList') < 30,
    },
    {
      bench,
      measure: 'heapUsed growth, one cold getInfo({live:true}) incl. parse',
      value: mem('endToEnd', 'heapUsedDelta') / MB,
      unit: 'MiB',
      alt: 'JSON.parse alone',
      altValue: mem('jsonParse', 'heapUsedDelta') / MB,
      ratio: mem('endToEnd', 'heapUsedDelta') / mem('jsonParse', 'heapUsedDelta'),
      target: 'info',
      pass: null,
    },
    {
      bench,
      measure: 'peak RSS growth, one cold getInfo({live:true}) incl. parse',
      value: mem('endToEnd', 'peakRssDelta') / MB,
      unit: 'MiB',
      alt: 'JSON.parse alone',
      altValue: mem('jsonParse', 'peakRssDelta') / MB,
      ratio: mem('endToEnd', 'peakRssDelta') / mem('jsonParse', 'peakRssDelta'),
      target: 'info',
      pass: null,
    },
  ];
  const notes = [
    `Parse: ${processes} worker process(es) x ${iterations} timed iterations per variant (after 3 warm-up ones), interleaved; median of the per-process medians. Memory: one cold call per fresh process after gc(), heapUsed and maxRSS (getrusage) deltas; cold call times (median): ${VARIANTS.map((v) => `${v} ${mem(v, 'coldMs').toFixed(1)} ms`).join(', ')}.`,
  ];
  const details = {
    bytes,
    entries,
    timingMs: Object.fromEntries(VARIANTS.map((v) => [v, summary(timing[v])])),
    memory,
  };
  return { rows, notes, details };
}
