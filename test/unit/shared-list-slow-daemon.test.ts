/**
 * A slow or paused daemon and the shared list (issue 18/20): only the claim holder asks the daemon; the
 * other processes wait for its answer, whatever it is (a `timeout` it shares too), and take it the moment
 * it is in the file. A healthy daemon that answers in more than half the budget is never a `timeout` to a
 * caller that waited for the claimant, and a paused one never gets N queries at once.
 */
import { describe, expect, it } from 'vitest';
import { createDaemonQuery, type DaemonQuery } from '../../src/daemon/daemon-query.js';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
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

const PATHS = pm2HomePaths('/srv/pm2home', 'linux');
const LIST = JSON.parse(jlistFixture('full.json')) as unknown[];
const DAEMON_PID = 555;
const BUDGET = 2000;

type Answer = (
  options: { readonly timeoutMs: number },
  clock: ReturnType<typeof createFakeClock>,
) => Promise<RpcResult<unknown>>;

/** Processes `pids` of one PM2_HOME; the daemon answers at once until `slow` is set, then by `answer`. */
function world(pids: readonly number[], answer: Answer) {
  const clock = createFakeClock();
  const fs = createFakeFileSystem({ [PATHS.daemonPidFile]: `${DAEMON_PID}\n` });
  let slow = false;
  let inFlight = 0;
  let maxInFlight = 0;
  const daemon = createFakeDaemonClient({
    getMonitorData: (call): RpcResult<unknown> | Promise<RpcResult<unknown>> => {
      if (!slow) return { ok: true, value: LIST };
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return answer(call.options, clock).finally(() => (inFlight -= 1));
    },
  });
  const processes: DaemonQuery[] = pids.map((pid) =>
    createDaemonQuery({
      ports: {
        clock,
        fs,
        daemon,
        runner: createFakeRunner(),
        process: createFakeProcess({ pid, alive: [DAEMON_PID, ...pids], uptimeMs: 3_600_000 }),
      },
      paths: PATHS,
      route: 'rpc',
      timeoutMs: BUDGET,
      cacheTtlMs: 1000,
      maxListBytes: 1 << 20,
      pm2Command: () => {
        throw new Error('no CLI in these tests');
      },
    }),
  );
  const asked = () =>
    daemon.calls.filter((c) => c.method === 'getMonitorData').map((c) => c.options.timeoutMs);
  return {
    clock,
    processes,
    asked,
    maxInFlight: () => maxInFlight,
    slowDown: () => {
      slow = true;
    },
  };
}

/** Settles `promise`, moving the fake clock 10 ms at a time while it is pending; resolves it and the time it took. */
async function settled<T>(promise: Promise<T>, clock: { advance(ms: number): void; now(): number }) {
  const start = clock.now();
  let result: { value: T } | undefined;
  void promise.then((value) => (result = { value }));
  for (let passed = 0; result === undefined && passed <= 20_000; passed += 10) {
    await flush(3);
    clock.advance(10);
  }
  await flush(3);
  if (result === undefined) throw new Error('still pending after 20 s');
  return { value: result.value, tookMs: clock.now() - start };
}

const statusOf = (result: Awaited<ReturnType<DaemonQuery['list']>>) =>
  result.ok ? result.entries[0]?.status : result.problem;

describe('shared list: a slow or paused daemon', () => {
  it('a healthy daemon answering in 1.2 s of a 2 s budget, after idle: both callers get its one answer', async () => {
    const w = world(
      [1000, 1001],
      (options, clock) =>
        new Promise((resolve) =>
          clock.setTimeout(
            () =>
              resolve(
                options.timeoutMs >= 1200
                  ? { ok: true, value: LIST }
                  : { ok: false, reason: 'timeout', message: 'slow (fake)' },
              ),
            Math.min(1200, options.timeoutMs),
          ),
        ),
    );
    const [a, b] = w.processes;
    await a!.list();
    w.slowDown();
    w.clock.advance(60_000);
    const { value, tookMs } = await settled(Promise.all([a!.list(), b!.list()]), w.clock);
    expect(value.map(statusOf)).toEqual(['online', 'online']);
    expect(tookMs).toBeLessThan(1300);
    // The first query, then the claimant's only: the waiter asked nothing itself.
    expect(w.asked()).toEqual([BUDGET, BUDGET]);
  });

  it('a paused daemon polled by 5 processes once a second: one query in flight at a time, every answer timeout', async () => {
    const w = world(
      [1000, 1001, 1002, 1003, 1004],
      (options, clock) =>
        new Promise((resolve) =>
          clock.setTimeout(
            () => resolve({ ok: false, reason: 'timeout', message: 'paused (fake)' }),
            options.timeoutMs,
          ),
        ),
    );
    await w.processes[0]!.list();
    w.slowDown();
    w.clock.advance(60_000);
    const answers: string[] = [];
    for (let round = 0; round < 11; round += 1) {
      const { value } = await settled(Promise.all(w.processes.map((p) => p.list())), w.clock);
      answers.push(...value.map((answer) => String(statusOf(answer))));
      w.clock.advance(1000);
    }
    expect(w.maxInFlight()).toBe(1);
    expect(new Set(answers)).toEqual(new Set(['timeout']));
    // One query per round at most (each round waits for the one under way): 11 rounds, not 55 queries.
    expect(w.asked().length - 1).toBeLessThanOrEqual(11);
  });
});
