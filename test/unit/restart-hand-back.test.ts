/**
 * The hand-back of a `wait_ready` app waits for the app's own `process.send('ready')`: pm2 lists the
 * process `online` at its `listen_timeout` without it, which is not ready.
 */
import { describe, expect, it } from 'vitest';
import type { DaemonListResult, DaemonQuery } from '../../src/daemon/daemon-query.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import { watchReadySignal } from '../../src/ports/ready-signal.js';
import { waitForAppReady } from '../../src/restart/app-ready.js';
import { handBackWhenReady } from '../../src/restart/hand-back.js';
import type { Turns } from '../../src/restart/turns.js';
import { processEntry } from '../helpers/process-entry.js';
import { createSimClock, flush } from '../helpers/sim-clock.js';

const identity = {
  managed: true,
  name: 'web',
  namespace: 'default',
  pmId: 0,
  trackedPid: 200,
  restarts: 1,
  relation: 'tracked',
  settings: { waitReady: true },
} as unknown as ManagedIdentity;

function world() {
  const clock = createSimClock(1_000_000);
  const startedAt = clock.now();
  const shown = { status: 'launching' };
  const daemon = {
    list: async (): Promise<DaemonListResult> => ({
      ok: true,
      entries: [processEntry({ pmId: 0, pid: 200, status: shown.status, startedAt })],
      skipped: 0,
      via: 'rpc',
      at: clock.now(),
      askedAt: clock.now(),
    }),
  } as DaemonQuery;
  const handed: number[] = [];
  const turns = { handBack: async () => (handed.push(clock.now() - startedAt), 1) } as unknown as Turns;
  let sendReady = () => {};
  const watchReady = () => {
    const seen = new Promise<void>((resolve) => (sendReady = resolve));
    return { seen, stop: () => undefined };
  };
  const ready = { daemon, clock, watchReady, listenTimeoutMs: 3_000 };
  const parts = { turns, ready: (id: ManagedIdentity) => waitForAppReady(ready, id) };
  return { clock, shown, handed, parts, sendReady: () => sendReady() };
}

describe('hand-back of a wait_ready app', () => {
  it("pm2's online at listen_timeout is not ready: the turn goes back at the app's 'ready'", async () => {
    const { clock, shown, handed, parts, sendReady } = world();
    void handBackWhenReady(parts, identity);
    await clock.advance(3_000);
    // listen_timeout: pm2 lists it online, the app is still starting.
    shown.status = 'online';
    await clock.advance(5_000);
    expect(handed).toEqual([]);
    sendReady();
    await flush(10);
    expect(handed).toHaveLength(1);
    expect(handed[0]).toBeGreaterThanOrEqual(8_000);
  });

  it("online before listen_timeout means pm2 had the 'ready' (sent before pm2-self started): handed back", async () => {
    const { clock, shown, handed, parts } = world();
    shown.status = 'online';
    void handBackWhenReady(parts, identity);
    await clock.advance(600);
    expect(handed).toHaveLength(1);
  });
});

describe('watchReadySignal', () => {
  it("sees the app's process.send('ready'), passes every message on, and puts process.send back", async () => {
    const saved = process.send;
    const sent: unknown[] = [];
    const fake = ((message: unknown) => (sent.push(message), true)) as typeof process.send;
    process.send = fake;
    try {
      const watch = watchReadySignal();
      let seen = false;
      void watch.seen.then(() => (seen = true));
      process.send?.({ type: 'other' });
      await flush(2);
      expect(seen).toBe(false);
      process.send?.('ready');
      await flush(2);
      expect(seen).toBe(true);
      expect(sent).toEqual([{ type: 'other' }, 'ready']);
      watch.stop();
      expect(process.send).toBe(fake);
    } finally {
      process.send = saved;
    }
  });
});
