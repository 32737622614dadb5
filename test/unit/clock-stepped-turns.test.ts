/**
 * Issue 18, the turns: the waits around a turn run on the monotonic clock. A wall clock stepped back or
 * forward 1 h (NTP, an operator's `date -s`) neither hands a turn on at once, while the holder's new
 * process is not ready (two instances down with `maxUnavailable` 1), nor holds it an hour.
 */
import { describe, expect, it } from 'vitest';
import type { DaemonQuery } from '../../src/daemon/daemon-query.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import { READY_WAIT_MAX_MS, waitForAppReady } from '../../src/restart/app-ready.js';
import { HANDBACK_TRUSTED_AGE_MS } from '../../src/restart/holder-watch.js';
import { TURN_HANDBACK_GRACE_MS } from '../../src/restart/turn-lease.js';
import type { TurnResult } from '../../src/restart/turns.js';
import { processEntry } from '../helpers/process-entry.js';
import { createSteppedClock } from '../helpers/stepped-clock.js';
import { entry, turnsWorld } from '../helpers/turns-world.js';

const HOUR_MS = 3_600_000;
const T0 = 1_800_000_000_000;
const STEPS = [
  ['no step', 0],
  ['the wall clock stepped forward 1 h one second in', HOUR_MS],
  ['the wall clock stepped back 1 h one second in', -HOUR_MS],
] as const;

describe("a wait_ready app's wait for its 'ready'", () => {
  const identity = {
    managed: true,
    name: 'web',
    namespace: 'default',
    pmId: 0,
    trackedPid: 100,
    restarts: 1,
    relation: 'tracked',
    settings: { waitReady: true },
  } as unknown as ManagedIdentity;

  it.each(STEPS)('%s: gives up after READY_WAIT_MAX_MS of waiting', async (_name, stepMs) => {
    const { sim, clock, step } = createSteppedClock(T0);
    const startedAt = clock.now();
    const daemon = {
      list: async () => ({
        ok: true,
        entries: [processEntry({ pmId: 0, pid: 100, status: 'launching', startedAt })],
        skipped: 0,
        via: 'rpc',
        at: clock.now(),
        askedAt: clock.now(),
      }),
    } as unknown as DaemonQuery;
    // The app never sends 'ready'.
    const watchReady = () => ({ seen: new Promise<void>(() => undefined), stop: () => undefined });
    let gaveUpAtMs: number | null = null;
    void waitForAppReady({ daemon, clock, watchReady, listenTimeoutMs: 3_000 }, identity).then((ready) => {
      expect(ready).toBe(false);
      gaveUpAtMs = sim.now() - T0;
    });
    await sim.advance(1_000);
    step(stepMs);
    for (let i = 0; i < 600 && gaveUpAtMs === null; i++) await sim.advance(250);
    expect(gaveUpAtMs).toBeGreaterThanOrEqual(READY_WAIT_MAX_MS);
    expect(gaveUpAtMs).toBeLessThan(READY_WAIT_MAX_MS + 1_000);
  });
});

describe("the grace for a holder's next process that never hands its turn back", () => {
  /**
   * Instance 0 holds the turn and has exited; instance 1 waits. At 2 s pm2 lists instance 0's next
   * process (pid 200) online, spawned then; it never hands the turn back. Resolves when the waiter took
   * the turn (simulated ms since it began waiting), stepping the wall clock by `stepMs` at `stepAtMs`.
   */
  async function waiterTakesAt(stepMs: number, stepAtMs: number, spawnedAtMs = 2_000): Promise<number> {
    const { clock, step, listed, turnsOf } = turnsWorld({ fileTimes: true, start: T0 });
    const wait = { onWait: () => undefined, stillWanted: () => true };
    await turnsOf(0, 100).take(wait);
    let taken: TurnResult | undefined;
    const t0 = clock.now();
    // The holder (pid 100) is not alive: it exited for its restart.
    void turnsOf(1, 101)
      .take(wait)
      .then((result) => (taken = result));
    const spawned = { ...entry(0, 200), startedAt: T0 + spawnedAtMs };
    for (let ms = 0; ms < 120_000 && taken === undefined; ms += 250) {
      if (ms === stepAtMs) step(stepMs);
      if (ms === 2_000) listed.entries = [spawned, entry(1, 101), entry(2, 102)];
      await clock.advance(250);
    }
    expect(taken).toEqual({ taken: true, waitedMs: expect.any(Number) });
    return clock.now() - t0;
  }

  it.each([
    ['no step', 0],
    ['the wall clock stepped forward 1 h one second after the spawn', HOUR_MS],
    ['the wall clock stepped back 1 h one second after the spawn', -HOUR_MS],
  ])('%s: the waiter takes the turn once the grace is over, as with no step', async (_name, stepMs) => {
    const takenAt = await waiterTakesAt(stepMs, 3_000);
    expect(takenAt).toBeGreaterThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS);
    expect(takenAt).toBeLessThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS + 1_000);
  });

  it("a wall clock 1 h ahead before the first sighting: pm2's spawn time vouches for half the grace at most", async () => {
    const takenAt = await waiterTakesAt(HOUR_MS, 0);
    expect(takenAt).toBeGreaterThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS - HANDBACK_TRUSTED_AGE_MS);
    expect(takenAt).toBeLessThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS - HANDBACK_TRUSTED_AGE_MS + 1_000);
  });

  it('a reader that first sees the next process late counts its spawn time, and waits the grace at most', async () => {
    // pm2 spawned it 20 s before the waiter first saw it: it waits the rest of the grace, 15 s at least.
    const spawnedLate = await waiterTakesAt(0, -1, -18_000);
    expect(spawnedLate).toBeGreaterThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS - HANDBACK_TRUSTED_AGE_MS);
    expect(spawnedLate).toBeLessThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS - HANDBACK_TRUSTED_AGE_MS + 1_000);
    // Spawned 10 s before (no step): the 20 s left of the grace.
    const spawned10sBefore = await waiterTakesAt(0, -1, -8_000);
    expect(spawned10sBefore).toBeGreaterThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS - 10_000);
    expect(spawned10sBefore).toBeLessThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS - 10_000 + 1_000);
    // Dated an hour ahead (pm2's clock ahead, or stepped back here): the whole grace, not an hour.
    const spawnedAhead = await waiterTakesAt(0, -1, 2_000 + HOUR_MS);
    expect(spawnedAhead).toBeGreaterThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS);
    expect(spawnedAhead).toBeLessThanOrEqual(2_000 + TURN_HANDBACK_GRACE_MS + 1_000);
  });
});
