/**
 * examples/cluster-reload: a 2-worker pm2 cluster app under a real pm2 daemon (private sandbox)
 * goes through a real `pm2 reload`; no task begun by an old worker may be lost. Needs `npm run build`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { createPm2Sandbox, PM2_BIN, type JlistEntry, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/cluster-reload');
const DIST = resolve(import.meta.dirname, '../../dist/index.js');

/** The log as `[pid, step, detail]` rows, in file order. */
async function readRows(path: string): Promise<[number, string, string][]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => /^(\d+) (\S+) ?(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [Number(m[1]), m[2] ?? '', m[3] ?? '']);
}

const workers = (list: readonly JlistEntry[]) => list.filter((p) => p.name === 'cluster-reload');
const allOnline = (list: readonly JlistEntry[], exclude: readonly number[] = []) =>
  workers(list).length === 2 &&
  workers(list).every((p) => p.pm2_env.status === 'online' && p.pid > 0 && !exclude.includes(p.pid));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('examples/cluster-reload under real pm2', () => {
  let sandbox: Pm2Sandbox;
  let taskLog: string;
  let port: number;

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('dist/index.js is missing: run `npm run build` first');
    sandbox = await createPm2Sandbox('pm2-self-example-cluster-');
    taskLog = join(sandbox.home, 'tasks.log');
    port = await freePort();
    await execa(process.execPath, [PM2_BIN, 'start', resolve(EXAMPLE, 'ecosystem.config.cjs')], {
      env: { ...sandbox.env, TASK_LOG: taskLog, PORT: String(port) },
      extendEnv: false,
      timeout: 30_000,
    });
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('pm2 reload: every task an old worker began ends in that worker, and both come back with new pids', async () => {
    const oldPids = workers(await sandbox.waitFor((list) => allOnline(list))).map((p) => p.pid);
    expect(new Set(oldPids).size).toBe(2);
    // Both old workers must have work in flight when the reload comes.
    for (let attempt = 0; ; attempt++) {
      const rows = await readRows(taskLog);
      if (oldPids.every((pid) => rows.filter(([p, step]) => p === pid && step === 'begin').length >= 3))
        break;
      if (attempt > 200) throw new Error('the workers did not begin tasks');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Both answer on the shared port.
    const answered = new Set<number>();
    for (let i = 0; i < 20 && answered.size < 2; i++)
      answered.add(((await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { pid: number }).pid);
    expect([...answered].sort()).toEqual([...oldPids].sort());

    await sandbox.pm2(['reload', 'cluster-reload'], { timeoutMs: 60_000 });
    const after = workers(await sandbox.waitFor((list) => allOnline(list, oldPids)));
    const newPids = after.map((p) => p.pid);
    expect(new Set(newPids).size).toBe(2);
    expect(after.map((p) => p.pm2_env.restart_time)).toEqual([1, 1]);

    // The old workers exit on their own once drained (pm2 would SIGKILL them only after kill_timeout).
    for (let attempt = 0; attempt < 200 && oldPids.some(isAlive); attempt++)
      await new Promise((r) => setTimeout(r, 50));
    expect(oldPids.filter(isAlive)).toEqual([]);

    const rows = await readRows(taskLog);
    for (const pid of oldPids) {
      const own = rows
        .filter(([p]) => p === pid)
        .map(([, step, detail]) => (detail ? `${step} ${detail}` : step));
      const begun = own.filter((s) => s.startsWith('begin ')).map((s) => s.slice(6));
      const exitAt = own.indexOf('exit 0');
      expect(exitAt, `worker ${pid} exits with code 0 by itself: ${own.join(' | ')}`).toBeGreaterThan(-1);
      const endedBeforeExit = new Set(
        own
          .slice(0, exitAt)
          .filter((s) => s.startsWith('end '))
          .map((s) => s.slice(4)),
      );
      expect(
        begun.filter((id) => !endedBeforeExit.has(id)),
        `tasks of ${pid} without an end`,
      ).toEqual([]);
      expect(begun.every((id) => id.startsWith(`${pid}-`))).toBe(true);
      // The stop really was drained: pm2's SIGINT came while tasks ran, the worker waited, refused new work.
      const shutdownAt = own.indexOf('shutdown pm2 SIGINT');
      const deferred = own.find((s) => s.startsWith('deferred '));
      expect(shutdownAt).toBeGreaterThan(-1);
      expect(Number(deferred?.slice(9))).toBeGreaterThanOrEqual(1);
      expect(own.indexOf('refused')).toBeGreaterThan(shutdownAt);
      expect(own.slice(shutdownAt).some((s) => s.startsWith('end '))).toBe(true);
      expect(exitAt).toBe(own.length - 1);
    }

    // The new workers run and take tasks.
    for (let attempt = 0; ; attempt++) {
      const latest = await readRows(taskLog);
      if (newPids.every((pid) => latest.some(([p, step]) => p === pid && step === 'begin'))) break;
      if (attempt > 200) throw new Error('the new workers did not begin tasks');
      await new Promise((r) => setTimeout(r, 50));
    }
    const starts = (await readRows(taskLog))
      .filter(([p, step]) => newPids.includes(p) && step === 'start')
      .map(([, , detail]) => detail);
    expect(starts.sort()).toEqual(['instance 0 restarts 1', 'instance 1 restarts 1']);
  });
});
