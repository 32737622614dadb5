/**
 * Shared helpers of the benchmarks and the soak test: paths, statistics, a clean environment,
 * asynchronous child processes and a /proc scan for leftover processes.
 *
 * Nothing here blocks the event loop: children are started with child_process.spawn.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built package; `PM2SELF_DIST_DIR` points elsewhere (it must still resolve `execa` from node_modules). */
export const DIST_DIR = process.env.PM2SELF_DIST_DIR
  ? resolve(process.env.PM2SELF_DIST_DIR)
  : join(ROOT, 'dist');
export const DIST_CJS = join(DIST_DIR, 'index.cjs');
export const DIST_ESM = join(DIST_DIR, 'index.js');
export const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
export const PM2_VERSION = JSON.parse(
  readFileSync(join(ROOT, 'node_modules', 'pm2', 'package.json'), 'utf8'),
).version;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Milliseconds since an arbitrary origin, sub-microsecond resolution. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// ------------------------------------------------------------------------------------------------
// Statistics
// ------------------------------------------------------------------------------------------------
export function quantile(values, q) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}
export const median = (values) => quantile(values, 0.5);
export const minOf = (values) => Math.min(...values);
export const maxOf = (values) => Math.max(...values);

/** A short summary of a sample: median, min, max, p90, n. */
export function summary(values) {
  return {
    median: median(values),
    min: minOf(values),
    max: maxOf(values),
    p90: quantile(values, 0.9),
    n: values.length,
  };
}

/** Formats a number with a sensible number of digits. */
export function fmt(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return String(value);
  if (digits !== undefined) return value.toFixed(digits);
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 10) return value.toFixed(2);
  return value.toFixed(3);
}

// ------------------------------------------------------------------------------------------------
// Environment
// ------------------------------------------------------------------------------------------------
const PM2_KEY =
  /^(PM2_|pm_|NODE_APP_INSTANCE$|name$|namespace$|exec_mode$|instances$|instance_var$|autorestart$|unique_id$|status$|restart_time$|unstable_restarts$|created_at$|exit_code$|VITEST|NODE_CHANNEL_|NODE_UNIQUE_ID$|OVER_HOME$|SILENT$)/;

/** This process's environment without pm2 markers (in case the bench itself runs under pm2 or vitest). */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!PM2_KEY.test(key)) env[key] = value;
  return { ...env, ...extra };
}

// ------------------------------------------------------------------------------------------------
// Child processes (asynchronous only)
// ------------------------------------------------------------------------------------------------
/**
 * Runs a program to completion with child_process.spawn and measures its wall time, from just
 * before spawn() to the 'exit' event.
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string, wallMs: number }>}
 */
export function runTimed(file, args, { env = process.env, cwd = ROOT, timeoutMs = 60_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = nowMs();
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let wallMs = NaN;
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', () => {
      wallMs = nowMs() - started;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        wallMs,
      });
    });
  });
}

// ------------------------------------------------------------------------------------------------
// Process scan (Linux /proc): processes carrying a marker (a unique temporary path) in their
// environment or command line. Used to prove that nothing was left running, and to clean up
// only what we started.
// ------------------------------------------------------------------------------------------------
export async function processesWithMarker(marker) {
  const found = [];
  let entries;
  try {
    entries = await readdir('/proc');
  } catch {
    return found; // not Linux: nothing can be checked here
  }
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const pid = Number(name);
        if (pid === process.pid) return;
        const [environ, cmdline] = await Promise.all([
          readFile(`/proc/${pid}/environ`, 'latin1').catch(() => ''),
          readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => ''),
        ]);
        if (environ.includes(marker) || cmdline.includes(marker)) {
          const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '');
          const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
          if (state === 'Z') return; // a zombie waiting for its parent: not running
          found.push({ pid, cmd: cmdline.split('\0').join(' ').trim().slice(0, 200) });
        }
      }),
  );
  return found.sort((a, b) => a.pid - b.pid);
}

/**
 * True when `pid` exists and is not a zombie (a process that has exited but was not reaped yet,
 * e.g. a daemon re-parented to an init that reaps lazily: kill(pid, 0) still succeeds for it).
 */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Waits until `pid` is gone (or a zombie); true if it went within `timeoutMs`. */
export async function waitGone(pid, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > until) return false;
    await sleep(50);
  }
  return true;
}

/** Live child pids of `pid` (all its threads), from /proc/<pid>/task/<tid>/children. */
export async function childPids(pid = process.pid) {
  const pids = new Set();
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => []);
  for (const tid of tasks) {
    const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
    for (const p of text.trim().split(/\s+/)) if (p) pids.add(Number(p));
  }
  return [...pids];
}
