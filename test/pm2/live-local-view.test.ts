/**
 * Issue 20 under real pm2, both pmx variants: live answers built by the process itself. Apps install
 * the shutdown handler, hold a task that never ends and poll getInfo({ live: true }) beside
 * getInfo({ live: 'daemon' }). Checked: local answers agree with the daemon's on every field both know
 * (across pm2 restart from the CLI, a cluster reload and a stop); `stopping` in the next answer after
 * pm2's signal; the restart count right in the new process's first answer; `superseded` for an old
 * cluster worker during a reload; after `pm2 reset` (no signal), local answers take the daemon's count 0
 * with no question of their own; a paused daemon reported as `timeout`.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import { PM2_SELF_DIST, readEvents, waitForEvents, type AppEvent } from '../apps/restart/harness.js';

const APP = resolve(import.meta.dirname, '../apps/live-local-view/app.cjs');
const LIVENESS_MS = 1000;
const QUERY_TIMEOUT_MS = 1000;

interface View {
  source: string;
  status: string | null;
  relation: string;
  restarts: number | null;
  uptimeMs: number;
  daemon: { ok: boolean; problem?: string } | null;
  [field: string]: unknown;
}
interface Answer extends AppEvent {
  askedAt: number;
  local: View | null;
  daemon: View | null;
}

const answersOf = (events: AppEvent[]) => events.filter((e) => e.event === 'answer') as Answer[];
const signalOf = (events: AppEvent[], pid: number) =>
  events.find((e) => e.event === 'signal' && e.pid === pid)?.at;

/** Local answers asked before `until`, each beside the daemon's: every field both know agrees. */
function expectLocalEqualsDaemon(events: AppEvent[], pids: readonly number[], until: number): void {
  const pairs = answersOf(events).filter(
    (a) => pids.includes(a.pid) && a.askedAt < until && a.local?.source === 'local' && a.daemon?.daemon?.ok,
  );
  expect(pairs.length).toBeGreaterThan(0);
  for (const { local, daemon } of pairs) {
    const { source: _a, daemon: _b, uptimeMs: localUptime, ...localFields } = local as View;
    const { source: _c, daemon: _d, uptimeMs: daemonUptime, ...daemonFields } = daemon as View;
    expect(localFields).toEqual(daemonFields);
    // The daemon's answer may be up to cacheTtlMs (1 s) old.
    expect(Math.abs(localUptime - daemonUptime)).toBeLessThan(2500);
  }
}

describe('live answers built by the process itself (real pm2)', () => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => join(sandbox.home, `events-${name}.jsonl`);
  const app = (name: string, pmx: object, extra: object = {}, env: object = {}) => ({
    name,
    script: APP,
    cwd: sandbox.home,
    kill_timeout: 2500,
    ...pmx,
    ...extra,
    env: {
      PM2_SELF_DIST,
      EVENTS_FILE: file(name),
      POLL_MS: '150',
      LIVENESS_MS: String(LIVENESS_MS),
      QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      ...env,
    },
  });
  const forks = PMX_VARIANTS.map((v) => `fork${v.suffix}`);
  const clusters = PMX_VARIANTS.map((v) => `cluster${v.suffix}`);
  const resets = PMX_VARIANTS.map((v) => `reset${v.suffix}`);
  const localSeen = (name: string, count: number) =>
    waitForEvents(
      file(name),
      (events) => answersOf(events).filter((a) => a.local?.source === 'local').length >= count,
      30_000,
    );

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-live-local-');
    const apps = PMX_VARIANTS.flatMap((v) => [
      app(`fork${v.suffix}`, v.pmx),
      // pm2 signals an old worker once its successor listens, or after listen_timeout (this app does
      // not listen): a long one leaves seconds in which the old worker answers before the signal.
      app(`cluster${v.suffix}`, v.pmx, { exec_mode: 'cluster', instances: 2, listen_timeout: 8000 }),
      app(`reset${v.suffix}`, v.pmx, {}, { LOCAL_ONLY: '1' }),
    ]);
    const ecosystem = join(sandbox.home, 'ecosystem.json');
    await writeFile(ecosystem, JSON.stringify({ apps }));
    await sandbox.pm2(['start', ecosystem]);
    for (const { name } of apps) await localSeen(name, 4);
  }, 90_000);

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it.each(forks)(
    '%s: pm2 restart from the CLI: local equals daemon before; stopping after the signal; the new first answer has count 1',
    async (name) => {
      const before = await readEvents(file(name));
      const oldPid = answersOf(before)[0]?.pid as number;
      const commandAt = Date.now();
      expectLocalEqualsDaemon(before, [oldPid], commandAt);
      await sandbox.pm2(['restart', name]);
      const events = await waitForEvents(
        file(name),
        (all) => answersOf(all).filter((a) => a.gen === '1').length >= 6,
        30_000,
      );
      const signalAt = signalOf(events, oldPid) as number;
      expect(signalAt).toBeGreaterThan(commandAt);
      const afterSignal = answersOf(events).find((a) => a.pid === oldPid && a.askedAt > signalAt);
      expect(afterSignal?.local).toMatchObject({ status: 'stopping', source: 'daemon' });
      const first = answersOf(events).find((a) => a.gen === '1');
      expect(first?.local).toMatchObject({ status: 'online', restarts: 1, source: 'daemon' });
      const newPid = first?.pid as number;
      expectLocalEqualsDaemon(events, [newPid], Date.now());
      expect(answersOf(events).some((a) => a.pid === newPid && a.local?.source === 'local')).toBe(true);
    },
    60_000,
  );

  it.each(clusters)(
    '%s: pm2 reload: old workers say superseded before the signal, and after it; the new workers answer locally, equal to the daemon',
    async (name) => {
      const before = await readEvents(file(name));
      const oldPids = [...new Set(answersOf(before).map((a) => a.pid))];
      expect(oldPids).toHaveLength(2);
      const commandAt = Date.now();
      expectLocalEqualsDaemon(before, oldPids, commandAt);
      await sandbox.pm2(['reload', name]);
      const events = await waitForEvents(
        file(name),
        (all) =>
          oldPids.every((pid) => signalOf(all, pid) !== undefined) &&
          new Set(
            answersOf(all)
              .filter((a) => a.askedAt > commandAt && !oldPids.includes(a.pid) && a.local?.source === 'local')
              .map((a) => a.pid),
          ).size === 2,
        60_000,
      );
      for (const pid of oldPids) {
        const signalAt = signalOf(events, pid) as number;
        // Before pm2's signal: once the daemon lists the successor, the local answer follows within
        // the pid file's look (1 s) plus the successor's start (it writes the pid file).
        const mine = answersOf(events).filter((a) => a.pid === pid && a.askedAt < signalAt);
        const daemonSaysAt = mine.find((a) => a.daemon?.relation === 'superseded')?.askedAt as number;
        expect(daemonSaysAt).toBeDefined();
        const later = mine.filter((a) => a.askedAt > daemonSaysAt + 2500);
        expect(later.length).toBeGreaterThan(0);
        for (const answer of later)
          expect(answer.local).toMatchObject({ relation: 'superseded', source: 'daemon' });
        const next = answersOf(events).find((a) => a.pid === pid && a.askedAt > signalAt);
        if (next !== undefined)
          expect(next.local).toMatchObject({ relation: 'superseded', source: 'daemon' });
      }
      // At least one old worker answered between its signal and its exit (its task holds the exit).
      expect(
        oldPids.some((pid) =>
          answersOf(events).some((a) => a.pid === pid && a.askedAt > (signalOf(events, pid) as number)),
        ),
      ).toBe(true);
      const newPids = [
        ...new Set(
          answersOf(events)
            .filter((a) => a.askedAt > commandAt && !oldPids.includes(a.pid))
            .map((a) => a.pid),
        ),
      ];
      expectLocalEqualsDaemon(events, newPids, Date.now());
    },
    120_000,
  );

  it.each(forks)(
    '%s: pm2 stop: stopping in the next answer after the signal, while a task holds the exit',
    async (name) => {
      const before = await readEvents(file(name));
      const pid = answersOf(before).at(-1)?.pid as number;
      const commandAt = Date.now();
      expectLocalEqualsDaemon(before, [pid], commandAt);
      await sandbox.pm2(['stop', name]);
      const events = await waitForEvents(file(name), (all) => {
        const at = signalOf(all, pid);
        return at !== undefined && answersOf(all).some((a) => a.pid === pid && a.askedAt > at);
      });
      const signalAt = signalOf(events, pid) as number;
      const next = answersOf(events).find((a) => a.pid === pid && a.askedAt > signalAt);
      expect(next?.local).toMatchObject({ status: 'stopping', source: 'daemon' });
    },
    60_000,
  );

  it.each(resets)(
    "%s: pm2 reset, which sends no signal: local answers take the daemon's count 0, asking nothing themselves",
    async (name) => {
      await sandbox.pm2(['restart', name]);
      const localOf = (all: AppEvent[]) =>
        answersOf(all).filter((a) => a.gen === '1' && a.local?.source === 'local');
      const restarted = await waitForEvents(file(name), (all) => localOf(all).length >= 3, 30_000);
      expect(localOf(restarted).map((a) => a.local?.restarts)).toEqual(localOf(restarted).map(() => 1));
      const resetAt = Date.now();
      await sandbox.pm2(['reset', name]);
      const zero = (all: AppEvent[]) => localOf(all).find((a) => a.local?.restarts === 0);
      // The heartbeat lists the daemon once per 6 heartbeats (6 s here), each process looks as often.
      const events = await waitForEvents(file(name), (all) => zero(all) !== undefined, 30_000);
      expect(zero(events)?.askedAt).toBeGreaterThan(resetAt);
      expect(zero(events)?.local).toMatchObject({ status: 'online', restarts: 0, unstableRestarts: 0 });
      const entry = (await sandbox.jlist()).find((p) => p.name === name);
      expect(entry?.pm2_env.restart_time).toBe(0);
      // Once seen, the count stays 0.
      const later = await waitForEvents(
        file(name),
        (all) => localOf(all).filter((a) => a.askedAt > (zero(all)?.askedAt ?? Infinity)).length >= 5,
      );
      const after = localOf(later).filter((a) => a.askedAt > (zero(later)?.askedAt as number));
      expect(after.map((a) => a.local?.restarts)).toEqual(after.map(() => 0));
    },
    60_000,
  );

  it('a paused daemon (SIGSTOP) is reported as timeout, not a stale online', async () => {
    const daemonPid = (await sandbox.daemonPid()) as number;
    process.kill(daemonPid, 'SIGSTOP');
    try {
      const pausedAt = Date.now();
      const reported = (events: AppEvent[]) =>
        answersOf(events).find((a) => a.askedAt > pausedAt && a.local?.daemon?.ok === false);
      for (const name of clusters) {
        const events = await waitForEvents(file(name), (all) => reported(all) !== undefined, 30_000);
        expect(reported(events)?.local).toMatchObject({
          status: null,
          daemon: { ok: false, problem: 'timeout' },
        });
        // No local online answer asked after the heartbeat went stale.
        const stale = pausedAt + LIVENESS_MS + QUERY_TIMEOUT_MS + 1000;
        const online = answersOf(events).filter((a) => a.askedAt > stale && a.local?.status === 'online');
        expect(online).toEqual([]);
      }
    } finally {
      process.kill(daemonPid, 'SIGCONT');
    }
  }, 60_000);
});
