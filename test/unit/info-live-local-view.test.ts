/**
 * Issue 20: a live answer built by the process itself. Once the daemon has said this process is online
 * and a shutdown handler is installed, getStatus()/getInfo({ live: true }) ask the daemon nothing; a
 * heartbeat (one ping per livenessIntervalMs among all processes) still reports a paused or dead daemon
 * with a typed reason. A signal of pm2, no handler, or live: 'daemon' go to the daemon's list.
 */
import { describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import { FIXTURE_DAEMON_PID, jlistFixture } from '../helpers/fake-ports.js';
import { portsWithStatus } from '../helpers/status-daemon.js';

const HEARTBEAT = '/pm2-self/alive-v1.json';

const LIST = JSON.parse(jlistFixture('full.json')) as Array<{
  pid: number;
  name: string;
  pm2_env: Record<string, unknown>;
}>;
/** The fork fixture's own entry in the daemon's list (pm_id 0). */
const OWN_ENTRY = LIST[0] as (typeof LIST)[number];
/** The entry of the `cluster-0` fixture's worker (pm_id 1). */
const CLUSTER_ENTRY = LIST[1] as (typeof LIST)[number];

function setup(options: { handler?: boolean; cacheTtlMs?: number; fixture?: 'fork' | 'cluster-0' } = {}) {
  const { ports, setStatus, setRestarts } = portsWithStatus(
    { ping: { ok: true, value: { msg: 'pong' } } },
    options.fixture,
  );
  const { cacheTtlMs } = options;
  const self = createPm2Self({
    ports,
    route: 'rpc',
    livenessIntervalMs: 5000,
    queryTimeoutMs: 1000,
    ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }),
  });
  if (options.handler !== false) self.installShutdownHandler();
  const count = (method: string) => ports.daemon.methods().filter((m) => m === method).length;
  return { ports, self, count, setStatus, setRestarts };
}

describe('live answers built by the process itself', () => {
  it("the first answer is the daemon's; later ones are local, with no list query of their own", async () => {
    const { ports, self, count } = setup();
    expect((await self.getInfo({ live: true }))?.sources.status).toBe('daemon');
    for (let i = 0; i < 10; i += 1) {
      ports.clock.advance(1000);
      const info = await self.getInfo({ live: true });
      expect(info).toMatchObject({ status: 'online', sources: { status: 'local' }, cpuPercent: null });
      expect(info?.daemon).toMatchObject({ ok: true, via: 'heartbeat' });
      expect(await self.getStatus()).toBe('online');
    }
    // The first heartbeat lists the daemon (to share its counters), the next ones ping: at 6 s, then at
    // 11 s or later.
    expect(count('getMonitorData')).toBe(2);
    expect(count('ping')).toBeLessThanOrEqual(2);
  });

  it('a minute of calls once a second: no call reads a file; the pid file is read once, the heartbeat only looked at', async () => {
    const { ports, self, count } = setup();
    let storeLooks = 0;
    ports.fs.storeProblem = async () => {
      storeLooks += 1;
      return null;
    };
    await self.getInfo({ live: true });
    const readsAfterFirst = ports.fs.reads.length;
    const pidFileReads = () => ports.fs.reads.filter((path) => path.endsWith('/pm2.pid')).length;
    const pidFileReadsAfterFirst = pidFileReads();
    for (let i = 0; i < 60; i += 1) {
      ports.clock.advance(1000);
      expect((await self.getInfo({ live: true }))?.sources.status).toBe('local');
    }
    // The daemon's pid file names it until it dies (read once more, by the first heartbeat look, and by
    // each list the heartbeat makes to share the counters); the heartbeat's own time says how old it is.
    const lists = count('getMonitorData') - 1;
    expect(lists).toBeLessThanOrEqual(3);
    expect(pidFileReads() - pidFileReadsAfterFirst).toBeLessThanOrEqual(1 + lists);
    expect(ports.fs.reads.slice(readsAfterFirst).filter((path) => path.endsWith(HEARTBEAT))).toEqual([]);
    // Once per livenessIntervalMs (5 s) at most, after a look that found it stale once more.
    const looks = ports.fs.looks.filter((path) => path.endsWith(HEARTBEAT)).length;
    expect(looks).toBeGreaterThanOrEqual(12);
    expect(looks).toBeLessThanOrEqual(26);
    expect(count('ping') + lists).toBeLessThanOrEqual(13);
    // Nor is the store folder looked at on every call: once per interval, as the heartbeat.
    expect(storeLooks).toBeLessThanOrEqual(14);
  });

  it("local answers carry the daemon's counters, and take them anew after pm2 reset, which sends no signal", async () => {
    const { ports, self, setRestarts } = setup();
    setRestarts(3);
    expect((await self.getInfo({ live: true }))?.restarts).toBe(3);
    ports.clock.advance(1000);
    expect(await self.getInfo({ live: true })).toMatchObject({
      restarts: 3,
      sources: { status: 'local', counters: 'daemon' },
    });
    setRestarts(0);
    const resetAt = ports.clock.now();
    let seenAt: number | undefined;
    for (let i = 0; i < 120 && seenAt === undefined; i += 1) {
      ports.clock.advance(1000);
      const info = await self.getInfo({ live: true });
      expect(info?.sources.status).toBe('local');
      if (info?.restarts === 0) seenAt = ports.clock.now();
    }
    // The heartbeat lists the daemon once per 6 heartbeats (30 s); a process looks as often.
    expect(seenAt).toBeDefined();
    expect((seenAt ?? Infinity) - resetAt).toBeLessThanOrEqual(30_000 + 30_000 + 5_000 + 1_000);
    expect(await self.getInfo({ live: 'daemon' })).toMatchObject({ restarts: 0 });
  });

  it('a local answer measures its memory at most once per livenessIntervalMs; a change shows within one', async () => {
    const { ports, self } = setup();
    let measured = 0;
    ports.process.residentMemoryBytes = () => {
      measured += 1;
      return ports.process.rss;
    };
    await self.getInfo({ live: true });
    const afterFirst = measured;
    for (let i = 0; i < 30; i += 1) {
      ports.clock.advance(1000);
      await self.getInfo({ live: true });
    }
    expect(measured - afterFirst).toBeLessThanOrEqual(7);
    ports.process.rss = 123_456_789;
    let shownAfter = 0;
    for (; shownAfter <= 6; shownAfter += 1) {
      ports.clock.advance(1000);
      if ((await self.getInfo({ live: true }))?.memoryBytes === 123_456_789) break;
    }
    expect(shownAfter).toBeLessThan(6);
  });

  it('local and daemon answers agree on every field both know', async () => {
    const { ports, self } = setup();
    await self.getInfo({ live: true });
    ports.clock.advance(1000);
    const local = await self.getInfo({ live: true });
    const daemon = await self.getInfo({ live: 'daemon' });
    expect(local?.sources.status).toBe('local');
    expect(daemon?.sources.status).toBe('daemon');
    const both = [
      'name',
      'pmId',
      'pid',
      'trackedPid',
      'relation',
      'instance',
      'namespace',
      'execMode',
      'status',
    ];
    for (const field of [...both, 'restarts', 'unstableRestarts', 'settings', 'uptimeMs'] as const)
      expect([field, local?.[field as keyof typeof local]]).toEqual([
        field,
        daemon?.[field as keyof typeof daemon],
      ]);
  });

  it('without a shutdown handler, the daemon is asked (once per cacheTtlMs)', async () => {
    const { ports, self, count } = setup({ handler: false });
    await self.getStatus();
    ports.clock.advance(1500);
    expect((await self.getInfo({ live: true }))?.sources.status).toBe('daemon');
    expect(count('getMonitorData')).toBe(2);
  });

  it("after pm2's signal, the next answer is the daemon's: stopping", async () => {
    const { ports, self, setStatus } = setup();
    await self.getStatus();
    ports.clock.advance(1000);
    expect(await self.getStatus()).toBe('online');
    setStatus('stopping');
    self.runTask(new Promise(() => undefined)).catch(() => undefined);
    ports.process.emitShutdown('SIGINT');
    ports.clock.advance(1);
    expect(await self.getStatus()).toBe('stopping');
    expect((await self.getInfo({ live: true }))?.sources.status).toBe('daemon');
  });

  it('a paused daemon (pid alive, no answer to the ping) is a timeout once its heartbeat is old', async () => {
    const { ports, self } = setup();
    await self.getStatus();
    ports.clock.advance(1000);
    expect(await self.getStatus()).toBe('online');
    ports.daemon.script.ping = { ok: false, reason: 'timeout', message: 'no answer in 1000 ms' };
    ports.clock.advance(6000);
    expect(await self.getStatus()).toBeNull();
    const info = await self.getInfo({ live: true });
    expect(info).toMatchObject({ status: null, daemon: { ok: false, problem: 'timeout' } });
  });

  it('a dead daemon is seen on the next call: noDaemon; a new one is found through its pid file', async () => {
    const { ports, self } = setup();
    await self.getStatus();
    ports.clock.advance(1000);
    expect(await self.getStatus()).toBe('online');
    ports.process.alive.delete(FIXTURE_DAEMON_PID);
    ports.clock.advance(10);
    const info = await self.getInfo({ live: true });
    expect(info).toMatchObject({ status: null, daemon: { ok: false, problem: 'noDaemon' } });
    const next = FIXTURE_DAEMON_PID + 1;
    const pidFile = [...ports.fs.files.keys()].find((path) => path.endsWith('/pm2.pid')) ?? '';
    ports.fs.files.set(pidFile, `${next}\n`);
    ports.process.alive.add(next);
    ports.clock.advance(6000);
    expect(await self.getStatus()).toBe('online');
  });

  it('a daemon started after the last one died does not know this process: its answers are not local, and another app at this pm_id is not this one', async () => {
    const { ports, self } = setup();
    await self.getStatus();
    ports.clock.advance(1000);
    expect((await self.getInfo({ live: true }))?.sources.status).toBe('local');
    ports.process.alive.delete(FIXTURE_DAEMON_PID);
    const next = FIXTURE_DAEMON_PID + 1;
    const pidFile = [...ports.fs.files.keys()].find((path) => path.endsWith('/pm2.pid')) ?? '';
    ports.fs.files.set(pidFile, `${next}\n`);
    ports.process.alive.add(next);
    // The new daemon lists nothing of this process.
    ports.daemon.script.getMonitorData = { ok: true, value: [] };
    for (let i = 0; i < 3; i += 1) {
      ports.clock.advance(6000);
      const info = await self.getInfo({ live: true });
      expect(info).toMatchObject({ status: null, relation: 'tracked' });
      expect(info?.sources.status).not.toBe('local');
      expect(await self.getStatus()).toBeNull();
    }
    // Another app started there takes pm_id 0: it is not a newer process of this app.
    const other = {
      ...OWN_ENTRY,
      pid: 9999,
      name: 'other',
      pm2_env: { ...OWN_ENTRY.pm2_env, name: 'other' },
    };
    ports.daemon.script.getMonitorData = { ok: true, value: [other] };
    ports.clock.advance(6000);
    const info = await self.getInfo({ live: 'daemon' });
    expect(info).toMatchObject({ status: null, relation: 'tracked', trackedPid: ports.process.pid });
  });

  it("an old worker whose pid file names the new one (cluster reload, before pm2's signal) says superseded within a second", async () => {
    const { ports, self } = setup({ fixture: 'cluster-0' });
    await self.getStatus();
    ports.clock.advance(1000);
    expect((await self.getInfo({ live: true }))?.relation).toBe('tracked');
    const newer = { ...CLUSTER_ENTRY, pid: 9999 };
    ports.daemon.script.getMonitorData = { ok: true, value: [newer] };
    await ports.fs.writeText(String(CLUSTER_ENTRY.pm2_env.pm_pid_path), '9999');
    ports.clock.advance(1000);
    expect(await self.getInfo({ live: true })).toMatchObject({
      relation: 'superseded',
      trackedPid: 9999,
      sources: { status: 'daemon' },
    });
    expect(await self.getStatus()).toBeNull();
  });

  it('a fork-mode process at 1 Hz: only the calls that fall due for the look of an interval touch a file, the others answer at once', async () => {
    const { ports, self } = setup();
    let storeLooks = 0;
    ports.fs.storeProblem = async () => {
      storeLooks += 1;
      return null;
    };
    const touches = () => ports.fs.reads.length + ports.fs.looks.length + storeLooks;
    await self.getInfo({ live: true });
    let touching = 0;
    for (let i = 0; i < 60; i += 1) {
      ports.clock.advance(1000);
      const before = touches();
      // An answer that needs no look is there before any other promise settles.
      let settled = false;
      const answer = self.getInfo({ live: true }).then((info) => {
        settled = true;
        return info;
      });
      await Promise.resolve();
      await Promise.resolve();
      expect((await answer)?.sources.status).toBe('local');
      if (touches() > before) touching += 1;
      else expect(settled).toBe(true);
    }
    // One look per livenessIntervalMs (5 s): 12 in a minute, give or take the first.
    expect(touching).toBeGreaterThanOrEqual(10);
    expect(touching).toBeLessThanOrEqual(13);
  });

  it('a cluster worker looks at its pid file at most once a second; a fork-mode process, which pm2 reloads by stopping it first, never', async () => {
    for (const [fixture, entry] of [
      ['cluster-0', CLUSTER_ENTRY],
      ['fork', OWN_ENTRY],
    ] as const) {
      const { ports, self } = setup({ fixture });
      await self.getInfo({ live: true });
      const file = String(entry.pm2_env.pm_pid_path);
      const touches = () => [...ports.fs.reads, ...ports.fs.looks].filter((path) => path === file).length;
      const afterFirst = touches();
      for (let i = 0; i < 120; i += 1) {
        ports.clock.advance(500);
        expect((await self.getInfo({ live: true }))?.sources.status).toBe('local');
      }
      if (fixture === 'fork') expect(touches() - afterFirst).toBe(0);
      else {
        expect(touches() - afterFirst).toBeGreaterThanOrEqual(50);
        expect(touches() - afterFirst).toBeLessThanOrEqual(61);
      }
    }
  });

  it("cacheTtlMs: 0 shares nothing: no heartbeat or counters file, every answer the daemon's, store off", async () => {
    const { ports, self } = setup({ cacheTtlMs: 0 });
    for (let i = 0; i < 12; i += 1) {
      ports.clock.advance(1000);
      const info = await self.getInfo({ live: true });
      expect(info).toMatchObject({
        status: 'online',
        sources: { status: 'daemon' },
        daemon: { store: 'off' },
      });
    }
    const touched = [...ports.fs.files.keys(), ...ports.fs.reads, ...ports.fs.looks];
    expect(touched.filter((path) => path.includes('/pm2-self/'))).toEqual([]);
  });

  it('the heartbeat is written to $PM2_HOME/pm2-self/alive-v1.json', async () => {
    const a = setup();
    await a.self.getStatus();
    a.ports.clock.advance(1000);
    await a.self.getStatus();
    const text = [...a.ports.fs.files].find(([path]) => path.endsWith(HEARTBEAT))?.[1];
    expect(JSON.parse(text ?? '{}')).toMatchObject({
      format: 'pm2-self/alive@1',
      daemonPid: FIXTURE_DAEMON_PID,
    });
  });
});
