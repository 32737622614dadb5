/**
 * Processes of one PM2_HOME share the daemon's list through `$PM2_HOME/pm2-self/list-v1.json`: N
 * processes make one query per cacheTtlMs between them, and an answer is never one that cannot know
 * the caller (asked before it started, before its askedAfter, or by another daemon).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDaemonQuery, type DaemonQuery } from '../../src/daemon/daemon-query.js';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import type { FileSystem, RpcResult } from '../../src/ports/ports.js';
import { instantOf } from '../../src/ports/monotonic-now.js';
import {
  createFakeClock,
  createFakeDaemonClient,
  createFakeFileSystem,
  createFakeProcess,
  createFakeRunner,
  FIXTURE_SECRET,
  jlistFixture,
} from '../helpers/fake-ports.js';
import { flush } from '../helpers/sim-clock.js';

const HOME = '/srv/pm2home';
const PATHS = pm2HomePaths(HOME, 'linux');
const SNAPSHOT = join(HOME, 'pm2-self', 'list-v1.json');
const CLAIM = `${SNAPSHOT}.lock`;
const LIST = JSON.parse(jlistFixture('full.json')) as Array<Record<string, unknown>>;
const TTL = 1000;
const DAEMON_PID = 555;

/** One machine: shared files, clock and daemon; each `spawn()` is another process of the same PM2_HOME. */
function machine() {
  const clock = createFakeClock();
  const fs = createFakeFileSystem({ [PATHS.daemonPidFile]: `${DAEMON_PID}\n` });
  let status = 'online';
  const daemon = createFakeDaemonClient({
    getMonitorData: (): RpcResult<unknown> => ({
      ok: true,
      value: LIST.map((entry) => ({ ...entry, pm2_env: { ...(entry.pm2_env as object), status } })),
    }),
  });
  const queries = () => daemon.methods().filter((m) => m === 'getMonitorData').length;
  let nextPid = 1000;
  const spawn = (
    options: { uptimeMs?: number; cacheTtlMs?: number; fs?: FileSystem; alive?: number[] } = {},
  ): DaemonQuery =>
    createDaemonQuery({
      ports: {
        clock,
        fs: options.fs ?? fs,
        daemon,
        runner: createFakeRunner(),
        process: createFakeProcess({
          pid: nextPid++,
          alive: [DAEMON_PID, ...(options.alive ?? [])],
          uptimeMs: options.uptimeMs ?? 60_000,
        }),
      },
      paths: PATHS,
      route: 'rpc',
      timeoutMs: 2000,
      cacheTtlMs: options.cacheTtlMs ?? TTL,
      maxListBytes: 1 << 20,
      pm2Command: () => {
        throw new Error('no CLI in these tests');
      },
    });
  return {
    clock,
    fs,
    spawn,
    queries,
    setStatus: (next: string) => {
      status = next;
    },
  };
}

/** The machine's files, where another process refreshes the snapshot just as this one tries to claim. */
function racedBy(
  m: ReturnType<typeof machine>,
  claim: (path: string, text: string) => Promise<boolean>,
): FileSystem {
  return {
    ...m.fs,
    async createExclusive(path, text) {
      const written = JSON.parse(m.fs.files.get(SNAPSHOT) ?? '{}') as Record<string, unknown>;
      m.fs.files.set(SNAPSHOT, JSON.stringify({ ...written, askedAt: m.clock.now() }));
      return claim(path, text);
    },
  };
}

/** Settles `promise`, moving the fake clock 10 ms at a time while it is pending (at most `limitMs`). */
async function settled<T>(
  promise: Promise<T>,
  m: { clock: { advance(ms: number): void } },
  limitMs = 10_000,
) {
  let result: { value: T } | undefined;
  void promise.then((value) => (result = { value }));
  for (let passed = 0; result === undefined && passed <= limitMs; passed += 10) {
    await flush(3);
    m.clock.advance(10);
  }
  await flush(3);
  if (result === undefined) throw new Error(`still pending after ${limitMs} ms`);
  return result.value;
}

const statusOf = (result: Awaited<ReturnType<DaemonQuery['list']>>) =>
  result.ok ? result.entries[0]?.status : result.problem;

describe('shared list: one daemon query per cacheTtlMs for all processes of a PM2_HOME', () => {
  it('ten processes asking one after the other make one query, and all read the same list', async () => {
    const m = machine();
    const processes = Array.from({ length: 10 }, () => m.spawn());
    const results: Array<Awaited<ReturnType<DaemonQuery['list']>>> = [];
    for (const p of processes) results.push(await p.list());
    expect(m.queries()).toBe(1);
    for (const result of results) expect(result).toMatchObject({ ok: true, via: 'rpc' });
    const names = (r: (typeof results)[number]): string[] =>
      r.ok ? r.entries.map((e) => `${e.pmId}:${e.name}`) : [];
    for (const result of results) expect(names(result)).toEqual(names(results[0]!));
  });

  it('a new query once the snapshot is cacheTtlMs old, shared again', async () => {
    const m = machine();
    const [a, b] = [m.spawn(), m.spawn()];
    await a.list();
    m.setStatus('stopping');
    m.clock.advance(TTL - 1);
    expect(statusOf(await b.list())).toBe('online');
    m.clock.advance(1);
    expect(statusOf(await b.list())).toBe('stopping');
    expect(statusOf(await a.list())).toBe('stopping');
    expect(m.queries()).toBe(2);
  });

  it('the snapshot holds no environment value', async () => {
    const m = machine();
    await m.spawn().list();
    const text = m.fs.files.get(SNAPSHOT) ?? '';
    expect(text).toContain('"format":"pm2-self/list@1"');
    expect(JSON.stringify(LIST)).toContain(FIXTURE_SECRET);
    expect(text).not.toContain(FIXTURE_SECRET);
    expect(m.fs.files.has(CLAIM)).toBe(false);
  });

  it('a snapshot asked before a process started is not used by it (a restart is a new process)', async () => {
    const m = machine();
    await m.spawn().list();
    m.clock.advance(300);
    m.setStatus('online, new generation');
    expect(statusOf(await m.spawn({ uptimeMs: 100 }).list())).toBe('online, new generation');
    expect(m.queries()).toBe(2);
  });

  it('askedAfter: an answer asked before that moment is not used', async () => {
    const m = machine();
    const a = m.spawn();
    await a.list();
    m.clock.advance(10);
    m.setStatus('stopping');
    expect(statusOf(await a.list())).toBe('online');
    expect(statusOf(await a.list({ askedAfter: instantOf(m.clock) }))).toBe('stopping');
    const before = m.clock.now() - 5;
    expect(statusOf(await m.spawn().list({ askedAfter: { wall: before, mono: before } }))).toBe('stopping');
    expect(m.queries()).toBe(2);
  });

  it('a snapshot of another daemon (pm2 kill, then a new start) is not used', async () => {
    const m = machine();
    await m.spawn().list();
    m.fs.files.set(PATHS.daemonPidFile, '556\n');
    await m.spawn({ alive: [556] }).list();
    expect(m.queries()).toBe(2);
  });

  it('fresh: asks the daemon whatever the snapshot', async () => {
    const m = machine();
    const a = m.spawn();
    await a.list();
    await a.list({ fresh: true });
    expect(m.queries()).toBe(2);
  });

  it('while a live process holds the claim, its previous answer stands up to ttl + the query limit: no pile-on', async () => {
    const m = machine();
    await m.spawn().list();
    // The holder keeps claiming afresh (a claim only ever ages by its own time).
    m.clock.advance(TTL + 2000 - 1);
    m.fs.files.set(CLAIM, JSON.stringify({ pid: 777, at: m.clock.now() }));
    expect(statusOf(await m.spawn({ alive: [777] }).list())).toBe('online');
    expect(m.queries()).toBe(1);
  });

  it('past that, a claimant whose answer does not come: the caller waits its whole budget and asks nothing itself; an abandoned claim is taken over', async () => {
    const m = machine();
    await m.spawn().list();
    m.clock.advance(TTL + 2000);
    m.fs.files.set(CLAIM, JSON.stringify({ pid: 777, at: m.clock.now() }));
    const before = m.clock.now();
    const late = await settled(m.spawn({ alive: [777] }).list(), m);
    // Only the holder asks: no answer within the caller's 2 s budget is a timeout.
    expect(late).toMatchObject({ ok: false, problem: 'timeout' });
    expect(m.clock.now() - before).toBeGreaterThanOrEqual(2_000);
    expect(m.clock.now() - before).toBeLessThan(2_100);
    expect(m.queries()).toBe(1);
    // The claim is abandoned once older than its expiry (the budget + 1 s): the next caller takes it over.
    m.clock.advance(1_000);
    expect(statusOf(await m.spawn({ alive: [777] }).list())).toBe('online');
    expect(m.queries()).toBe(2);
    expect(m.fs.files.has(CLAIM)).toBe(false);
  });

  it('after every process was idle past ttl + the query limit, two asking at once both get the one answer, never timeout', async () => {
    const m = machine();
    await m.spawn().list();
    m.clock.advance(60_000);
    m.setStatus('stopped');
    // Each sees the other alive; the one without the claim waits for the claimant's answer.
    const a = m.spawn({ alive: [1002], uptimeMs: 3_600_000 });
    const b = m.spawn({ alive: [1001], uptimeMs: 3_600_000 });
    const answers = await settled(Promise.all([a.list(), b.list()]), m);
    expect(answers.map(statusOf)).toEqual(['stopped', 'stopped']);
    expect(m.queries()).toBe(2);
  });

  it.each([
    ['an empty claim (a full disk)', ''],
    ['a junk claim', '{"pid":'],
    ['a claim dated an hour ahead', JSON.stringify({ pid: 777, at: Date.UTC(2030, 0) })],
  ])(
    '%s does not switch sharing off: it is taken over and N processes make one query',
    async (_name, text) => {
      const m = machine();
      m.fs.files.set(CLAIM, text);
      for (let i = 0; i < 5; i += 1) expect(statusOf(await m.spawn({ alive: [777] }).list())).toBe('online');
      expect(m.queries()).toBe(1);
    },
  );

  it('a claim that is gone by the time it is read: the holder just finished, its answer is used', async () => {
    const m = machine();
    await m.spawn().list();
    m.clock.advance(TTL);
    // Another process claims, asks and writes between this process's failed claim and its read of the claim.
    const raced = racedBy(m, async () => false);
    expect(statusOf(await m.spawn({ fs: raced }).list())).toBe('online');
    expect(m.queries()).toBe(1);
  });

  it('a claim won just after another holder wrote its answer: that answer is used, the claim released', async () => {
    const m = machine();
    await m.spawn().list();
    m.clock.advance(TTL);
    const late = racedBy(m, (path, text) => m.fs.createExclusive!(path, text));
    expect(statusOf(await m.spawn({ fs: late }).list())).toBe('online');
    expect(m.queries()).toBe(1);
    expect(m.fs.files.has(CLAIM)).toBe(false);
  });

  it('while a live process holds the claim, a process with no usable snapshot asks the daemon itself', async () => {
    const m = machine();
    m.fs.files.set(CLAIM, JSON.stringify({ pid: 777, at: m.clock.now() }));
    expect(statusOf(await m.spawn({ alive: [777] }).list())).toBe('online');
    expect(m.queries()).toBe(1);
    expect(m.fs.files.has(SNAPSHOT)).toBe(false);
  });

  it.each([
    ['a dead process', (now: number) => ({ pid: 777, at: now })],
    ['an expired claim', (now: number) => ({ pid: 777, at: now - 2 * 2000 - 1001 })],
  ])('a claim by %s is taken over: one query, written, claim released', async (_label, claim) => {
    const m = machine();
    m.fs.files.set(CLAIM, JSON.stringify(claim(m.clock.now())));
    const alive = _label === 'an expired claim' ? [777] : [];
    expect(statusOf(await m.spawn({ alive }).list())).toBe('online');
    expect(m.queries()).toBe(1);
    expect(m.fs.files.has(CLAIM)).toBe(false);
    await m.spawn().list();
    expect(m.queries()).toBe(1);
  });

  it('a failed query is not shared', async () => {
    const m = machine();
    m.fs.files.delete(PATHS.daemonPidFile);
    expect(await m.spawn().list()).toMatchObject({ ok: false, problem: 'noDaemon' });
    expect(m.fs.files.has(SNAPSHOT)).toBe(false);
  });

  it.each([
    ['a torn write', '{"format":"pm2-self/list@1","daemonPid":555,"askedAt":'],
    ['another format', JSON.stringify({ format: 'pm2-self/list@2', daemonPid: 555, askedAt: 1, list: [] })],
    ['not a list', JSON.stringify({ format: 'pm2-self/list@1', daemonPid: 555, askedAt: 1, list: {} })],
  ])('a snapshot file holding %s is ignored and replaced', async (_label, text) => {
    const m = machine();
    m.fs.files.set(SNAPSHOT, text);
    expect(await m.spawn().list()).toMatchObject({ ok: true });
    expect(m.queries()).toBe(1);
    expect(m.fs.files.get(SNAPSHOT)).toContain('"daemonPid":555');
  });

  it('cacheTtlMs 0 shares nothing: every call asks', async () => {
    const m = machine();
    await m.spawn({ cacheTtlMs: 0 }).list();
    await m.spawn({ cacheTtlMs: 0 }).list();
    expect(m.queries()).toBe(2);
    expect(m.fs.files.has(SNAPSHOT)).toBe(false);
  });

  it('a file system without createExclusive shares nothing', async () => {
    const m = machine();
    const { createExclusive: _omitted, ...plain } = m.fs;
    await m.spawn({ fs: plain }).list();
    await m.spawn({ fs: plain }).list();
    expect(m.queries()).toBe(2);
    expect(m.fs.files.has(SNAPSHOT)).toBe(false);
  });
});
