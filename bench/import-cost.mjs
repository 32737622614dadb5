/**
 * Import cost: fresh Node processes loading the built package (CJS and ESM), against bare Node,
 * `require('execa')` and `require('pm2')` (the latter in a throwaway PM2_HOME, since requiring pm2
 * creates files there). Each variant runs in N fresh processes, interleaved round-robin so that
 * machine noise spreads evenly; two warm-up rounds are discarded.
 *
 * Two figures per variant:
 * - wall: spawn() to exit, measured by this process (what a user waits for);
 * - load: hrtime around the require()/import() inside the child (the module graph's own cost,
 *   without process start-up and without pm2's ~150 ms exit delay).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import {
  DIST_CJS,
  DIST_ESM,
  ROOT,
  cleanEnv,
  median,
  processesWithMarker,
  runTimed,
  summary,
} from './lib/common.mjs';

const requireFromRoot = createRequire(join(ROOT, 'package.json'));

function cjsProgram(target) {
  const load = target === null ? '' : `require(${JSON.stringify(target)});`;
  return [
    '-e',
    `const t=process.hrtime.bigint();${load}process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`,
  ];
}

function esmProgram(target) {
  const load = target === null ? '' : `await import(${JSON.stringify(target)});`;
  return [
    '--input-type=module',
    '-e',
    `const t=process.hrtime.bigint();${load}process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`,
  ];
}

export async function run({ quick, log }) {
  const runs = quick ? 7 : 21;
  const pm2Home = await mkdtemp(join(tmpdir(), 'pm2-self-bench-import-'));
  const baseEnv = cleanEnv();
  const pm2Env = cleanEnv({ PM2_HOME: pm2Home });
  const execaPath = requireFromRoot.resolve('execa');
  const pm2Path = requireFromRoot.resolve('pm2');
  // A separate `node -e 0` too: the brief's baseline, with nothing measured inside.
  const variants = [
    { key: 'bare', label: 'node -e 0', args: ['-e', '0'], env: baseEnv, inProcess: false },
    { key: 'bareTimed', label: 'node -e (timer only)', args: cjsProgram(null), env: baseEnv },
    {
      key: 'bareEsm',
      label: 'node --input-type=module -e (timer only)',
      args: esmProgram(null),
      env: baseEnv,
    },
    { key: 'cjs', label: "require('dist/index.cjs')", args: cjsProgram(DIST_CJS), env: baseEnv },
    { key: 'esm', label: "await import('dist/index.js')", args: esmProgram(DIST_ESM), env: baseEnv },
    {
      key: 'esmEmpty',
      label: 'await import(an empty module)',
      args: esmProgram(join(ROOT, 'bench', 'lib', 'empty.mjs')),
      env: baseEnv,
    },
    {
      key: 'cjsEmpty',
      label: 'require(an empty module)',
      args: cjsProgram(join(ROOT, 'bench', 'lib', 'empty.cjs')),
      env: baseEnv,
    },
    { key: 'execa', label: "require('execa')", args: cjsProgram(execaPath), env: baseEnv },
    { key: 'pm2', label: "require('pm2')", args: cjsProgram(pm2Path), env: pm2Env },
  ];
  const samples = Object.fromEntries(variants.map((v) => [v.key, { wall: [], load: [] }]));
  let leftovers;
  try {
    for (let round = -2; round < runs; round++) {
      for (const variant of variants) {
        const result = await runTimed(process.execPath, variant.args, { env: variant.env, cwd: ROOT });
        if (result.code !== 0)
          throw new Error(
            `${variant.label} exited with ${result.code ?? result.signal}: ${result.stderr.slice(0, 500)}`,
          );
        if (round < 0) continue;
        samples[variant.key].wall.push(result.wallMs);
        if (variant.inProcess !== false) samples[variant.key].load.push(Number.parseFloat(result.stdout));
      }
      if (round >= 0 && (round + 1) % 7 === 0) log(`import cost: ${round + 1}/${runs} rounds`);
    }
  } finally {
    leftovers = await processesWithMarker(pm2Home);
    for (const proc of leftovers) process.kill(proc.pid, 'SIGKILL');
    await rm(pm2Home, { recursive: true, force: true });
  }
  if (leftovers.length > 0)
    throw new Error(`require('pm2') left processes running: ${JSON.stringify(leftovers)}`);

  const wall = (key) => median(samples[key].wall);
  const load = (key) => median(samples[key].load);
  // Paired: each round runs every variant back to back, so the per-round difference cancels most of
  // the machine's drift; the median of those differences is the cost over bare.
  const over = (key, base = 'bareTimed') =>
    median(samples[key].wall.map((w, i) => w - samples[base].wall[i]));
  const pairedRatio = (key, base) => median(samples[key].wall.map((w, i) => w / samples[base].wall[i]));
  const cjsOver = over('cjs');
  const esmOver = over('esm', 'bareEsm');
  const pm2Over = over('pm2');
  const execaOver = over('execa');
  const bench = 'Import cost';
  const rows = [
    {
      bench,
      measure: 'bare `node -e 0`, wall',
      value: wall('bare'),
      unit: 'ms',
      target: 'baseline',
      pass: null,
    },
    {
      bench,
      measure: 'CJS require(dist/index.cjs), wall over bare node',
      value: cjsOver,
      unit: 'ms',
      alt: 'bare node (timer-only -e)',
      altValue: wall('bareTimed'),
      ratio: pairedRatio('cjs', 'bareTimed'),
      target: '< 5 ms over bare',
      pass: cjsOver < 5,
    },
    {
      bench,
      measure: 'ESM import(dist/index.js), wall over bare ESM node',
      value: esmOver,
      unit: 'ms',
      alt: 'bare node --input-type=module',
      altValue: wall('bareEsm'),
      ratio: pairedRatio('esm', 'bareEsm'),
      target: '< 5 ms over bare',
      pass: esmOver < 5,
    },
    {
      bench,
      measure: 'CJS require(dist/index.cjs), in-process load',
      value: load('cjs'),
      unit: 'ms',
      alt: "require('pm2'), in-process",
      altValue: load('pm2'),
      ratio: load('cjs') / load('pm2'),
      target: 'info',
      pass: null,
    },
    {
      bench,
      measure: 'ESM import(dist/index.js), in-process load',
      value: load('esm'),
      unit: 'ms',
      alt: 'import() of an empty module (ESM loader)',
      altValue: load('esmEmpty'),
      ratio: load('esm') / load('esmEmpty'),
      target: 'info',
      pass: null,
    },
    {
      bench,
      measure: "require('pm2') cost / CJS package cost, wall over bare",
      // A package cost at or below 0 means "within the noise of process start-up": no ratio then.
      value: cjsOver > 0 ? pm2Over / cjsOver : 'n/a (package cost within noise)',
      unit: 'x',
      ratioText: `${pm2Over.toFixed(1)} ms vs ${cjsOver.toFixed(1)} ms`,
      alt: "require('pm2') over bare (throwaway PM2_HOME)",
      altValue: pm2Over,
      altUnit: 'ms',
      target: '>= 10x cheaper',
      pass: cjsOver <= 0 || pm2Over / cjsOver >= 10,
    },
    {
      bench,
      measure: "require('pm2') load / CJS package load, in-process",
      value: load('pm2') / load('cjs'),
      unit: 'x',
      ratioText: `${load('pm2').toFixed(1)} ms vs ${load('cjs').toFixed(2)} ms`,
      alt: "require('pm2'), in-process",
      altValue: load('pm2'),
      altUnit: 'ms',
      target: 'info (both include the first require())',
      pass: null,
    },
    {
      bench,
      measure: "require('pm2') / CJS package, in-process load over require() of an empty module",
      value: (load('pm2') - load('cjsEmpty')) / (load('cjs') - load('cjsEmpty')),
      unit: 'x',
      ratioText: `${(load('pm2') - load('cjsEmpty')).toFixed(1)} ms vs ${(load('cjs') - load('cjsEmpty')).toFixed(2)} ms`,
      alt: 'require() of an empty module (CJS loader start-up)',
      altValue: load('cjsEmpty'),
      altUnit: 'ms',
      target: '>= 10x cheaper',
      pass: (load('pm2') - load('cjsEmpty')) / (load('cjs') - load('cjsEmpty')) >= 10,
    },
    {
      bench,
      measure: 'ESM import(dist/index.js), in-process load over import() of an empty module',
      value: load('esm') - load('esmEmpty'),
      unit: 'ms',
      alt: 'import() of an empty module (ESM loader start-up)',
      altValue: load('esmEmpty'),
      ratio: (load('esm') - load('esmEmpty')) / load('esmEmpty'),
      target: 'info',
      pass: null,
    },
    {
      bench,
      measure: "require('execa'), wall over bare (not loaded at import)",
      value: execaOver,
      unit: 'ms',
      alt: 'CJS package over bare',
      altValue: cjsOver,
      ratio: execaOver / cjsOver,
      target: 'info',
      pass: null,
    },
  ];
  const notes = [
    `Import cost: ${runs} fresh processes per variant, interleaved, 2 warm-up rounds discarded. "Over bare" = median over rounds of (wall of the variant - wall of the same \`-e\` program without the load, run just before it). require('pm2') wall includes its ~150 ms exit delay (an open socket); the in-process figure does not.`,
    'ESM gap: `node --input-type=module -e "await import(file)"` pays the ESM loader\'s start-up on the first import() whatever the file (the empty-module row); the package\'s own share of the ESM load is the "over import() of an empty module" row. Loading execa and pm2 lazily already keeps them out of it; the rest is the loader, which any ESM import of a file pays.',
  ];
  const details = Object.fromEntries(
    variants.map((v) => [
      v.label,
      {
        wall: summary(samples[v.key].wall),
        load: samples[v.key].load.length ? summary(samples[v.key].load) : null,
      },
    ]),
  );
  return { rows, notes, details };
}
