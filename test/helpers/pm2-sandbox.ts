/**
 * A private pm2 daemon for tests: its own temporary PM2_HOME, driven through a pm2 CLI installed as a
 * devDependency (7.0.4 unless `bin` names another release, see pm2-releases.ts), and killed (with every
 * app it runs) by `dispose()`.
 */
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { DEFAULT_PM2_RELEASE } from './pm2-releases.js';

/** The CLI of the default release (the `pm2` devDependency, 7.0.4). */
export const PM2_BIN = DEFAULT_PM2_RELEASE.bin;

export interface Pm2Sandbox {
  readonly home: string;
  /** The pm2 CLI script this sandbox runs (and whose daemon it starts). */
  readonly bin: string;
  /** Environment for anything that must talk to this daemon (the CLI, apps, probes). */
  readonly env: NodeJS.ProcessEnv;
  /** Runs the pm2 CLI against this daemon; rejects on a non-zero exit. */
  pm2(args: readonly string[], options?: { timeoutMs?: number }): Promise<string>;
  /** The parsed `pm2 jlist` (full entries, test-side only). */
  jlist(): Promise<JlistEntry[]>;
  /** Waits until `predicate` holds for the list, polling; rejects after `timeoutMs`. */
  waitFor(predicate: (list: JlistEntry[]) => boolean, timeoutMs?: number): Promise<JlistEntry[]>;
  /** The daemon's pid, or null when none runs. */
  daemonPid(): Promise<number | null>;
  /** Kills the daemon and its apps, then removes the home directory. */
  dispose(): Promise<void>;
}

export interface JlistEntry {
  pid: number;
  name: string;
  pm_id: number;
  monit: { memory: number; cpu: number };
  pm2_env: Record<string, unknown> & { status: string; restart_time: number; unstable_restarts: number };
}

/** Environment without pm2 markers inherited from whoever runs the tests. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^(PM2_|pm_|NODE_APP_INSTANCE$|name$|namespace$|exec_mode$|instances$|instance_var$|autorestart$|unique_id$|status$|restart_time$|unstable_restarts$|VITEST)/.test(
        key,
      )
    )
      continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Options of {@link createPm2Sandbox}. */
export interface Pm2SandboxOptions {
  /** The pm2 CLI script to run (a release of pm2-releases.ts). @defaultValue {@link PM2_BIN} */
  readonly bin?: string;
}

export async function createPm2Sandbox(
  prefix = 'pm2-self-test-',
  options: Pm2SandboxOptions = {},
): Promise<Pm2Sandbox> {
  const home = await mkdtemp(join(tmpdir(), prefix));
  const env = cleanEnv({ PM2_HOME: home, PM2_SILENT: 'true' });
  const bin = options.bin ?? PM2_BIN;

  const pm2 = async (args: readonly string[], options: { timeoutMs?: number } = {}) => {
    const result = await execa(process.execPath, [bin, ...args], {
      env,
      extendEnv: false,
      timeout: options.timeoutMs ?? 30_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return result.stdout;
  };

  const jlist = async (): Promise<JlistEntry[]> => {
    const out = await pm2(['jlist', '-s']);
    const start = out.indexOf('[');
    return JSON.parse(out.slice(start)) as JlistEntry[];
  };

  const waitFor = async (predicate: (list: JlistEntry[]) => boolean, timeoutMs = 20_000) => {
    const until = Date.now() + timeoutMs;
    let last: JlistEntry[] = [];
    while (Date.now() < until) {
      last = await jlist();
      if (predicate(last)) return last;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(
      `pm2 sandbox: condition not met within ${timeoutMs} ms; last list: ${JSON.stringify(last.map((p) => ({ name: p.name, pm_id: p.pm_id, pid: p.pid, status: p.pm2_env.status, restart_time: p.pm2_env.restart_time })))}`,
    );
  };

  const daemonPid = async () => {
    const file = join(home, 'pm2.pid');
    if (!existsSync(file)) return null;
    const pid = Number.parseInt(await readFile(file, 'utf8'), 10);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  };

  const dispose = async () => {
    const pid = await daemonPid();
    if (pid !== null) {
      try {
        await pm2(['kill'], { timeoutMs: 20_000 });
      } catch {
        // fall through to the hard kill
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(home, { recursive: true, force: true });
  };

  return { home, bin, env, pm2, jlist, waitFor, daemonPid, dispose };
}

/** Polls until `path` holds parseable JSON (bounded); resolves with the raw text and the value. */
export async function waitForJsonFile<T = unknown>(
  path: string,
  timeoutMs = 20_000,
): Promise<{ text: string; value: T }> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < until) {
    try {
      const text = await readFile(path, 'utf8');
      return { text, value: JSON.parse(text) as T };
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no JSON in ${path} within ${timeoutMs} ms (${String(lastError)})`);
}

/** True when a process with this pid exists and is not a zombie. */
export async function isProcessAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Every running pm2 God daemon, from `ps -ww -eo pid,args`. Its title names its PM2_HOME, but Linux
 * truncates a title to the length of the original command line, so `home` is read from the
 * daemon's initial environment (`/proc/<pid>/environ`, where pm2's Client always puts PM2_HOME).
 */
export async function listGodDaemons(): Promise<{ pid: number; args: string; home: string | null }[]> {
  const { stdout } = await execa('ps', ['-ww', '-eo', 'pid,args']);
  const daemons = stdout
    .split('\n')
    .filter((line) => line.includes('God Daemon'))
    .map((line) => {
      const match = /^\s*(\d+)\s+(.*)$/.exec(line);
      return { pid: Number(match?.[1] ?? 0), args: match?.[2] ?? line };
    });
  return Promise.all(
    daemons.map(async (daemon) => {
      const environ = await readFile(`/proc/${daemon.pid}/environ`, 'utf8').catch(() => '');
      const home =
        environ
          .split('\0')
          .find((entry) => entry.startsWith('PM2_HOME='))
          ?.slice('PM2_HOME='.length) ?? null;
      return { ...daemon, home };
    }),
  );
}

/**
 * Runs the pm2 CLI against `sandbox` with extra environment variables; `pm2 start` hands the CLI's
 * environment to the app, so this is how an app gets its settings (e.g. `REPORT_FILE`).
 */
export async function pm2WithEnv(
  sandbox: Pm2Sandbox,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<string> {
  const result = await execa(process.execPath, [sandbox.bin, ...args], {
    env: { ...sandbox.env, ...extraEnv },
    extendEnv: false,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return result.stdout;
}
