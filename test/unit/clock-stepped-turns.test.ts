/**
 * Issue 18, the turns: the waits around a turn run on the monotonic clock. A wall clock stepped back or
 * forward 1 h (NTP, an operator's `date -s`) neither hands a turn on at once, while the holder's new
 * process is not ready (two instances down with `maxUnavailable` 1), nor holds it an hour.
 */
import { describe, expect, it } from 'vitest';
import type { DaemonQuery } from '../../src/daemon/daemon-query.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import { READY_WAIT_MAX_MS, waitForAppReady } from '../../src/restart/app-ready.js';
import { processEntry } from '../helpers/process-entry.js';
import { createSteppedClock } from '../helpers/stepped-clock.js';

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
