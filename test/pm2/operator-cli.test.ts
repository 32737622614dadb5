/**
 * The BUILT `pm2-self` command (dist/cli.js) against a real pm2 daemon: a one-at-a-time restart of a
 * 4-instance cluster app measured from the apps' own timestamps, a `wait_ready` app whose next
 * instance waits for the previous one's 'ready' (both pmx variants), an unknown app, an app that did
 * not call exposeToPm2(), and no daemon at all (nothing started).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downTimesOf, livesOf, summarizeOnline } from '../helpers/online-timeline.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import {
  cleanEnv,
  createPm2Sandbox,
  listGodDaemons,
  pm2WithEnv,
  type JlistEntry,
  type Pm2Sandbox,
} from '../helpers/pm2-sandbox.js';

const APP = resolve(import.meta.dirname, '../apps/operator/app.cjs');
const DIST = resolve(import.meta.dirname, '../../dist/index.cjs');
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

/** An app started through npm, with pm2's injection and with `--no-pmx`. */
const NPM_APPS = [
  { name: 'npm-app', flags: [] },
  { name: 'npm-app-nopmx', flags: ['--no-pmx'] },
] as const;

/**
 * 2 fork instances that send 'ready' 3 s after their start, while pm2 lists them online at their
 * listen_timeout (1 s), and take no turns (so only the rollout paces them): with pm2's injection
 * and with `pmx: false`.
 */
const WAIT_READY_APPS = PMX_VARIANTS.map(({ suffix, pmx }) => ({ name: `wr${suffix}`, pmx }));

const cli = (args: string[], env: NodeJS.ProcessEnv) =>
  execa(process.execPath, [CLI, ...args], { env, extendEnv: false, reject: false, timeout: 180_000 });

describe('the pm2-self command under a real pm2 daemon', () => {
  let sandbox: Pm2Sandbox;
  const events = async (name: string) =>
    (await readFile(join(sandbox.home, `${name}.events.jsonl`), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as { pid: number; gen: string; event: string; at: number; instance: string },
      );
  const exposedOnline = (list: JlistEntry[], name: string, count: number) =>
    list.filter(
      (p) =>
        p.name === name &&
        p.pm2_env.status === 'online' &&
        ((p.pm2_env.axm_actions ?? []) as { action_name: string }[]).some(
          (a) => a.action_name === 'pm2-self:restart',
        ),
    ).length === count;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    sandbox = await createPm2Sandbox('pm2-self-operator-cli-');
    await sandbox.pm2(['ping']);
    const env = { PM2_SELF_DIST: DIST };
    // `pm2 start npm -- start`: the app calls exposeToPm2(), but npm stands between it and pm2.
    const npmDir = join(sandbox.home, 'npm-app');
    await mkdir(npmDir);
    await writeFile(
      join(npmDir, 'package.json'),
      JSON.stringify({ name: 'npm-app', scripts: { start: `node ${JSON.stringify(APP)}` } }),
    );
    const waitReady = WAIT_READY_APPS.map(({ name, pmx }) => ({
      name,
      script: APP,
      exec_mode: 'fork',
      instances: 2,
      wait_ready: true,
      listen_timeout: 1000,
      env: {
        ...env,
        EVENTS_FILE: join(sandbox.home, `${name}.events.jsonl`),
        READY: '1',
        NO_TURNS: '1',
        READY_DELAY_MS: '3000',
      },
      ...pmx,
    }));
    const ecosystem = join(sandbox.home, 'wait-ready.json');
    await writeFile(ecosystem, JSON.stringify({ apps: waitReady }));
    await Promise.all([
      sandbox.pm2(['start', ecosystem]),
      pm2WithEnv(sandbox, ['start', APP, '--name', 'web', '-i', '4'], {
        ...env,
        EVENTS_FILE: join(sandbox.home, 'web.events.jsonl'),
        TASK_MS: '400',
      }),
      pm2WithEnv(sandbox, ['start', APP, '--name', 'plain'], {
        ...env,
        EVENTS_FILE: join(sandbox.home, 'plain.events.jsonl'),
        EXPOSE: '0',
      }),
      ...NPM_APPS.map(({ name, flags }) =>
        pm2WithEnv(sandbox, ['start', 'npm', '--name', name, '--cwd', npmDir, ...flags, '--', 'start'], {
          ...env,
          EVENTS_FILE: join(sandbox.home, `${name}.events.jsonl`),
        }),
      ),
      pm2WithEnv(sandbox, ['start', APP, '--name', 'broken', '-i', '3', '--no-pmx'], {
        ...env,
        EVENTS_FILE: join(sandbox.home, 'broken.events.jsonl'),
        BROKEN_AFTER_MS: '2000',
      }),
    ]);
    await sandbox.waitFor((list) => exposedOnline(list, 'web', 4) && exposedOnline(list, 'broken', 3));
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('status shows every app, and the restart state of those that exposed themselves', async () => {
    const result = await cli(['status'], sandbox.env);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^name\s+id\s+pid\s+status\s+↺\s+state\s+tasks\s+last restart$/);
    expect(
      lines.filter((l) => /^web\s+\d+\s+\d+\s+online\s+0\s+(idle|deferred)\s+[01]\s+none$/.test(l)),
    ).toHaveLength(4);
    expect(
      lines.filter((l) => /^plain\s+\d+\s+\d+\s+online\s+0\s+-\s+-\s+not exposed$/.test(l)),
    ).toHaveLength(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('restart web: one instance at a time, at least one always up, all back, exit 0', async () => {
    const before = (await sandbox.jlist()).filter((p) => p.name === 'web');
    const from = Date.now();
    const result = await cli(['restart', 'web', '--reason', 'rollout'], sandbox.env);
    const to = Date.now();
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').filter((l) => l.includes('back online and settled: pid'))).toHaveLength(
      4,
    );
    expect(result.stdout).toMatch(/all 4 came back in /);

    const after = (await sandbox.jlist()).filter((p) => p.name === 'web');
    for (const entry of after) {
      expect(entry.pm2_env.status).toBe('online');
      expect(before.find((b) => b.pm_id === entry.pm_id)?.pid).not.toBe(entry.pid);
    }

    // From the apps' own timestamps: the old process of each pm_id exits only after the new
    // process of the one before it has started, so one at most is ever down.
    const web = await events('web');
    const lives = livesOf(web);
    const exitsInOrder = before
      .sort((a, b) => a.pm_id - b.pm_id)
      .map((entry) => lives.find((life) => life.pid === entry.pid)?.exitedAt);
    const startsInOrder = after
      .sort((a, b) => a.pm_id - b.pm_id)
      .map((entry) => lives.find((life) => life.pid === entry.pid)?.startedAt);
    for (let i = 1; i < 4; i++) expect(exitsInOrder[i]).toBeGreaterThan(startsInOrder[i - 1] as number);
    const summary = summarizeOnline(lives, from, to, 3);
    expect(summary.minOnline).toBeGreaterThanOrEqual(3);
    const downMs = downTimesOf(
      lives,
      before.map((entry) => entry.pid),
      after.map((entry) => entry.pid),
    );
    console.info(
      `[measure] one-at-a-time restart of 4 instances: ${to - from} ms (CLI run), ` +
        `most down at once ${4 - summary.minOnline}, down per instance ${downMs.join('/')} ms`,
    );
  });

  it("restart of a wait_ready app: the next instance is asked after the previous one's 'ready', not at pm2's online (listen_timeout)", async () => {
    await sandbox.waitFor(
      (list) => WAIT_READY_APPS.every(({ name }) => exposedOnline(list, name, 2)),
      30_000,
    );
    const results = await Promise.all(
      WAIT_READY_APPS.map(({ name }) => cli(['restart', name, '--settle', '0'], sandbox.env)),
    );
    for (const [i, { name }] of WAIT_READY_APPS.entries()) {
      expect(results[i]?.stdout).toMatch(/all 2 came back in /);
      expect(results[i]?.exitCode).toBe(0);
      const isReady0 = (e: { event: string; instance: string; gen: string }) =>
        e.event === 'ready-sent' && e.instance === '0' && e.gen === '1';
      // A rollout that did not wait may end before instance 0 sends its 'ready': wait for it.
      for (const until = Date.now() + 10_000; Date.now() < until;) {
        if ((await events(name)).some(isReady0)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const all = await events(name);
      const ready0 = all.find(isReady0);
      const exit1 = all.find((e) => e.event === 'exit' && e.instance === '1' && e.gen === '0');
      // From the apps' own timestamps: instance 1 went down only after instance 0's new process was ready.
      expect(ready0).toBeDefined();
      expect(exit1?.at).toBeGreaterThan(ready0?.at as number);
    }
  });

  it('a release that exits 2 s after its start: exit 1, the one instance asked is named, the others untouched', async () => {
    const before = (await sandbox.jlist())
      .filter((p) => p.name === 'broken')
      .sort((a, b) => a.pm_id - b.pm_id);
    const result = await cli(['restart', 'broken', '--reason', 'bad release'], sandbox.env);
    expect(result.exitCode).toBe(1);
    const first = before[0] as JlistEntry;
    const text = result.stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(new RegExp(`broken ${first.pm_id} crashed after its restart: `));
    expect(text).toMatch(
      /0 of 3 came back in .*; not back: broken \d+; not asked after that: broken \d+, broken \d+/,
    );
    const asked = (await events('broken')).filter((e) => e.event === 'requested');
    expect(asked.map((e) => e.pid)).toEqual([first.pid]);
    const after = (await sandbox.jlist()).filter((p) => p.name === 'broken');
    for (const entry of before.slice(1)) {
      const now = after.find((p) => p.pm_id === entry.pm_id);
      expect(now?.pid).toBe(entry.pid);
      expect(now?.pm2_env.restart_time).toBe(0);
    }
  });

  it('an app that did not call exposeToPm2() is reported at once, not waited on', async () => {
    const result = await cli(['restart', 'plain'], sandbox.env);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^plain \d+\s+did not call exposeToPm2\(\): not asked/m);
    expect(result.stdout).not.toContain('asking');
    expect((await events('plain')).filter((e) => e.event === 'exit')).toEqual([]);
  });

  it.each(NPM_APPS)(
    '$name, launched through npm: "has no IPC channel", not "did not call exposeToPm2()"',
    async ({ name }) => {
      // The app itself called exposeToPm2() (with no channel to pm2) before the command asks.
      const exposed = async () => (await events(name).catch(() => [])).some((e) => e.event === 'exposed');
      for (const until = Date.now() + 30_000; !(await exposed()) && Date.now() < until;)
        await new Promise((r) => setTimeout(r, 200));
      const result = await cli(['restart', name], sandbox.env);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(
        new RegExp(`^${name} \\d+\\s+has no IPC channel \\(launched through npm\\?\\): not asked`, 'm'),
      );
      expect(result.stdout).not.toContain('did not call exposeToPm2()');
      expect((await events(name)).filter((e) => e.event === 'exit')).toEqual([]);
    },
  );

  it('an unknown app exits 2 with nothing asked', async () => {
    const result = await cli(['restart', 'nope'], sandbox.env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`pm2-self: no app "nope" in PM2_HOME ${sandbox.home}`);
    expect(result.stdout).toBe('');
  });

  it('no daemon: exit 2 for every command, and no daemon is started', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pm2-self-cli-nodaemon-'));
    try {
      const env = cleanEnv({ PM2_HOME: home });
      for (const args of [
        ['status'],
        ['restart', 'web'],
        ['cancel', 'web'],
        ['status', '--pm2-home', home],
      ]) {
        const result = await cli(args, env);
        expect(result.exitCode).toBe(2);
        expect(result.stderr).toBe(`pm2-self: no pm2 daemon runs for PM2_HOME ${home} (none was started)`);
      }
      expect(existsSync(join(home, 'pm2.pid'))).toBe(false);
      expect(existsSync(join(home, 'rpc.sock'))).toBe(false);
      expect((await listGodDaemons()).filter((d) => d.home === home)).toEqual([]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
