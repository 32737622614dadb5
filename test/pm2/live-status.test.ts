/**
 * Live answers under real pm2 while processes of one PM2_HOME share the daemon's list: a restart and a
 * stop show promptly. Apps poll getInfo({ live: true }) every 100 ms with the default cacheTtlMs; one
 * app of each kind runs with pmx: false, the others with pm2's default @pm2/io injection.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { entryOf, PM2_SELF_DIST, readEvents, waitForEvents, type AppEvent } from '../apps/restart/harness.js';

const APP = resolve(import.meta.dirname, '../apps/live-status/app.cjs');
const KILL_TIMEOUT_MS = 4000;

interface Answer extends AppEvent {
  askedAt: number;
  status: string | null;
  restarts: number | null;
  counters: string | null;
}

const answers = (events: AppEvent[]) => events.filter((e) => e.event === 'answer') as Answer[];

describe('live status with the shared daemon list (real pm2)', () => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => join(sandbox.home, `events-${name}.jsonl`);
  const app = (name: string, shutdown: string, pmx: boolean) => ({
    name,
    script: APP,
    cwd: sandbox.home,
    pmx,
    kill_timeout: KILL_TIMEOUT_MS,
    env: {
      PM2_SELF_DIST,
      EVENTS_FILE: file(name),
      SHUTDOWN: shutdown,
      POLL_MS: '100',
      EXIT_AFTER_MS: String(KILL_TIMEOUT_MS - 1000),
    },
  });

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-live-status-');
    const apps = [
      app('peer', 'none', true),
      app('peer-nopmx', 'none', false),
      app('handler', 'handler', true),
      app('handler-nopmx', 'handler', false),
      app('own-nopmx', 'own', false),
    ];
    const ecosystem = join(sandbox.home, 'ecosystem.json');
    await writeFile(ecosystem, JSON.stringify({ apps }));
    await sandbox.pm2(['start', ecosystem]);
    for (const { name } of apps)
      await waitForEvents(file(name), (events) => answers(events).some((a) => a.status === 'online'));
  }, 60_000);

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('the snapshot is shared through $PM2_HOME/pm2-self/list-v1.json, without environment values', async () => {
    const text = await readFile(join(sandbox.home, 'pm2-self', 'list-v1.json'), 'utf8');
    const snapshot = JSON.parse(text) as { list: Array<{ name: string }> };
    expect(snapshot.list.map((p) => p.name).sort()).toEqual(
      ['handler', 'handler-nopmx', 'own-nopmx', 'peer', 'peer-nopmx'].sort(),
    );
    expect(text).not.toContain('PM2_SELF_DIST');
    expect(text).not.toContain('EVENTS_FILE');
  });

  it.each(['peer', 'peer-nopmx'])(
    "%s: after pm2 restart, the new generation's first live answer is the daemon's, with the new count",
    async (name) => {
      await sandbox.pm2(['restart', name]);
      const events = await waitForEvents(file(name), (all) => answers(all).some((a) => a.gen === '1'));
      const first = answers(events).find((a) => a.gen === '1');
      // Its neighbours keep a fresh snapshot, but one asked before this process started cannot know it.
      expect(first).toMatchObject({ status: 'online', restarts: 1, counters: 'daemon' });
      const list = await sandbox.jlist();
      expect(entryOf(list, name).pm2_env.restart_time).toBe(1);
    },
  );

  it('pm2 stop: every app sees `stopping` while pm2 stops it; with the shutdown handler, from its first answer asked after the signal', async () => {
    const names = ['handler', 'handler-nopmx', 'own-nopmx'];
    const stopAskedAt = Date.now();
    await sandbox.pm2(['stop', ...names], { timeoutMs: 30_000 });
    for (const name of names) {
      const events = await readEvents(file(name));
      const signal = events.find((e) => e.event === 'signal');
      expect(signal, `${name}: signal line`).toBeDefined();
      // pm2 marks the app `stopping` before its signal arrives: only answers asked before the stop command
      // was given must say online.
      const before = answers(events).filter((a) => a.askedAt < stopAskedAt);
      const after = answers(events).filter((a) => a.askedAt > (signal?.at as number));
      expect(before.at(-1)?.status, `${name}: last answer before the stop`).toBe('online');
      expect(after.length, `${name}: answers after the signal`).toBeGreaterThan(3);
      // Never `online` again once stopping is seen.
      const firstStopping = after.findIndex((a) => a.status === 'stopping');
      expect(firstStopping, `${name}: stopping seen`).toBeGreaterThanOrEqual(0);
      expect(after.slice(firstStopping).every((a) => a.status === 'stopping')).toBe(true);
      if (name !== 'own-nopmx') expect(firstStopping, `${name}: first answer after the signal`).toBe(0);
    }
    const end = await sandbox.jlist();
    for (const name of names) expect(entryOf(end, name).pm2_env.status).toBe('stopped');
  }, 40_000);
});
