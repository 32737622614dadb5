/**
 * Issue 18, "answers stay right": a claim file that names no holder (0 bytes, as a full disk leaves it,
 * junk, or a symlink) is not a process asking the daemon. Until it is abandoned (the budget after its
 * own time), a process that cannot take it asks the daemon itself and shares what it learns: it never
 * says `timeout` about a daemon that answers. A claim by a live process still means "someone is asking":
 * past the old snapshot's grace, the caller waits for that answer up to its whole budget: only the holder
 * asks, and no answer within the budget is a `timeout`.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDaemonLiveness, LIVENESS_FILE } from '../../src/daemon/daemon-liveness.js';
import { decodeListSnapshot, encodeListSnapshot } from '../../src/daemon/list-snapshot.js';
import { createSharedList, SHARED_LIST_FILE } from '../../src/daemon/shared-list.js';
import { createNodeClock, createNodeFileSystem } from '../../src/ports/node-ports.js';

const DAEMON_PID = 555;
const HOLDER = 777;
const INTERVAL = 5000;
const TIMEOUT = 5000;
const alive = (pid: number) => pid === DAEMON_PID || pid === HOLDER;

let home: string;
let store: string;
let outside: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'pm2-self-unowned-'));
  store = join(home, 'pm2-self');
  await mkdir(store, { mode: 0o700 });
  outside = join(home, 'outside.txt');
  await writeFile(outside, 'root file\n');
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Dates a file `ageMs` in the past. */
async function age(path: string, ageMs: number) {
  const at = (Date.now() - ageMs) / 1000;
  await utimes(path, at, at);
}

type Plant = (claim: string) => Promise<void>;
const claims: ReadonlyArray<readonly [string, Plant]> = [
  ['an empty claim (a full disk)', (claim) => writeFile(claim, '')],
  ['a junk claim', (claim) => writeFile(claim, '{"pid":')],
  ['a symlinked claim', (claim) => symlink(outside, claim)],
];

describe('heartbeat: a claim naming no holder, planted while the heartbeat is old', () => {
  function liveness(timeoutMs = TIMEOUT) {
    const fs = createNodeFileSystem();
    let pings = 0;
    const check = createDaemonLiveness({
      fs: fs as Parameters<typeof createDaemonLiveness>[0]['fs'],
      clock: createNodeClock(),
      pid: 1000,
      isAlive: alive,
      ...(fs.modifiedAt === undefined ? {} : { modifiedAt: fs.modifiedAt.bind(fs) }),
      daemonPid: async () => DAEMON_PID,
      ping: async () => {
        pings += 1;
        return { ok: true };
      },
      file: join(store, LIVENESS_FILE),
      intervalMs: INTERVAL,
      timeoutMs,
    });
    return { check: () => check.check(), pings: () => pings };
  }

  async function oldHeartbeat() {
    const file = join(store, LIVENESS_FILE);
    await writeFile(file, JSON.stringify({ format: 'pm2-self/alive@1', daemonPid: DAEMON_PID, at: 1 }), {
      mode: 0o600,
    });
    await age(file, INTERVAL + TIMEOUT + 1000);
    return file;
  }

  it.each(claims)(
    '%s: the daemon is pinged by this process, ok, and the heartbeat shared',
    async (_n, plant) => {
      const file = await oldHeartbeat();
      const claim = `${file}.lock`;
      await plant(claim);
      const { check, pings } = liveness();
      expect(await check()).toMatchObject({ ok: true, daemonPid: DAEMON_PID });
      expect(pings()).toBe(1);
      // The heartbeat is fresh again for every other process; the planted file is left for its budget.
      const others = liveness();
      expect(await others.check()).toMatchObject({ ok: true });
      expect(others.pings()).toBe(0);
      expect(await readFile(outside, 'utf8')).toBe('root file\n');
    },
  );

  it("a claim of a live process (a ping under way): the caller waits for the holder's heartbeat and uses it", async () => {
    const file = await oldHeartbeat();
    await writeFile(`${file}.lock`, JSON.stringify({ pid: HOLDER, at: Date.now() }));
    const { check, pings } = liveness(400);
    const verdict = check();
    // The holder's heartbeat, as it writes it 50 ms later (it keeps its claim a moment longer).
    await new Promise((resolve) => setTimeout(resolve, 50));
    const beat = { format: 'pm2-self/alive@1', daemonPid: DAEMON_PID, at: Date.now() };
    await writeFile(file, JSON.stringify(beat), { mode: 0o600 });
    expect(await verdict).toMatchObject({ ok: true, daemonPid: DAEMON_PID });
    expect(pings()).toBe(0);
  });

  it('a claim of a live process whose heartbeat does not come within the budget: only the holder pings, the caller says timeout', async () => {
    const file = await oldHeartbeat();
    await writeFile(`${file}.lock`, JSON.stringify({ pid: HOLDER, at: Date.now() }));
    const { check, pings } = liveness(400);
    expect(await check()).toMatchObject({ ok: false, problem: 'timeout' });
    expect(pings()).toBe(0);
  });
});

describe('shared list: a claim naming no holder, planted while the snapshot is old', () => {
  const TTL = 1000;

  function sharedList() {
    let queries = 0;
    const list = createSharedList({
      fs: createNodeFileSystem() as Parameters<typeof createSharedList>[0]['fs'],
      clock: createNodeClock(),
      pid: 1000,
      isAlive: alive,
      file: join(store, SHARED_LIST_FILE),
      ttlMs: TTL,
      queryTimeoutMs: TIMEOUT,
      claimExpiresMs: TIMEOUT + 1000,
      ask: async () => {
        queries += 1;
        const now = Date.now();
        return { ok: true, entries: [], skipped: 0, via: 'rpc', at: now, askedAt: now };
      },
    });
    return {
      get: (budgetMs = TIMEOUT) => list.get(DAEMON_PID, 0, performance.now() + budgetMs),
      queries: () => queries,
    };
  }

  async function oldSnapshot() {
    const file = join(store, SHARED_LIST_FILE);
    const askedAt = Date.now() - TTL - TIMEOUT - 1000;
    const answer = { ok: true, entries: [], skipped: 0, via: 'rpc', at: askedAt, askedAt } as const;
    await writeFile(file, encodeListSnapshot({ daemonPid: DAEMON_PID, answer }), { mode: 0o600 });
    return file;
  }

  it.each(claims)('%s: this process asks the daemon itself and shares the answer', async (_n, plant) => {
    const file = await oldSnapshot();
    await plant(`${file}.lock`);
    const { get, queries } = sharedList();
    expect(await get()).toMatchObject({ ok: true });
    expect(queries()).toBe(1);
    const shared = decodeListSnapshot(await readFile(file, 'utf8'));
    expect(Date.now() - (shared?.answer.askedAt ?? 0)).toBeLessThan(TTL);
    const others = sharedList();
    expect(await others.get()).toMatchObject({ ok: true });
    expect(others.queries()).toBe(0);
    expect(await readFile(outside, 'utf8')).toBe('root file\n');
  });

  it("a claim of a live process (a query under way): the caller waits for the holder's answer and uses it", async () => {
    const file = await oldSnapshot();
    await writeFile(`${file}.lock`, JSON.stringify({ pid: HOLDER, at: Date.now() }));
    const { get, queries } = sharedList();
    const answer = get(400);
    // The holder's answer, as it writes it 50 ms later (it keeps its claim a moment longer).
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = Date.now();
    const fresh = { ok: true, entries: [], skipped: 0, via: 'cli', at: now, askedAt: now } as const;
    await writeFile(file, encodeListSnapshot({ daemonPid: DAEMON_PID, answer: fresh }), { mode: 0o600 });
    expect(await answer).toMatchObject({ ok: true, via: 'cli' });
    expect(queries()).toBe(0);
  });

  it('a claim of a live process whose answer does not come within the budget: only the holder asks, the caller says timeout', async () => {
    const file = await oldSnapshot();
    await writeFile(`${file}.lock`, JSON.stringify({ pid: HOLDER, at: Date.now() }));
    const { get, queries } = sharedList();
    expect(await get(400)).toMatchObject({ ok: false, problem: 'timeout' });
    expect(queries()).toBe(0);
  });
});
