/**
 * A private pm2 daemon for one benchmark (or the soak test): its own temporary PM2_HOME, driven by
 * the pm2 CLI of node_modules, and killed with every app it runs by `dispose()`, which then proves
 * that no process carrying this PM2_HOME is left (and SIGKILLs any that is, by pid).
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PM2_BIN, cleanEnv, isAlive, processesWithMarker, sleep, waitGone } from './common.mjs';

const live = new Set();

/** Disposes every sandbox still open (for SIGINT handlers of the entry scripts). */
export async function disposeAllSandboxes() {
  await Promise.allSettled([...live].map((sandbox) => sandbox.dispose()));
}

/**
 * @param {string} prefix temporary directory prefix
 * @param {{ keep?: boolean }} [options] keep: leave the home directory (logs) in place after dispose
 */
export async function createPm2Sandbox(prefix = 'pm2-self-bench-', options = {}) {
  const home = await mkdtemp(join(tmpdir(), prefix));
  const env = cleanEnv({ PM2_HOME: home, PM2_SILENT: 'true' });
  let disposed;

  let startedPid = null;
  /**
   * Runs the pm2 CLI against this daemon; rejects on a non-zero exit. Once a daemon has run here,
   * refuses to run the CLI when it is gone: any pm2 command would silently spawn a new one.
   */
  const pm2 = async (args, { timeoutMs = 60_000, extraEnv = {}, cwd = home } = {}) => {
    if (startedPid !== null && args[0] !== 'kill' && (await daemonPid()) === null) {
      throw new Error(
        `the pm2 daemon of ${home} (pid ${startedPid}) is gone; not running \`pm2 ${args.join(' ')}\`, which would spawn a new one`,
      );
    }
    const result = await execa(process.execPath, [PM2_BIN, ...args], {
      env: { ...env, ...extraEnv },
      extendEnv: false,
      cwd,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      stdin: 'ignore',
    });
    startedPid ??= await daemonPid();
    return result.stdout;
  };

  const jlist = async () => {
    const out = await pm2(['jlist', '-s']);
    const start = out.indexOf('[');
    return JSON.parse(out.slice(start));
  };

  const waitFor = async (predicate, timeoutMs = 30_000, intervalMs = 150) => {
    const until = Date.now() + timeoutMs;
    let last = [];
    while (Date.now() < until) {
      last = await jlist();
      if (predicate(last)) return last;
      await sleep(intervalMs);
    }
    const brief = last.map((p) => ({
      name: p.name,
      pm_id: p.pm_id,
      pid: p.pid,
      status: p.pm2_env.status,
      restarts: p.pm2_env.restart_time,
    }));
    throw new Error(
      `pm2 sandbox ${home}: condition not met within ${timeoutMs} ms; last list: ${JSON.stringify(brief)}`,
    );
  };

  const daemonPid = async () => {
    const file = join(home, 'pm2.pid');
    if (!existsSync(file)) return null;
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  };

  /**
   * Kills the daemon and its apps, SIGKILLs (by pid) any process still carrying this PM2_HOME,
   * removes the home unless kept. Resolves with what had to be killed by force (should be empty)
   * and what survived even that (must be empty).
   */
  const dispose = () =>
    (disposed ??= (async () => {
      const report = { killedByForce: [], survivors: [], daemonPid: await daemonPid() };
      if (report.daemonPid !== null) {
        try {
          await pm2(['kill'], { timeoutMs: 30_000 });
        } catch {
          // fall through to the hard kill
        }
      }
      // pm2 kill returns once the daemon is told; give processes a moment to go.
      if (report.daemonPid !== null) report.daemonExited = await waitGone(report.daemonPid, 5_000);
      for (let i = 0; i < 40; i++) {
        if ((await processesWithMarker(home)).length === 0) break;
        await sleep(100);
      }
      const left = await processesWithMarker(home);
      for (const proc of left) {
        try {
          process.kill(proc.pid, 'SIGKILL');
          report.killedByForce.push(proc);
        } catch {
          // already gone
        }
      }
      if (left.length > 0) await sleep(300);
      report.survivors = await processesWithMarker(home);
      if (!options.keep) await rm(home, { recursive: true, force: true });
      live.delete(sandbox);
      return report;
    })());

  const sandbox = { home, env, pm2, jlist, waitFor, daemonPid, dispose };
  live.add(sandbox);
  return sandbox;
}
