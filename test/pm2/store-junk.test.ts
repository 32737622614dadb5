/**
 * Issue 18, junk in the store under a real pm2: 20 tiny apps (10 per pmx variant, half of them with a
 * shutdown handler, so they answer locally and keep the heartbeat) poll `getInfo({ live: true })` once
 * a second while every store file is rewritten again and again with empty or junk content or given a
 * modification time 1 h in the future; then, on a healthy store, claims that name no holder are planted
 * just before they matter (an empty heartbeat claim when the heartbeat is due, a symlinked list claim)
 * and planted again once. Every answer stays right (online, restart count 0, the daemon answered: never
 * a `timeout` about this daemon), and within 15 s the daemon is back to about one query per second
 * between all of them. Queries are counted from the apps' own `NODE_DEBUG=pm2-self`
 * lines (`daemon: list via rpc in N ms`, one per question to the daemon).
 */
import { readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import { PM2_SELF_DIST, sleep } from '../apps/restart/harness.js';
import { readAnswers } from '../apps/store/answers.js';

const POLLER = resolve(import.meta.dirname, '../apps/store/poller.cjs');
const PER_VARIANT = 10;
const WINDOW_MS = 6_000;

interface Answer {
  at: number;
  status: string | null;
  restarts: number | null;
  daemon: { ok: boolean } | null;
}

describe('junk in the store under a real pm2, 20 apps polling', () => {
  let sandbox: Pm2Sandbox;
  const names = PMX_VARIANTS.flatMap(({ suffix }) =>
    Array.from({ length: PER_VARIANT }, (_, i) => `junk${suffix}-${i}`),
  );
  const answersFile = (name: string) => join(sandbox.home, `answers-${name}.jsonl`);
  const answersOf = (name: string) => readAnswers<Answer>(answersFile(name));
  /** Questions asked to the daemon so far, by all apps (their NODE_DEBUG lines in pm2's logs). */
  const queries = async () => {
    const logs = join(sandbox.home, 'logs');
    let count = 0;
    for (const file of await readdir(logs)) {
      if (!file.includes('-error')) continue;
      const text = await readFile(join(logs, file), 'utf8').catch(() => '');
      count += text.match(/PM2-SELF \d+: daemon: list (?:via \S+|\S+) in \d+ ms/g)?.length ?? 0;
    }
    return count;
  };
  const ratePerSecond = async () => {
    const before = await queries();
    await sleep(WINDOW_MS);
    return ((await queries()) - before) / (WINDOW_MS / 1000);
  };

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-store-junk-');
    const apps = PMX_VARIANTS.flatMap(({ suffix, pmx }) =>
      Array.from({ length: PER_VARIANT }, (_, i) => ({
        name: `junk${suffix}-${i}`,
        script: POLLER,
        cwd: sandbox.home,
        env: {
          PM2_SELF_DIST,
          ANSWERS_FILE: answersFile(`junk${suffix}-${i}`),
          POLL_MS: '1000',
          NODE_DEBUG: 'pm2-self',
          SHUTDOWN_HANDLER: i % 2 === 1 ? '1' : '0',
        },
        ...pmx,
      })),
    );
    const file = join(sandbox.home, 'ecosystem.json');
    await writeFile(file, JSON.stringify({ apps }, null, 2));
    await sandbox.pm2(['start', file], { timeoutMs: 60_000 });
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('answers stay right, and within 15 s the daemon is back to about one query per second', async () => {
    for (const until = Date.now() + 60_000; ; await sleep(250)) {
      const counts = await Promise.all(names.map(async (name) => (await answersOf(name)).length));
      if (counts.every((count) => count >= 3)) break;
      if (Date.now() > until) throw new Error(`not every app answers: ${counts.join(',')}`);
    }
    const before = await ratePerSecond();

    // For 3 s, every file in the store (the claims too, planted when absent): emptied, junk, or dated
    // 1 h in the future, in turn. A claim that looks held by a live process (the daemon) from the future.
    const store = join(sandbox.home, 'pm2-self');
    const claims = ['list-v1.json.lock', 'alive-v1.json.lock'];
    const daemonPid = await sandbox.daemonPid();
    const futureClaim = () => JSON.stringify({ pid: daemonPid, at: Date.now() + 3_600_000 });
    const from = Date.now();
    for (let round = 0; Date.now() - from < 3_000; round++) {
      const present = await readdir(store).catch(() => [] as string[]);
      const files = [...new Set([...present, ...claims])].filter((f) => !f.endsWith('.tmp'));
      await Promise.all(
        files.map(async (file, i) => {
          const path = join(store, file);
          const kind = (round + i) % 3;
          if (kind === 0) await writeFile(path, '').catch(() => undefined);
          if (kind === 1) await writeFile(path, '{"daemonPid": "junk", \u0000').catch(() => undefined);
          const future = new Date(Date.now() + 3_600_000);
          if (kind === 2 && claims.includes(file))
            await writeFile(path, futureClaim()).catch(() => undefined);
          if (kind === 2) await utimes(path, future, future).catch(() => undefined);
        }),
      );
      await sleep(300);
    }
    // Left behind as a full disk and a forger would: a 0-byte list claim, a claim from the future,
    // a junk list.
    await writeFile(join(store, 'list-v1.json.lock'), '');
    await writeFile(join(store, 'alive-v1.json.lock'), futureClaim());
    await writeFile(join(store, 'list-v1.json'), '{"junk');
    await sleep(3_000);

    // Claims that name no holder, planted on a healthy store where they bite: an empty heartbeat claim
    // just as the heartbeat (dated 4.9 s back) falls due, a symlinked list claim (its target outside
    // the store); planted again 4 s later, so they stand for 10 s in all. Nobody is pinging or asking
    // behind them: the apps ask the daemon themselves instead of calling it late.
    const target = join(sandbox.home, 'claim-target.txt');
    await writeFile(target, 'not the store\n');
    const plantClaims = async () => {
      const heartbeatClaim = join(store, 'alive-v1.json.lock');
      const listClaim = join(store, 'list-v1.json.lock');
      await Promise.all([rm(heartbeatClaim, { force: true }), rm(listClaim, { force: true })]);
      await writeFile(heartbeatClaim, '');
      await symlink(target, listClaim).catch(() => undefined);
    };
    const due = new Date(Date.now() - 4_900);
    await plantClaims();
    await utimes(join(store, 'alive-v1.json'), due, due).catch(() => undefined);
    await sleep(4_000);
    await plantClaims();
    await sleep(1_000);
    const junkEnd = Date.now();

    await sleep(Math.max(0, junkEnd + 15_000 - WINDOW_MS - Date.now()));
    const after = await ratePerSecond();
    console.log(
      `daemon queries per second, 20 apps at 1 Hz: before ${before}, 9-15 s after the junk ${after}`,
    );
    // One shared question per cacheTtlMs (1 s) between all 20, not one each (20 per second).
    expect(before).toBeGreaterThanOrEqual(0.5);
    expect(before).toBeLessThanOrEqual(2);
    expect(await readFile(target, 'utf8')).toBe('not the store\n');
    expect(after).toBeGreaterThanOrEqual(0.5);
    expect(after).toBeLessThanOrEqual(2);

    for (const name of names) {
      const all = await answersOf(name);
      // No answer is ever wrong, and none says the daemon is late (timeout): it answered throughout.
      const wrong = all.filter((a) => a.daemon?.ok !== true || a.status !== 'online' || a.restarts !== 0);
      expect({ name, wrong }).toEqual({ name, wrong: [] });
      expect(
        all.filter((a) => a.at > junkEnd + 7_000 && a.daemon?.ok === true).length,
      ).toBeGreaterThanOrEqual(5);
    }
  });
});
