/**
 * Turns over in-memory files and a scripted daemon list, on a simulated clock: one holder at a time,
 * a waiter takes over when the daemon shows the holder back online, and of two waiters that judge
 * the same lease over only one holds the slot.
 */
import { describe, expect, it } from 'vitest';
import type { DaemonListResult, DaemonQuery } from '../../src/daemon/daemon-query.js';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import type { IdentityCache } from '../../src/identity/identity-cache.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import type { ProcessEntry } from '../../src/pm2/process-list.js';
import { createTurns } from '../../src/restart/turns.js';
import { createFakeFileSystem, createFakeProcess } from '../helpers/fake-ports.js';
import { processEntry } from '../helpers/process-entry.js';
import { createSimClock, flush } from '../helpers/sim-clock.js';

const HOME = '/srv/.pm2';
const entry = (pmId: number, pid: number, status = 'online'): ProcessEntry =>
  processEntry({ pid, pmId, instance: pmId, status });

function world() {
  const clock = createSimClock(1_000_000);
  const fs = createFakeFileSystem();
  const listed: { entries: ProcessEntry[] } = { entries: [entry(0, 100), entry(1, 101), entry(2, 102)] };
  const daemon: DaemonQuery = {
    list: async (): Promise<DaemonListResult> => ({
      ok: true,
      entries: listed.entries,
      skipped: 0,
      via: 'rpc',
      at: clock.now(),
      askedAt: clock.now(),
    }),
    daemonPid: async () => 1,
    requestRestart: async () => ({ ok: true }),
  };
  const turnsOf = (pmId: number, pid: number) => {
    const identity = { managed: true, name: 'web', namespace: 'default', pmId } as ManagedIdentity;
    const identities = { current: identity } as IdentityCache;
    const process = createFakeProcess({ pid });
    return createTurns({
      ports: { clock, fs, process },
      paths: pm2HomePaths(HOME, 'linux'),
      daemon,
      identities,
      maxUnavailable: 1,
    });
  };
  return { clock, fs, listed, turnsOf };
}

describe('turns', () => {
  it('one holder at a time; a waiter goes once the daemon shows the holder back online', async () => {
    const { clock, listed, turnsOf } = world();
    const waits: number[] = [];
    const first = await turnsOf(0, 100).take({ onWait: () => waits.push(0), stillWanted: () => true });
    expect(first).toEqual({ taken: true, waitedMs: 0 });
    let second: unknown;
    void turnsOf(1, 101)
      .take({ onWait: (holders) => waits.push(holders), stillWanted: () => true })
      .then((result) => (second = result));
    await clock.advance(2_000);
    expect(second).toBeUndefined();
    expect(waits).toEqual([1]);
    // Instance 0 restarted: a new pid, online.
    listed.entries = [entry(0, 200), entry(1, 101), entry(2, 102)];
    await clock.advance(500);
    expect(second).toMatchObject({ taken: true });
  });

  it('of two waiters that judge the same lease over, only one holds the slot', async () => {
    const { clock, fs, listed, turnsOf } = world();
    await turnsOf(0, 100).take({ onWait: () => undefined, stillWanted: () => true });
    const results: Array<{ who: number; taken: boolean }> = [];
    for (const [pmId, pid] of [
      [1, 101],
      [2, 102],
    ] as const) {
      void turnsOf(pmId, pid)
        .take({ onWait: () => undefined, stillWanted: () => true })
        .then((r) => results.push({ who: pmId, taken: r.taken }));
    }
    await clock.advance(1_000);
    listed.entries = [entry(0, 200), entry(1, 101), entry(2, 102)];
    await clock.advance(300);
    await flush(5);
    expect(results).toHaveLength(1);
    const slotFiles = [...fs.files.keys()].filter((path) => /slot-0-\d+\.json$/.test(path));
    expect(slotFiles).toHaveLength(1);
  });

  it('a single-instance app never waits, and a released lease frees the slot', async () => {
    const { listed, turnsOf } = world();
    listed.entries = [entry(0, 100)];
    expect(await turnsOf(0, 100).take({ onWait: () => undefined, stillWanted: () => true })).toEqual({
      taken: true,
      waitedMs: 0,
    });
    listed.entries = [entry(0, 100), entry(1, 101)];
    const holder = turnsOf(0, 100);
    await holder.take({ onWait: () => undefined, stillWanted: () => true });
    await holder.release();
    expect(await turnsOf(1, 101).take({ onWait: () => undefined, stillWanted: () => true })).toEqual({
      taken: true,
      waitedMs: 0,
    });
  });
});
