/**
 * A `ready` sent before pm2-self started (review T3): when pm2 already lists a `wait_ready` process
 * `online` past its `listen_timeout` at pm2-self's first look, pm2's daemon log says whether that
 * `online` came before `listen_timeout` (pm2 had the app's `'ready'`) or at it (no `'ready'`).
 */
import { describe, expect, it } from 'vitest';
import type { DaemonListResult, DaemonQuery } from '../../src/daemon/daemon-query.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import { onlineBeforeListenTimeout, onlineTimesInDaemonLog } from '../../src/pm2/daemon-log-online.js';
import { waitForAppReady } from '../../src/restart/app-ready.js';
import { processEntry } from '../helpers/process-entry.js';
import { createSimClock, flush } from '../helpers/sim-clock.js';

const identity = {
  managed: true,
  name: 'w5',
  namespace: 'default',
  pmId: 0,
  trackedPid: 200,
  restarts: 1,
  relation: 'tracked',
  pm2Home: '/home/app/.pm2',
  settings: { waitReady: true },
} as unknown as ManagedIdentity;

/** A daemon log line as pm2 writes it (default date format, local time, whole seconds). */
function logLine(at: number, text: string): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  return `${date}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}: PM2 log: ${text}`;
}

/** pm2-self starts 4 s after the spawn (listen_timeout 3 s); pm2 lists the process online already. */
function lateStart(log: string | null) {
  const spawnedAt = new Date(2026, 11, 4, 18, 29, 27, 0).getTime();
  const clock = createSimClock(spawnedAt + 4_000);
  const daemon = {
    list: async (): Promise<DaemonListResult> => ({
      ok: true,
      entries: [processEntry({ pmId: 0, pid: 200, status: 'online', startedAt: spawnedAt })],
      skipped: 0,
      via: 'rpc',
      at: clock.now(),
      askedAt: clock.now(),
    }),
  } as DaemonQuery;
  let sendReady = () => {};
  const watchReady = () => ({ seen: new Promise<void>((resolve) => (sendReady = resolve)), stop: () => {} });
  let reads = 0;
  const readDaemonLog = async () => (reads++, log);
  const parts = { daemon, clock, watchReady, listenTimeoutMs: 3_000, readDaemonLog };
  let result: boolean | undefined;
  void waitForAppReady(parts, identity).then((value) => (result = value));
  return { clock, spawnedAt, result: () => result, reads: () => reads, sendReady: () => sendReady() };
}

describe("pm2's daemon log: a 'ready' sent before pm2-self started", () => {
  it('online logged 200 ms after the spawn (its ready), pm2-self first looking 4 s after: ready at once', async () => {
    const spawnedAt = new Date(2026, 11, 4, 18, 29, 27, 0).getTime();
    const log = [
      logLine(spawnedAt, 'App [w5:0] starting in -fork mode-'),
      logLine(spawnedAt + 200, 'App [w5:0] online'),
      logLine(spawnedAt + 200, 'App [w5:1] online'),
    ].join('\n');
    const world = lateStart(log);
    await world.clock.advance(10);
    expect(world.result()).toBe(true);
  });

  it('online logged at listen_timeout (no ready): not ready; it waits for the app, reading the log once', async () => {
    const spawnedAt = new Date(2026, 11, 4, 18, 29, 27, 0).getTime();
    const log = [
      logLine(spawnedAt - 60_000, 'App [w5:0] online'),
      logLine(spawnedAt + 3_000, 'App [w5:0] online'),
    ].join('\n');
    const world = lateStart(log);
    await world.clock.advance(5_000);
    expect(world.result()).toBeUndefined();
    expect(world.reads()).toBe(1);
    world.sendReady();
    await flush(10);
    expect(world.result()).toBe(true);
  });

  it('no log (unreadable, another format): not ready until the app says so', async () => {
    for (const log of [null, '18:29:27 App [w5:0] online']) {
      const world = lateStart(log);
      await world.clock.advance(5_000);
      expect(world.result()).toBeUndefined();
    }
  });

  it('parses only the app and instance asked, and counts a logged second only when it ends by listen_timeout', () => {
    const spawnedAt = new Date(2026, 11, 4, 18, 29, 27, 400).getTime();
    const second = new Date(2026, 11, 4, 18, 29, 28, 0).getTime();
    const log = [
      'cut line] online',
      logLine(second, 'App [w5:0] online'),
      logLine(second, 'App [w5:10] online'),
      logLine(second, 'App [w5-b:0] online'),
      logLine(second, 'App name:w5 id:0 disconnected'),
    ].join('\n');
    expect(onlineTimesInDaemonLog(log, 'w5', 0)).toEqual([second]);
    // Logged at 18:29:28 (any time in that second): before a listen_timeout that ends at 18:29:29.4.
    expect(onlineBeforeListenTimeout([second], spawnedAt, 2_000)).toBe(true);
    // A listen_timeout ending at 18:29:28.9 may have fired inside that second: not counted.
    expect(onlineBeforeListenTimeout([second], spawnedAt, 1_500)).toBe(false);
    // A line from before the spawn (a previous process, or a daemon in another time zone): not counted.
    expect(onlineBeforeListenTimeout([second - 3_600_000], spawnedAt, 3_000)).toBe(false);
  });
});
