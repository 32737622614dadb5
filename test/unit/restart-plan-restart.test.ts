import { describe, expect, it } from 'vitest';
import type { ProcessEntry } from '../../src/pm2/process-list.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import { readRestartSettings } from '../../src/pm2/restart-settings.js';
import { planRestart } from '../../src/restart/plan-restart.js';

const NOW = 1_800_000_000_000;
const forkSettings = readRestartSettings({ autorestart: 'true' }, 'forkEnv');
const identity: ManagedIdentity = {
  managed: true,
  name: 'app',
  pmId: 3,
  namespace: 'default',
  execMode: 'fork',
  instance: 0,
  relation: 'tracked',
  trackedPid: 100,
  startedAt: NOW - 60_000,
  restarts: 2,
  unstableRestarts: 0,
  settings: forkSettings,
  settingsOrigin: 'forkEnv',
  pm2Home: '/home/u/.pm2',
  source: 'pm2Env',
  evidence: 'pidFile',
};
const entry = (settings: Record<string, unknown>): ProcessEntry => ({
  pid: 100,
  pmId: 3,
  name: 'app',
  namespace: 'default',
  execMode: 'fork',
  instance: 0,
  status: 'online',
  restarts: 2,
  unstableRestarts: 0,
  startedAt: NOW - 60_000,
  memoryBytes: 1,
  cpuPercent: 0,
  interpreter: 'node',
  settings: readRestartSettings(settings, 'daemon'),
});
const plan = (overrides: Partial<Parameters<typeof planRestart>[0]>) =>
  planRestart({
    identity,
    entry: entry({}),
    allowPlainExit: false,
    now: NOW,
    uptimeMs: 60_000,
    ...overrides,
  });

describe('planRestart', () => {
  it.each([
    ['daemon settings: defaults', entry({}), { type: 'exit', code: 0 }],
    ['daemon settings: stop_exit_codes [0]', entry({ stop_exit_codes: [0] }), { type: 'exit', code: 75 }],
    [
      'daemon settings: stop_exit_codes [0, 75]',
      entry({ stop_exit_codes: [0, 75] }),
      { type: 'exit', code: 1 },
    ],
    ['daemon settings: autorestart false', entry({ autorestart: false }), { type: 'daemon', pmId: 3 }],
    [
      'daemon answered without our entry: the fork env cannot tell stop_exit_codes',
      null,
      { type: 'daemon', pmId: 3 },
    ],
  ] as const)('%s', (_, live, strategy) => {
    const result = plan({ entry: live });
    expect(result.plan).toMatchObject({ ok: true, strategy });
    expect(result.target).toEqual({
      name: 'app',
      namespace: 'default',
      pmId: 3,
      restarts: 2,
      lifetimeMs: 1_600 + 10_000,
    });
  });

  it('a fork env alone, with the daemon silent, is refused: an exit might leave the app stopped', () => {
    expect(plan({ entry: undefined }).plan).toMatchObject({
      ok: false,
      code: 'ERR_PM2SELF_DAEMON_UNREACHABLE',
    });
  });

  it('run as another user (the daemon answers accessDenied): a fork env exits with 75, not 0', () => {
    const result = plan({ entry: undefined, daemonProblem: 'accessDenied' });
    expect(result.plan).toMatchObject({ ok: true, strategy: { type: 'exit', code: 75 } });
    // autorestart off: nothing would bring the app back, and the daemon cannot be asked.
    const off = { ...identity, settings: readRestartSettings({ autorestart: 'false' }, 'forkEnv') };
    expect(plan({ identity: off, entry: undefined, daemonProblem: 'accessDenied' }).plan).toMatchObject({
      ok: false,
      code: 'ERR_PM2SELF_DAEMON_UNREACHABLE',
    });
    // A scalar stop_exit_codes reaches a fork env: it is honoured.
    const scalar = { ...identity, settings: readRestartSettings({ stop_exit_codes: '0' }, 'forkEnv') };
    expect(plan({ identity: scalar, entry: undefined, daemonProblem: 'accessDenied' }).plan).toMatchObject({
      ok: true,
      strategy: { type: 'exit', code: 75 },
    });
  });

  it('a cluster env carries every setting: exit without the daemon', () => {
    const cluster: ManagedIdentity = {
      ...identity,
      execMode: 'cluster',
      settingsOrigin: 'clusterEnv',
      settings: readRestartSettings({ autorestart: 'true', stop_exit_codes: '0,7' }, 'clusterEnv'),
    };
    expect(plan({ identity: cluster, entry: undefined }).plan).toMatchObject({
      ok: true,
      strategy: { type: 'exit', code: 75 },
    });
  });

  it('waits out min_uptime (plus the margin) counted from pm2 spawn time, using the daemon value', () => {
    expect(
      plan({ identity: { ...identity, startedAt: NOW - 200 }, entry: entry({ min_uptime: 2000 }) })
        .minUptimeWaitMs,
    ).toBe(2000 + 100 - 200);
    expect(plan({ identity: { ...identity, startedAt: NOW - 200 }, entry: null }).minUptimeWaitMs).toBe(
      1000 + 100 - 200,
    );
    expect(
      plan({ identity: { ...identity, startedAt: null }, entry: null, uptimeMs: 50 }).minUptimeWaitMs,
    ).toBe(1000 + 100 - 50);
    expect(plan({}).minUptimeWaitMs).toBe(0);
  });

  it("a wall clock behind pm2's (stepped back 1 h) waits min_uptime (plus the margin) at most, not an hour", () => {
    const spawnedByPm2 = NOW + 3_600_000 - 200;
    expect(
      plan({ identity: { ...identity, startedAt: spawnedByPm2 }, entry: entry({ min_uptime: 2000 }) })
        .minUptimeWaitMs,
    ).toBe(2000 + 100);
    expect(plan({ identity: { ...identity, startedAt: spawnedByPm2 }, entry: null }).minUptimeWaitMs).toBe(
      1000 + 100,
    );
  });

  it('outside pm2 refuses unless a plain exit is allowed', () => {
    const outside = { managed: false as const, reason: 'noDaemon' as const, message: 'no daemon' };
    expect(plan({ identity: outside, entry: undefined }).plan).toMatchObject({
      ok: false,
      code: 'ERR_PM2SELF_NOT_UNDER_PM2',
    });
    expect(plan({ identity: outside, entry: undefined, allowPlainExit: true }).plan).toMatchObject({
      ok: true,
      strategy: { type: 'plainExit', code: 0 },
    });
  });
});
