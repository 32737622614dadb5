#!/usr/bin/env node
/**
 * Local answer: the CPU of one getInfo({ live: true }) / getStatus() that finds nothing changed, in an app
 * under a private pm2 daemon with the shutdown handler installed (the answer is built by the process
 * itself, issue 20; goal < 50 µs). Each of the two pmx variants runs once.
 *
 *   npm run bench:local                # build, then this benchmark: prints the figures
 *   node bench/local-answer.mjs [--calls 20000]
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DIST_CJS, ROOT, fmt, sleep } from './lib/common.mjs';
import { createPm2Sandbox, disposeAllSandboxes } from './lib/pm2-sandbox.mjs';

const APP = join(ROOT, 'bench', 'apps', 'local-answer-app.cjs');
const GOAL_US = 50;

async function main() {
  const at = process.argv.indexOf('--calls');
  const calls = at === -1 ? 20_000 : Number(process.argv[at + 1]);
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
    let failed = false;
    for (const app of apps) {
      const file = app.env.RESULT_FILE;
      for (const until = Date.now() + 120_000; !existsSync(file) && Date.now() < until;) await sleep(200);
      const r = JSON.parse(await readFile(file, 'utf8'));
      const ok = r.then === 'local' && r.infoUs < GOAL_US && r.statusUs < GOAL_US;
      failed ||= !ok;
      console.log(
        `${app.name}: first answer ${r.first}, then ${r.then}; CPU per unchanged call: getInfo({ live: true }) ${fmt(r.infoUs, 1)} µs, getStatus() ${fmt(r.statusUs, 1)} µs (goal < ${GOAL_US} µs) ${ok ? 'ok' : 'MISSED'}`,
      );
    }
    if (failed) process.exitCode = 1;
  } finally {
    await sandbox.dispose();
  }
}

main().catch(async (error) => {
  console.error(error?.stack ?? error);
  await disposeAllSandboxes();
  process.exit(1);
});
