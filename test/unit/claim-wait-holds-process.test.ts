/**
 * A caller waiting for another process's answer (the shared list's claimant, the heartbeat's pinger)
 * polls with unref'd timers: without a hold, a script whose only pending work is that call would exit
 * with the promise unsettled. The wait holds the process open (keepAlive) until the call settles, as a
 * pending socket query does; nothing is held once it has.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDaemonQuery } from '../../src/daemon/daemon-query.js';
import { LIVENESS_FILE } from '../../src/daemon/daemon-liveness.js';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import { encodeListSnapshot } from '../../src/daemon/list-snapshot.js';
import { SHARED_LIST_FILE } from '../../src/daemon/shared-list.js';
import { createLocalHeartbeat } from '../../src/info/local-heartbeat.js';
import type { RpcResult } from '../../src/ports/ports.js';
import {
  createFakeClock,
  createFakeDaemonClient,
  createFakeFileSystem,
  createFakeProcess,
  createFakeRunner,
  jlistFixture,
} from '../helpers/fake-ports.js';
import { flush } from '../helpers/sim-clock.js';

const HOME = '/srv/pm2home';
const PATHS = pm2HomePaths(HOME, 'linux');
const DAEMON_PID = 555;
const HOLDER = 777;
const LIST = JSON.parse(jlistFixture('full.json')) as unknown[];

function world() {
  const clock = createFakeClock();
  const fs = createFakeFileSystem({ [PATHS.daemonPidFile]: `${DAEMON_PID}\n` }, clock);
  const daemon = createFakeDaemonClient({
    getMonitorData: (): RpcResult<unknown> => ({ ok: true, value: LIST }),
    ping: (): RpcResult<unknown> => ({ ok: true, value: { msg: 'pong' } }),
  });
  const process = createFakeProcess({ pid: 1000, alive: [DAEMON_PID, HOLDER], uptimeMs: 3_600_000 });
  const ports = { clock, fs, daemon, runner: createFakeRunner(), process };
  const query = createDaemonQuery({
    ports,
    paths: PATHS,
    route: 'rpc',
    timeoutMs: 2000,
    cacheTtlMs: 1000,
    maxListBytes: 1 << 20,
    pm2Command: () => {
      throw new Error('no CLI in this test');
    },
  });
  return { clock, fs, process, ports, query };
}

/** Moves the fake clock 10 ms at a time until `done()` (at most `limitMs`), recording the holds seen. */
async function holdsWhile(w: ReturnType<typeof world>, done: () => boolean, limitMs: number) {
  const seen: number[] = [];
  for (let passed = 0; !done() && passed <= limitMs; passed += 10) {
    await flush(3);
    seen.push(w.process.holds);
    w.clock.advance(10);
  }
  await flush(3);
  return seen;
}

describe('a call waiting for another process holds the process open until it settles', () => {
  it("shared list: waiting for the claimant's answer holds the process; the hold ends with the call", async () => {
    const w = world();
    const snapshot = join(PATHS.recordDir, SHARED_LIST_FILE);
    await w.query.usable();
    // An old snapshot (every process idle a while) and a live process asking the daemon right now.
    const answer = { ok: true as const, entries: [], skipped: 0, via: 'rpc' as const };
    const old = w.clock.now() - 60_000;
    w.fs.files.set(
      snapshot,
      encodeListSnapshot({ daemonPid: DAEMON_PID, answer: { ...answer, at: old, askedAt: old } }),
    );
    w.fs.files.set(`${snapshot}.lock`, JSON.stringify({ pid: HOLDER, at: w.clock.now() }));
    let result: unknown;
    void w.query.list().then((value) => (result = value));
    const seen = await holdsWhile(w, () => result !== undefined, 500);
    expect(seen.slice(0, 10)).toEqual(Array(10).fill(1));
    // The claimant's answer lands: the call settles and lets go.
    const now = w.clock.now();
    w.fs.files.set(
      snapshot,
      encodeListSnapshot({ daemonPid: DAEMON_PID, answer: { ...answer, at: now, askedAt: now } }),
    );
    await holdsWhile(w, () => result !== undefined, 500);
    expect(result).toMatchObject({ ok: true });
    expect(w.process.holds).toBe(0);
  });

  it("heartbeat: waiting for the pinger's heartbeat holds the process; the hold ends with the call", async () => {
    const w = world();
    const { liveness } = createLocalHeartbeat({
      ports: w.ports,
      paths: PATHS,
      daemon: w.query,
      queryTimeoutMs: 2000,
      livenessIntervalMs: 5000,
      shareList: true,
    });
    const file = join(PATHS.recordDir, LIVENESS_FILE);
    const beat = (at: number) => JSON.stringify({ format: 'pm2-self/alive@1', daemonPid: DAEMON_PID, at });
    // An old heartbeat (every process idle a while) and a live process pinging right now.
    await w.fs.writeText(file, beat(w.clock.now()));
    w.clock.advance(60_000);
    w.fs.files.set(`${file}.lock`, JSON.stringify({ pid: HOLDER, at: w.clock.now() }));
    let verdict: unknown;
    void liveness!.check().then((value) => (verdict = value));
    const seen = await holdsWhile(w, () => verdict !== undefined, 200);
    expect(seen.slice(2, 10)).toEqual(Array(8).fill(1));
    // The pinger's heartbeat lands: the call settles and lets go.
    await w.fs.writeText(file, beat(w.clock.now()));
    await holdsWhile(w, () => verdict !== undefined, 500);
    expect(verdict).toMatchObject({ ok: true });
    expect(w.process.holds).toBe(0);
  });
});
