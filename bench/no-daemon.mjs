/**
 * Outside pm2, on a machine with no pm2 daemon: how long the first getProcessName() + getInfo() take
 * to answer "not under pm2" in a fresh process (no pm2 variables, an empty PM2_HOME), and whether
 * anything was started. The alternative: `pm2 ping` would answer too, but it starts a daemon (see
 * pm2-facts section 3), so it is not run; the comparison is a bare `require` of the package.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST_CJS, cleanEnv, median, runTimed, summary } from './lib/common.mjs';

const program = `
const t0 = process.hrtime.bigint();
const lib = require(${JSON.stringify(DIST_CJS)});
const t1 = process.hrtime.bigint();
(async () => {
  const name = await lib.getProcessName();
  const info = await lib.getInfo();
  const t2 = process.hrtime.bigint();
  const identity = await lib.getDefaultPm2Self().getIdentity();
  process.stdout.write(JSON.stringify({ requireMs: Number(t1 - t0) / 1e6, answerMs: Number(t2 - t1) / 1e6, name, info, reason: identity.reason }));
})();
`;

export async function run({ quick, log }) {
  const runs = quick ? 7 : 21;
  const home = await mkdtemp(join(tmpdir(), 'pm2-self-bench-nodaemon-'));
  const answers = [];
  const requires = [];
  const reasons = new Set();
  try {
    for (let i = 0; i < runs; i++) {
      const result = await runTimed(process.execPath, ['-e', program], { env: cleanEnv({ PM2_HOME: home }) });
      if (result.code !== 0)
        throw new Error(`probe exited with ${result.code}: ${result.stderr.slice(0, 300)}`);
      const report = JSON.parse(result.stdout);
      if (report.name !== null || report.info !== null)
        throw new Error(`expected "not under pm2", got ${result.stdout.slice(0, 200)}`);
      answers.push(report.answerMs);
      requires.push(report.requireMs);
      reasons.add(report.reason);
    }
    log(`no daemon: ${runs} fresh processes`);
    const left = await readdir(home);
    const bench = 'No pm2 daemon';
    const rows = [
      {
        bench,
        measure: 'first getProcessName() + getInfo() answering "not under pm2", in a fresh process',
        value: median(answers),
        unit: 'ms',
        alt: 'require() of the package in the same process',
        altValue: median(requires),
        ratio: median(answers) / median(requires),
        target: '< 50 ms',
        pass: median(answers) < 50,
      },
      {
        bench,
        measure: 'files created in the empty PM2_HOME (a daemon would create pm2.pid, rpc.sock, ...)',
        value: left.length,
        unit: '',
        alt: `reason reported`,
        altValue: [...reasons].join(', '),
        target: '0',
        pass: left.length === 0,
      },
    ];
    const notes = [
      `No daemon: ${runs} fresh processes, each with no pm2 variables and an empty PM2_HOME; identity reason(s): ${[...reasons].join(', ')}.`,
    ];
    return { rows, notes, details: { answerMs: summary(answers), requireMs: summary(requires) } };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
