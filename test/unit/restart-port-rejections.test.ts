/**
 * Custom ports that reject, at each call site where pm2-self used to leave the rejection unhandled:
 * the turns taken while a restart is planned, the turns' renew timer, and `getLastRestart()`. Under
 * `pmx: false` nothing catches an unhandled rejection and the app dies, so each test collects the
 * process's unhandled rejections and checks the state afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonListResult, DaemonQuery } from '../../src/daemon/daemon-query.js';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import type { IdentityCache } from '../../src/identity/identity-cache.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import { createLastRestart } from '../../src/last-restart.js';
import type { FileSystem } from '../../src/ports/ports.js';
import type { ProcessEntry } from '../../src/pm2/process-list.js';
import { readRestartSettings } from '../../src/pm2/restart-settings.js';
import { createRestartController } from '../../src/restart/controller.js';
import { restartMachine } from '../../src/restart/machine.js';
import type { PlannedRestart } from '../../src/restart/plan-restart.js';
import type { RequestOptions } from '../../src/restart/request.js';
import { restartRecordPath } from '../../src/restart/restart-record.js';
import { createTurns, type Turns } from '../../src/restart/turns.js';
import { createFakeFileSystem, createFakeProcess } from '../helpers/fake-ports.js';
import { processEntry } from '../helpers/process-entry.js';
import { createSimClock, flush } from '../helpers/sim-clock.js';

const HOME = '/srv/.pm2';
const paths = pm2HomePaths(HOME, 'linux');
const settings = readRestartSettings({}, 'daemon');

let unhandled: unknown[] = [];
const collect = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', collect);
});
afterEach(() => {
  process.off('unhandledRejection', collect);
});

/** Lets a rejection left unhandled reach the process's `unhandledRejection` listeners. */
const settleRejections = async () => {
  await flush(5);
  await new Promise((resolve) => setTimeout(resolve, 20));
};

const identity = (pmId: number): ManagedIdentity =>
  ({
    managed: true,
    name: 'web',
    namespace: 'default',
    pmId,
    relation: 'tracked',
    trackedPid: 100 + pmId,
    startedAt: 1_000,
    restarts: 0,
    settings,
  }) as ManagedIdentity;

const entry = (pmId: number): ProcessEntry => processEntry({ pid: 100 + pmId, pmId, instance: pmId });

const daemonOf = (now: () => number): DaemonQuery => ({
  list: async (): Promise<DaemonListResult> => ({
    ok: true,
    entries: [entry(0), entry(1)],
    skipped: 0,
    via: 'rpc',
    at: now(),
    askedAt: now(),
  }),
  daemonPid: async () => 1,
  usable: async () => 1,
  ping: async () => ({ ok: true }),
  requestRestart: async () => ({ ok: true }),
});

const daemonPlan: PlannedRestart = {
  plan: { ok: true, strategy: { type: 'daemon', pmId: 0 }, why: 'test' },
  minUptimeWaitMs: 0,
  target: null,
} as unknown as PlannedRestart;

const REQUEST: RequestOptions = {
  reason: 'test',
  deadlineMs: null,
  onDeadline: 'force',
  refuseNewTasks: false,
  hooks: [],
  hooksTimeoutMs: 1_000,
  allowPlainExit: false,
};

/** A controller with a daemon-restart plan and these turns; `daemonSays` answers the restart request. */
function controllerWith(turns: Turns, daemonSays: { ok: boolean; message?: string }) {
  const clock = createSimClock(1_000_000);
  const proc = createFakeProcess({ pid: 100 });
  const controller = createRestartController({
    machine: restartMachine,
    clock,
    process: proc,
    plan: async () => daemonPlan,
    stillTracked: async () => true,
    requestDaemonRestart: async () => daemonSays,
    writeRecord: async () => true,
    discardRecord: async () => undefined,
    daemonRestartGraceMs: () => 1_000,
    turns,
  });
  return { clock, proc, controller };
}

describe('ports that reject', () => {
  it(
    'a turns port that rejects while the restart is planned: refused, idle, keep-alive released',
    { timeout: 10_000 },
    async () => {
      let released = 0;
      const turns: Turns = {
        take: async () => {
          throw new Error('disk gone');
        },
        release: async () => {
          released += 1;
        },
        handBack: async () => 0,
      };
      const { proc, controller } = controllerWith(turns, { ok: true });
      const outcome = await controller.request(REQUEST);
      await settleRejections();
      expect(outcome).toMatchObject({ status: 'refused', code: 'ERR_PM2SELF_PLAN_FAILED' });
      expect((outcome as { why: string }).why).toContain('disk gone');
      expect(controller.state.phase).toBe('idle');
      expect(proc.holds).toBe(0);
      expect(proc.exits).toEqual([]);
      expect(released).toBe(1);
      expect(unhandled).toEqual([]);
    },
  );

  it('a turns release that rejects after a failed restart is reported, not left unhandled', async () => {
    const turns: Turns = {
      take: async () => ({ taken: true, waitedMs: 0 }),
      release: async () => {
        throw new Error('disk gone');
      },
      handBack: async () => 0,
    };
    const { clock, proc, controller } = controllerWith(turns, { ok: false, message: 'daemon said no' });
    const failures: unknown[] = [];
    controller.on('failed', (event) => failures.push(event));
    const outcome = await controller.request(REQUEST);
    expect(outcome).toMatchObject({ status: 'restarting' });
    await clock.advance(5_000);
    await settleRejections();
    expect(failures).toHaveLength(1);
    expect(controller.state.phase).toBe('idle');
    expect(proc.exits).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it('the renew timer whose write rejects leaves no unhandled rejection and keeps renewing', async () => {
    const clock = createSimClock(1_000_000);
    const memory = createFakeFileSystem();
    let failWrites = false;
    let writes = 0;
    const fs: FileSystem = {
      ...memory,
      async writeText(path, text) {
        writes += 1;
        if (failWrites) throw new Error('disk full');
        return memory.writeText(path, text);
      },
    };
    const turns = createTurns({
      ports: { clock, fs, process: createFakeProcess({ pid: 100 }) },
      paths,
      daemon: daemonOf(clock.now),
      identities: { current: identity(0) } as IdentityCache,
      maxUnavailable: 1,
    });
    expect(await turns.take({ onWait: () => undefined, stillWanted: () => true })).toEqual({
      taken: true,
      waitedMs: 0,
    });
    failWrites = true;
    await clock.advance(11_000);
    await settleRejections();
    expect(writes).toBeGreaterThanOrEqual(2);
    expect(unhandled).toEqual([]);
  });

  it('getLastRestart() after a read that rejected reads again instead of failing for good', async () => {
    const memory = createFakeFileSystem();
    const file = restartRecordPath(paths.recordDir, 0);
    let failReads = true;
    const fs: FileSystem = {
      ...memory,
      async readText(path) {
        if (failReads) throw new Error('EIO');
        return memory.readText(path);
      },
    };
    // The second generation, started a second ago; its predecessor's record is a minute old at most.
    const startedAt = 1_700_000_000_000;
    const managed = { ...identity(0), restarts: 1, startedAt } as ManagedIdentity;
    const getLastRestart = createLastRestart({
      ports: { fs, process: createFakeProcess({ pid: 100 }), clock: createSimClock(startedAt + 1_000) },
      paths,
      identities: { get: async () => managed, refresh: async () => managed, current: managed },
    });
    await expect(getLastRestart()).rejects.toThrow('EIO');
    failReads = false;
    memory.files.set(
      file,
      JSON.stringify({
        initiator: 'self',
        reason: 'memory',
        signal: null,
        name: 'web',
        namespace: 'default',
        pmId: 0,
        previousPid: 99,
        previousRestarts: 0,
        requestedAt: startedAt - 100,
        deferredMs: 50,
        exitedAt: startedAt - 50,
        expiresAt: startedAt + 11_550,
        strategy: 'exit',
        forced: false,
        tasksCut: 0,
      }),
    );
    await expect(getLastRestart()).resolves.toMatchObject({ reason: 'memory', pmId: 0 });
    await settleRejections();
    expect(unhandled).toEqual([]);
  });
});
