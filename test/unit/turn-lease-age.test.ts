/**
 * Issue 18: a turn lease's age is judged by its file's own time and the reader's monotonic clock,
 * bounded both ways (src/restart/lease-age.ts). A lease dated in the future (a wall clock stepped back,
 * or planted) holds its turn one term after a reader first saw it, not until its written expiry; a
 * holder that still renews keeps its turn whether the wall clock steps back or forward, so two never
 * hold one turn.
 */
import { describe, expect, it } from 'vitest';
import { LEASE_TRUSTED_AGE_MS, leaseAgeMs, sightLease } from '../../src/restart/lease-age.js';
import { TURN_LEASE_MS } from '../../src/restart/turn-lease.js';
import { leaseOfInstance0, TURNS_DIR, turnsWorld } from '../helpers/turns-world.js';

const HOUR_MS = 3_600_000;
const WALL = 1_800_000_000_000;
const MONO = 5_000;
const FILE = 'slot-0-3.json';

describe('sightLease and leaseAgeMs', () => {
  it.each([
    ['written 10 s ago', -10_000, 10_000],
    ['written just now', 0, 0],
    ['dated 1 s in the future (clocks a little apart)', 1_000, 0],
    ['dated 1 h in the future (a wall clock stepped back, or planted)', HOUR_MS, 0],
    ['written 1 h ago (a hung holder, or a wall clock stepped forward)', -HOUR_MS, LEASE_TRUSTED_AGE_MS],
  ])('a lease %s is %d ms old at its first sighting', (_title, offsetMs, ageMs) => {
    const sighting = sightLease(undefined, FILE, WALL + offsetMs, WALL, MONO);
    expect(leaseAgeMs(sighting, MONO)).toBe(ageMs);
    // It ages on the reader's monotonic clock, whatever the wall clock does meanwhile.
    const again = sightLease(sighting, FILE, WALL + offsetMs, WALL - HOUR_MS, MONO + 7_000);
    expect(again).toBe(sighting);
    expect(leaseAgeMs(again, MONO + 7_000)).toBe(ageMs + 7_000);
  });

  it('a renewal (a new file time) or a new generation is a new sighting', () => {
    const first = sightLease(undefined, FILE, WALL - 10_000, WALL, MONO);
    const renewed = sightLease(first, FILE, WALL + 4_000, WALL + 5_000, MONO + 5_000);
    expect(leaseAgeMs(renewed, MONO + 5_000)).toBe(1_000);
    const next = sightLease(renewed, 'slot-0-4.json', WALL + 4_000, WALL + 6_000, MONO + 6_000);
    expect(next.seenAt).toBe(MONO + 6_000);
  });

  it('leaves a renewing holder two renewals of the reader’s own watching', () => {
    expect(LEASE_TRUSTED_AGE_MS).toBe(TURN_LEASE_MS - 10_000);
  });
});

describe('turns with file times', () => {
  it('a lease dated 1 h in the future, its holder alive, holds its turn one term after it was first seen', async () => {
    const { clock, step, fs, turnsOf } = turnsWorld({ fileTimes: true, start: WALL });
    // Planted (or written before the wall clock went back 1 h): its file's time and expiresAt lie ahead.
    step(HOUR_MS);
    await fs.writeText(`${TURNS_DIR}/slot-0-7.json`, leaseOfInstance0(clock.now() + HOUR_MS, false));
    step(-HOUR_MS);
    let taken: unknown;
    // Pid 100 (the lease's holder) is alive for this reader, and the daemon lists it online.
    void turnsOf(1, 101, 101, [100])
      .take({ onWait: () => undefined, stillWanted: () => true })
      .then((result) => (taken = result));
    await clock.advance(TURN_LEASE_MS - 500);
    expect(taken).toBeUndefined();
    await clock.advance(1_000);
    expect(taken).toMatchObject({ taken: true });
    expect(await fs.list(TURNS_DIR)).toEqual(['slot-0-8.json']);
  });

  it.each([
    ['back', -HOUR_MS],
    ['forward', HOUR_MS],
  ])(
    'a holder that renews keeps its turn when the wall clock steps %s 1 h: never two holders',
    async (_direction, stepMs) => {
      const { clock, step, turnsOf } = turnsWorld({ fileTimes: true, start: WALL });
      const holder = turnsOf(0, 100);
      expect(await holder.take({ onWait: () => undefined, stillWanted: () => true })).toMatchObject({
        taken: true,
      });
      let taken: unknown;
      void turnsOf(1, 101, 101, [100])
        .take({ onWait: () => undefined, stillWanted: () => true })
        .then((result) => (taken = result));
      await clock.advance(12_000);
      step(stepMs);
      await clock.advance(4 * TURN_LEASE_MS);
      expect(taken).toBeUndefined();
      // Given back, the turn goes to the waiter.
      await holder.release();
      await clock.advance(1_000);
      expect(taken).toMatchObject({ taken: true });
    },
  );

  it('a newcomer that first sees a lease after the wall clock stepped forward waits for a renewal', async () => {
    const { clock, step, turnsOf } = turnsWorld({ fileTimes: true, start: WALL });
    await turnsOf(0, 100).take({ onWait: () => undefined, stillWanted: () => true });
    await clock.advance(4_000);
    step(HOUR_MS);
    let taken: unknown;
    void turnsOf(1, 101, 101, [100])
      .take({ onWait: () => undefined, stillWanted: () => true })
      .then((result) => (taken = result));
    await clock.advance(4 * TURN_LEASE_MS);
    expect(taken).toBeUndefined();
  });
});
