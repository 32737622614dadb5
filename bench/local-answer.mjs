#!/usr/bin/env node
/**
 * Local answer: the CPU of one getInfo({ live: true }) / getStatus() that finds nothing changed, in an app
 * under a private pm2 daemon with the shutdown handler installed (the answer is built by the process
 * itself, issue 20; goal < 50 µs). Each of the two pmx variants runs once.
 *
 *   npm run bench:local                # build, then this benchmark: prints the figures
 *   node bench/local-answer.mjs [--calls 20000]
 *
 * `npm run bench` (bench/run.mjs) runs it too (5000 calls with --quick), with its rows in the table.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_CJS, ROOT, fmt, sleep } from './lib/common.mjs';
import { createPm2Sandbox, disposeAllSandboxes } from './lib/pm2-sandbox.mjs';

const APP = join(ROOT, 'bench', 'apps', 'local-answer-app.cjs');
const GOAL_US = 50;

const BENCH = 'Local answer (shutdown handler installed)';

/**
 * Runs each pmx variant once with `calls` unchanged calls (20000; 5000 with `quick`) and returns the
 * CPU per call of getInfo({ live: true }) and getStatus() against the 50 µs goal.
 */
export async function run({ quick = false, log = () => {}, calls = quick ? 5_000 : 20_000 } = {}) {
  if (!existsSync(DIST_CJS)) throw new Error(`${DIST_CJS} missing: run \`npm run build\` first`);
  const sandbox = await createPm2Sandbox('pm2-self-local-answer-');
  try {
    const apps = [true, false].map((pmx) => ({
      name: pmx ? 'local' : 'local-nopmx',
      script: APP,
      pmx,
      autorestart: false,
      env: { PM2_SELF_DIST: DIST_CJS, CALLS: String(calls), RESULT_FILE: join(sandbox.home, `${pmx}.json`) },
    }));
    const config = join(sandbox.home, 'apps.json');
    await writeFile(config, JSON.stringify({ apps }));
    await sandbox.pm2(['start', config]);
    const rows = [];
    const lines = [];
    for (const app of apps) {
      const file = app.env.RESULT_FILE;
      for (const until = Date.now() + 120_000; !existsSync(file) && Date.now() < until;) await sleep(200);
      const r = JSON.parse(await readFile(file, 'utf8'));
      const local = r.then === 'local';
      const line = `${app.name}: first answer ${r.first}, then ${r.then}; CPU per unchanged call: getInfo({ live: true }) ${fmt(r.infoUs, 1)} µs, getStatus() ${fmt(r.statusUs, 1)} µs (goal < ${GOAL_US} µs)`;
      log(line);
      lines.push(line);
      for (const [call, us] of [
        ['getInfo({ live: true })', r.infoUs],
        ['getStatus()', r.statusUs],
      ])
        rows.push({
          bench: BENCH,
          measure: `CPU per unchanged ${call}, ${app.name === 'local' ? 'with @pm2/io' : 'pmx: false'} (answer: ${r.then})`,
          value: us,
          unit: 'µs',
          target: `< ${GOAL_US} µs, built locally`,
          pass: local && us < GOAL_US,
        });
    }
    return { rows, notes: [`Local answer: ${calls} unchanged calls per pmx variant.`], details: { lines } };
  } finally {
    await sandbox.dispose();
  }
}

async function main() {
  const at = process.argv.indexOf('--calls');
  const calls = at === -1 ? 20_000 : Number(process.argv[at + 1]);
  const { rows, details } = await run({ calls });
  for (const line of details.lines) console.log(line);
  if (rows.some((row) => !row.pass)) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch(async (error) => {
    console.error(error?.stack ?? error);
    await disposeAllSandboxes();
    process.exit(1);
  });
}
