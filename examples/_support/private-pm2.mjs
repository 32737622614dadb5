/**
 * Runner support shared by the examples (not part of what you copy into an app).
 *
 * `startPrivatePm2()` gives a runner its own pm2 daemon: a temporary PM2_HOME, the pm2 CLI installed
 * in this repo, and an environment cleaned of pm2 variables inherited from your shell, so your own
 * `~/.pm2` is never touched. `dispose()` kills that daemon (and every app it runs) and deletes the
 * home; `guard()` makes sure it runs on success, on failure and on Ctrl+C.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PM2_BIN = resolve(import.meta.dirname, '../../node_modules/pm2/bin/pm2');

/** pm2's own variables (and its CLI's markers) must not leak from the caller into the private daemon. */
const INHERITED_PM2_VARS =
  /^(PM2_|pm_|NODE_APP_INSTANCE$|name$|namespace$|exec_mode$|instances$|instance_var$|autorestart$|unique_id$|status$|restart_time$|unstable_restarts$|VITEST)/;

function cleanEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!INHERITED_PM2_VARS.test(key)) env[key] = value;
  return { ...env, ...extra };
}

/** Runs a command without blocking; resolves with its output, rejects on a non-zero exit or timeout. */
function run(file, args, { env, timeoutMs = 30_000 }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise({ stdout, stderr });
      else
        reject(
          new Error(
            `pm2 ${args.slice(1).join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || stdout.trim()}`,
          ),
        );
    });
  });
}

/**
 * Starts nothing yet: the daemon is spawned by the first pm2 command, inside the private home.
 * @param {{ prefix?: string }} [options]
 */
export async function startPrivatePm2({ prefix = 'pm2-self-example-' } = {}) {
  const home = await mkdtemp(join(tmpdir(), prefix));
  const baseEnv = cleanEnv({ PM2_HOME: home });

  /**
   * Runs `pm2 <args>` against the private daemon; `env` adds variables (e.g. for an ecosystem file).
   * @param {string[]} args
   * @param {{ env?: Record<string, string>, silent?: boolean, timeoutMs?: number }} [options]
   */
  const pm2 = async (args, { env = {}, silent = true, timeoutMs } = {}) => {
    const { stdout } = await run(process.execPath, [PM2_BIN, ...args], {
      env: { ...baseEnv, ...(silent ? { PM2_SILENT: 'true' } : {}), ...env },
      timeoutMs,
    });
    return stdout;
  };

  /** The daemon's process list (`pm2 jlist`), parsed. */
  const jlist = async () => {
    const out = await pm2(['jlist', '-s']);
    return JSON.parse(out.slice(out.indexOf('[')));
  };

  /** Polls the list until `predicate(list)` holds. */
  const waitFor = async (predicate, { timeoutMs = 20_000, intervalMs = 200 } = {}) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const list = await jlist();
      if (predicate(list)) return list;
      if (Date.now() > until)
        throw new Error(`pm2 list did not reach the expected state within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };

  const daemonPid = async () => {
    const file = join(home, 'pm2.pid');
    if (!existsSync(file)) return null;
    const pid = Number.parseInt(await readFile(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  };

  let disposed;
  /** Kills the private daemon and its apps, then removes the home. Safe to call twice. */
  const dispose = () =>
    (disposed ??= (async () => {
      const pid = await daemonPid();
      if (pid !== null) {
        await pm2(['kill'], { timeoutMs: 20_000 }).catch(() => {});
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(home, { recursive: true, force: true });
    })());

  return { home, env: baseEnv, pm2, jlist, waitFor, dispose };
}

/**
 * Runs `scenario`, then always runs `cleanup` (also on Ctrl+C / SIGTERM) and sets the exit code.
 * @param {() => Promise<void>} scenario
 * @param {() => Promise<void>} cleanup
 */
export async function guard(scenario, cleanup) {
  let cleaning;
  let interrupted = false;
  const cleanupOnce = () => (cleaning ??= cleanup());
  const onSignal = (signal) => {
    // A second Ctrl+C must not kill the runner before the daemon is gone: it is only acknowledged.
    if (interrupted) return void console.error(`${signal}: still stopping the private pm2 daemon...`);
    interrupted = true;
    console.error(`\n${signal}: stopping the private pm2 daemon...`);
    cleanupOnce().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await scenario();
  } catch (error) {
    if (interrupted) return; // the daemon is going away under the scenario: its errors are expected
    console.error(error);
    process.exitCode = 1;
  } finally {
    await cleanupOnce();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A narrator: `say('...')` prints the message with the wall-clock time and the time since start. */
export function createNarrator() {
  const start = Date.now();
  return (message) => {
    const now = new Date();
    const clock = now.toISOString().slice(11, 23);
    const elapsed = ((now.getTime() - start) / 1000).toFixed(3).padStart(7);
    console.log(`${clock} +${elapsed}s  ${message}`);
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for apps that need a fixed PORT). */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolvePromise(port));
    });
  });
}
