/**
 * Issue 18, the store under a real pm2 (one daemon, both pmx variants):
 * - apps that run with `process.umask(0)`, poll live answers, restart and take turns (a 2-instance
 *   cluster): afterwards nothing under `$PM2_HOME/pm2-self/` is writable by group or others (folders
 *   0700, files 0600);
 * - every store file replaced by a FIFO, again and again, while an app polls and asks for a
 *   self-restart: the live answers keep coming within their budget (queryTimeoutMs, 5 s), and the
 *   restart comes back (a new pid, pm2's restart count one more);
 * - a turn lease dated 1 h in the future, naming a live process and an instance pm2 lists online,
 *   planted while 2 instances are about to take turns: it holds the turn one term (30 s) after they
 *   first see it, not until its date, then both restart, never 2 down at once.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, unlink, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import {
  downIntervals,
  eventsFile,
  PM2_SELF_DIST,
  sleep,
  startApps,
  waitForEvents,
} from '../apps/restart/harness.js';
import { mostAtOnce } from '../helpers/online-timeline.js';
import { TURN_LEASE_MS } from '../../src/restart/turn-lease.js';
import { readAnswers } from '../apps/store/answers.js';

const POLLER = resolve(import.meta.dirname, '../apps/store/poller.cjs');
const QUERY_BUDGET_MS = 5_000;
const run = promisify(execFile);

interface Answer {
  pid: number;
  gen: string | null;
  instance: string | null;
  at?: number;
  ms?: number;
  status?: string | null;
  restarts?: number | null;
  daemon?: { ok: boolean; store?: string } | null;
  event?: string;
  outcome?: { status: string };
}

/** Every entry under `dir` (not following links), with its lstat. */
async function walk(dir: string): Promise<{ path: string; mode: number; kind: string }[]> {
  const found: { path: string; mode: number; kind: string }[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const stats = await lstat(path).catch(() => null);
    if (stats === null) continue;
    const kind = stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : stats.isFIFO() ? 'fifo' : 'other';
    found.push({ path, mode: stats.mode & 0o777, kind });
    if (kind === 'dir') found.push(...(await walk(path)));
  }
  return found;
}

describe('the store under a real pm2', () => {
  let sandbox: Pm2Sandbox;
  let goDir: string;
  const store = () => join(sandbox.home, 'pm2-self');
  const answersFile = (name: string) => join(sandbox.home, `answers-${name}.jsonl`);
  const answers = (name: string) => readAnswers<Answer>(answersFile(name));
  const waitForAnswers = async (name: string, done: (all: Answer[]) => boolean, timeoutMs = 30_000) => {
    for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(100)) {
      const all = await answers(name);
      if (done(all)) return all;
    }
    throw new Error(
      `${name}: condition not met; answers: ${JSON.stringify(await answers(name)).slice(-4_000)}`,
    );
  };
  const polled = (all: Answer[], gen: string) => all.filter((a) => a.event === undefined && a.gen === gen);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-store-trust-');
    goDir = join(sandbox.home, 'go');
    await mkdir(goDir);
    const app = (name: string, env: Record<string, string>, pm2: Record<string, unknown>) => ({
      name,
      script: POLLER,
      cwd: sandbox.home,
      env: { PM2_SELF_DIST, ANSWERS_FILE: answersFile(name), GO_DIR: goDir, ...env },
      ...pm2,
    });
    const apps = PMX_VARIANTS.flatMap(({ suffix, pmx }) => [
      app(
        `umask${suffix}`,
        { UMASK_ZERO: '1', SHUTDOWN_HANDLER: '1', POLL_MS: '300' },
        { exec_mode: 'cluster', instances: 2, ...pmx },
      ),
      app(`fifo${suffix}`, { POLL_MS: '200' }, pmx),
    ]);
    const file = join(sandbox.home, 'ecosystem.json');
    await writeFile(file, JSON.stringify({ apps }, null, 2));
    await sandbox.pm2(['start', file]);
    const turnApps = PMX_VARIANTS.map(({ suffix, pmx }) => ({
      name: `lease${suffix}`,
      scenario: 'turns',
      env: { GO_FILE: join(goDir, `lease${suffix}`), HOOK_MS: '100' },
      pm2: { instances: 2, ...pmx },
    }));
    await startApps(sandbox, turnApps, 'turns.json');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  describe.each(PMX_VARIANTS)('$label', ({ suffix }) => {
    it('umask 0: apps poll, restart and take turns; nothing under pm2-self/ is writable by group or others', async () => {
      const name = `umask${suffix}`;
      const instancesOf = (all: Answer[], gen: string) => new Set(polled(all, gen).map((a) => a.instance));
      await waitForAnswers(name, (all) => instancesOf(all, '0').size === 2);
      await writeFile(join(goDir, `${name}-0`), '');
      const all = await waitForAnswers(name, (all) => instancesOf(all, '1').size === 2, 60_000);
      const outcomes = all.filter((a) => a.event === 'outcome').map((a) => a.outcome?.status);
      // One restarts at once, the other waits for its turn (or restarts at once if the first is back).
      expect(outcomes).toHaveLength(2);
      expect(outcomes.every((o) => o === 'restarting' || o === 'waitingTurn')).toBe(true);
      expect(polled(all, '1').every((a) => a.status === 'online' && a.restarts === 1)).toBe(true);

      const entries = await walk(store());
      const names = entries.map((e) => e.path.slice(store().length + 1));
      // What these apps wrote: the shared list, the heartbeat, and the turns they took.
      expect(names).toEqual(expect.arrayContaining(['list-v1.json', 'alive-v1.json', 'turns']));
      expect(names.some((n) => n.startsWith('turns/'))).toBe(true);
      expect(entries.filter((e) => (e.mode & 0o022) !== 0)).toEqual([]);
      expect(entries.filter((e) => e.kind === 'dir' && e.mode !== 0o700)).toEqual([]);
      expect(entries.filter((e) => e.kind === 'file' && e.mode !== 0o600)).toEqual([]);
      expect((await lstat(store())).mode & 0o777).toBe(0o700);
    });

    it('every store file replaced by a FIFO while an app polls: answers within budget, a self-restart comes back', async () => {
      const name = `fifo${suffix}`;
      const first = polled(await waitForAnswers(name, (all) => polled(all, '0').length >= 3), '0')[0];
      const fifos = new Set<string>();
      const from = Date.now();
      await writeFile(join(goDir, `${name}-0`), '');
      // For 3 s, every regular file in the store becomes a FIFO, as fast as the apps put files back.
      while (Date.now() - from < 3_000) {
        for (const entry of await walk(store())) {
          if (entry.kind === 'fifo') fifos.add(entry.path.slice(store().length + 1));
          if (entry.kind !== 'file') continue;
          await unlink(entry.path).catch(() => undefined);
          await run('mkfifo', [entry.path]).then(
            () => fifos.add(entry.path.slice(store().length + 1)),
            () => undefined,
          );
        }
        await sleep(50);
      }
      const to = Date.now();
      // The store's files that were FIFOs at some point (the list and its claim at least).
      expect([...fifos]).toEqual(expect.arrayContaining(['list-v1.json']));

      const all = await waitForAnswers(name, (all) => polled(all, '1').length >= 3, 30_000);
      const during = all.filter((a) => a.event === undefined && (a.at ?? 0) >= from && (a.at ?? 0) <= to);
      expect(during.length).toBeGreaterThanOrEqual(5);
      const answered = all.filter((a) => a.event === undefined);
      expect(answered.filter((a) => (a.ms ?? Infinity) >= QUERY_BUDGET_MS)).toEqual([]);
      expect(answered.filter((a) => a.status !== 'online' || a.daemon?.ok !== true)).toEqual([]);

      expect(all.find((a) => a.event === 'outcome')?.outcome?.status).toBe('restarting');
      const next = polled(all, '1')[0];
      expect(next?.pid).not.toBe(first?.pid);
      expect(next?.restarts).toBe((first?.restarts ?? 0) + 1);
      const entry = (await sandbox.jlist()).find((e) => e.name === name);
      expect(entry?.pm2_env.restart_time).toBe(1);
      expect(entry?.pid).toBe(next?.pid);
      expect(existsSync(store())).toBe(true);
    });
  });

  describe.concurrent.each(PMX_VARIANTS)('$label: a turn lease dated in the future', ({ suffix }) => {
    it('holds the turn one term after it is first seen, then both instances restart, never 2 down', async () => {
      const name = `lease${suffix}`;
      const events = eventsFile(sandbox, name);
      await waitForEvents(
        events,
        (all) => all.filter((e) => e.event === 'started' && e.gen === '0').length === 2,
        30_000,
      );
      const instance0 = (await sandbox.jlist()).find(
        (e) => e.name === name && Number(e.pm2_env.NODE_APP_INSTANCE) === 0,
      );
      expect(instance0).toBeDefined();
      // Instance 0's pm_id and pid (as pm2 tracks it), held by this test's own process (alive):
      // nothing in the daemon's list frees it, only the lease's age does.
      const dir = join(store(), 'turns', `default--${name}`);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      const future = Date.now() + 3_600_000;
      const lease = join(dir, 'slot-0-999999.json');
      const planted = {
        pmId: instance0?.pm_id,
        pid: process.pid,
        trackedPid: instance0?.pid,
        restarts: 0,
        claimedAt: future,
        expiresAt: future + TURN_LEASE_MS,
        released: false,
      };
      await writeFile(lease, JSON.stringify(planted), { mode: 0o600 });
      await utimes(lease, future / 1000, future / 1000);
      await writeFile(join(goDir, name), 'go');

      // Within the term plus a generous margin for two restarts on a loaded machine.
      const all = await waitForEvents(
        events,
        (all) => all.filter((e) => e.event === 'started' && e.gen === '1').length === 2,
        TURN_LEASE_MS + 45_000,
      );
      const down = downIntervals(all);
      expect(down).toHaveLength(2);
      expect(mostAtOnce(down)).toBe(1);
      // The planted lease held the turn (the first taken waited about a term), and no longer.
      const taken = all.filter((e) => e.event === 'turn-taken').map((e) => Number(e.waitedMs));
      expect(taken).toHaveLength(2);
      expect(Math.min(...taken)).toBeGreaterThanOrEqual(TURN_LEASE_MS - 1_000);
      const restarted = all.filter((e) => e.event === 'started' && e.gen === '1');
      expect(new Set(restarted.map((e) => e.pid)).size).toBe(2);
    }, 120_000);
  });
});
