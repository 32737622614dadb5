/**
 * Turns over in-memory files and a scripted daemon list, on a simulated clock: one holder at a time,
 * a waiter takes over when the daemon shows the holder back online, and of two waiters that judge
 * the same lease over only one holds the slot.
 */
import { describe, expect, it } from 'vitest';
import { HANDBACK_TRUSTED_AGE_MS } from '../../src/restart/holder-watch.js';
import { processEntry } from '../helpers/process-entry.js';
import { flush } from '../helpers/sim-clock.js';
import { entry, HOME, identityOf, leaseOfInstance0, turnsWorld } from '../helpers/turns-world.js';

const world = () => turnsWorld();

describe('turns', () => {
  it("one holder at a time; a waiter goes once the holder's next process hands the slot back", async () => {
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
    // Instance 0 restarted: a new pid, online (a cluster worker is, before its code ran): not yet.
    listed.entries = [
      processEntry({ pid: 200, pmId: 0, restarts: 1, startedAt: clock.now() }),
      entry(1, 101),
      entry(2, 102),
    ];
    await clock.advance(5_000);
    expect(second).toBeUndefined();
    // Its code runs, pm2-self started: it gives the slot back, and the waiter goes.
    expect(await turnsOf(0, 200).handBack(identityOf(0, 200))).toBe(1);
    await clock.advance(500);
    expect(second).toMatchObject({ taken: true });
  });

  it('under a launcher the lease names the tracked pid: the launcher still listed means still restarting', async () => {
    const { clock, listed, turnsOf } = world();
    listed.entries = [entry(0, 499), entry(1, 501)];
    // The apps are 500 and 502; pm2 tracks their npm launchers 499 and 501.
    await turnsOf(0, 500, 499).take({ onWait: () => undefined, stillWanted: () => true });
    let second: unknown;
    void turnsOf(1, 502, 501)
      .take({ onWait: () => undefined, stillWanted: () => true })
      .then((result) => (second = result));
    await clock.advance(10_000);
    expect(second).toBeUndefined();
  });

  it('a holder waiting restart past the 30 s lease keeps its slot; a holder alive that stopped renewing loses it', async () => {
    const { clock, fs, listed, turnsOf } = world();
    const dir = `${HOME}/pm2-self/turns/default--web`;
    // Instance 0 (pid 100) took the slot and exited; pm2 waits its restart_delay of 40 s.
    fs.files.set(`${dir}/slot-0-0.json`, leaseOfInstance0(clock.now(), false));
    listed.entries = [processEntry({ pid: 0, pmId: 0, status: 'waiting restart' }), entry(1, 101)];
    let second: unknown;
    void turnsOf(1, 101)
      .take({ onWait: () => undefined, stillWanted: () => true })
      .then((result) => (second = result));
    await clock.advance(40_000);
    expect(second).toBeUndefined();
    // The same lease, seen by a process for which pid 100 is alive (it hung): its time vouches for
    // 20 s of its 40 s at most (lease-age.ts), so it is expired after 10 s of this process's own watching.
    listed.entries = [entry(0, 100), entry(2, 102)];
    let third: unknown;
    void turnsOf(2, 102, 102, [100])
      .take({ onWait: () => undefined, stillWanted: () => true })
      .then((result) => (third = result));
    await clock.advance(9_500);
    expect(third).toBeUndefined();
    await clock.advance(1_000);
    expect(third).toMatchObject({ taken: true });
  });

  it('a daemon list that does not come never lets a restart go without its turn', async () => {
    const { clock, fs, listed, turnsOf } = world();
    const dir = `${HOME}/pm2-self/turns/default--web`;
    await turnsOf(0, 100).take({ onWait: () => undefined, stillWanted: () => true });
    // The daemon is too busy to answer (timeout) while instance 1 asks: it waits for the holder.
    listed.failing = true;
    let second: unknown;
    void turnsOf(1, 101)
      .take({ onWait: () => undefined, stillWanted: () => true })
      .then((result) => (second = result));
    await clock.advance(3_000);
    expect(second).toBeUndefined();
    // The holder's next process hands the slot back: the waiter goes, list or not.
    fs.files.set(`${dir}/slot-0-0.json`, leaseOfInstance0(clock.now(), true));
    await clock.advance(1_000);
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
    // The holder's next process, spawned long ago by pm2's time, never hands back: both waiters judge
    // the lease over at the same poll, once they have watched it the rest of the grace (holder-watch.ts).
    listed.entries = [entry(0, 200), entry(1, 101), entry(2, 102)];
    await clock.advance(HANDBACK_TRUSTED_AGE_MS - 300);
    expect(results).toHaveLength(0);
    await clock.advance(600);
    await flush(5);
    expect(results).toHaveLength(1);
    const slotFiles = [...fs.files.keys()].filter((path) => /slot-0-\d+\.json$/.test(path));
    expect(slotFiles).toHaveLength(1);
  });

  it('a released lease at the largest generation is followed by generation 0: never two holders', async () => {
    const { clock, fs, turnsOf } = world();
    const dir = `${HOME}/pm2-self/turns/default--web`;
    fs.files.set(`${dir}/slot-0-999999999999.json`, leaseOfInstance0(clock.now(), true));
    const first = await turnsOf(1, 101).take({ onWait: () => undefined, stillWanted: () => true });
    expect(first).toMatchObject({ taken: true });
    expect([...fs.files.keys()].filter((path) => path.startsWith(`${dir}/`))).toEqual([
      `${dir}/slot-0-0.json`,
    ]);
    let second: unknown;
    void turnsOf(2, 102)
      .take({ onWait: () => undefined, stillWanted: () => true })
      .then((result) => (second = result));
    await clock.advance(1_000);
    expect(second).toBeUndefined();
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

  it('a store that refuses the lease (PM2_HOME unsafe) holds nothing: the restart goes on, never waits', async () => {
    const { clock, fs, turnsOf } = world();
    // The real file port under a group-writable PM2_HOME: nothing listed, read or created in the store.
    fs.storeProblem = async () => 'homeUnsafe';
    fs.list = async () => null;
    fs.readText = async () => null;
    fs.createExclusive = async () => false;
    const waits: number[] = [];
    const results: unknown[] = [];
    for (const [pmId, pid] of [
      [0, 100],
      [1, 101],
      [2, 102],
    ] as const) {
      void turnsOf(pmId, pid)
        .take({ onWait: (holders) => waits.push(holders), stillWanted: () => true })
        .then((result) => results.push(result));
    }
    await clock.advance(1_000);
    expect(waits).toEqual([]);
    expect(results).toEqual([
      { taken: true, waitedMs: 0 },
      { taken: true, waitedMs: 0 },
      { taken: true, waitedMs: 0 },
    ]);
  });

  it('a daemon list denied for good (pm2 runs the app as another user) lets the restart go on alone', async () => {
    const { clock, fs, listed, turnsOf } = world();
    const dir = `${HOME}/pm2-self/turns/default--web`;
    // A lease no one will ever give back, and no list that could ever say so.
    fs.files.set(`${dir}/slot-0-0.json`, leaseOfInstance0(clock.now(), false));
    listed.failing = true;
    listed.problem = 'accessDenied';
    const waits: number[] = [];
    let second: unknown;
    void turnsOf(1, 101)
      .take({ onWait: (holders) => waits.push(holders), stillWanted: () => true })
      .then((result) => (second = result));
    await clock.advance(1_000);
    expect(second).toEqual({ taken: true, waitedMs: 0 });
    expect(waits).toEqual([]);
  });

  it('a list that is merely slow still makes a restart wait, and the wait names only the real holder', async () => {
    const { clock, listed, turnsOf } = world();
    await turnsOf(0, 100).take({ onWait: () => undefined, stillWanted: () => true });
    listed.failing = true;
    listed.problem = 'timeout';
    const waits: number[] = [];
    let second: unknown;
    void turnsOf(1, 101)
      .take({ onWait: (holders) => waits.push(holders), stillWanted: () => true })
      .then((result) => (second = result));
    await clock.advance(60_000);
    expect(second).toBeUndefined();
    expect(waits).toEqual([1]);
  });
});
