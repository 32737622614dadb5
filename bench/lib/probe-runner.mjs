/**
 * Runs bench/apps/probe.cjs under a private pm2 daemon (fork mode, next to a few idle filler apps so
 * the daemon's list is not trivially small), waits for its JSON result, then kills the daemon and
 * checks that nothing is left running.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DIST_CJS, PM2_BIN, ROOT, sleep } from './common.mjs';
import { createPm2Sandbox } from './pm2-sandbox.mjs';

const PROBE = join(ROOT, 'bench', 'apps', 'probe.cjs');
const IDLE = join(ROOT, 'bench', 'apps', 'idle.cjs');

/**
 * @param {'identity' | 'daemon' | 'eventloop'} mode
 * @returns {Promise<{ result: any, processes: number, dispose: object }>}
 */
export async function runProbe(mode, { quick, fillers = 3, timeoutMs = 300_000, log = () => {} }) {
  const sandbox = await createPm2Sandbox(`pm2-self-bench-${mode}-`);
  let outcome;
  let report;
  try {
    const out = join(sandbox.home, 'probe-result.json');
    const env = {
      PROBE_MODE: mode,
      PROBE_OUT: out,
      PROBE_QUICK: quick ? '1' : '0',
      PM2_SELF_DIST: DIST_CJS,
      PROBE_PM2_BIN: PM2_BIN,
      PROBE_ROOT: ROOT,
    };
    const apps = [
      ...Array.from({ length: fillers }, (_, i) => ({
        name: `filler-${i}`,
        script: IDLE,
        exec_mode: 'fork',
      })),
      { name: `probe-${mode}`, script: PROBE, exec_mode: 'fork', autorestart: false, env },
    ];
    const config = join(sandbox.home, 'apps.json');
    await writeFile(config, JSON.stringify({ apps }, null, 2));
    await sandbox.pm2(['start', config]);
    log(`${mode}: probe started under pm2 (${sandbox.home})`);
    const until = Date.now() + timeoutMs;
    while (!existsSync(out)) {
      if (Date.now() > until) throw new Error(`${mode} probe: no result within ${timeoutMs} ms`);
      await sleep(100);
    }
    const written = JSON.parse(await readFile(out, 'utf8'));
    if (!written.ok) throw new Error(`${mode} probe failed inside pm2: ${written.error}`);
    const list = await sandbox.jlist();
    const me = list.find((p) => p.pid === written.pid);
    if (!me || me.pm2_env.status !== 'online' || me.pm2_env.restart_time !== 0)
      throw new Error(
        `${mode} probe: not online without restarts at the end: ${JSON.stringify(me?.pm2_env?.status)}`,
      );
    outcome = { result: written.result, processes: list.length };
  } finally {
    report = await sandbox.dispose();
  }
  if (report.survivors.length > 0)
    throw new Error(`${mode}: processes survived the cleanup: ${JSON.stringify(report.survivors)}`);
  return { ...outcome, dispose: report };
}
