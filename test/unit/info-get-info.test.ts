import { describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import type { Pm2Info } from '../../src/info/info.js';
import {
  createFakePorts,
  ENV_FIXTURES,
  envFixture,
  FIXTURE_SECRET,
  jlistFixture,
  portsForEnvFixture,
  type DaemonScript,
} from '../helpers/fake-ports.js';
import { PM2_DEFAULT_SETTINGS } from '../helpers/expected-settings.js';

const LIST = JSON.parse(jlistFixture('full.json')) as Array<Record<string, unknown>>;
const rpcAnswers: DaemonScript = {
  getMonitorData: { ok: true, value: LIST },
  ping: { ok: true, value: 'pong' },
};
const NOW = 1_800_000_000_000;
const FORK_STARTED = 1795592714362;

/** The fixture list with one entry changed. */
function listWith(
  pmId: number,
  patch: Record<string, unknown>,
  envPatch: Record<string, unknown> = {},
): unknown[] {
  return LIST.map((entry) =>
    entry.pm_id === pmId
      ? { ...entry, ...patch, pm2_env: { ...(entry.pm2_env as object), ...envPatch } }
      : entry,
  );
}

describe('getStatus', () => {
  it("returns the daemon's live status, never the env's 'launching'", async () => {
    const ports = portsForEnvFixture('fork', { liveDaemon: true, daemon: rpcAnswers });
    expect(ports.process.env.status).toBe('launching');
    expect(await createPm2Self({ ports }).getStatus()).toBe('online');
    expect(ports.daemon.methods()).toEqual(['getMonitorData']);
  });

  it('reports whatever the daemon says for this app', async () => {
    const ports = portsForEnvFixture('eco-cluster', {
      liveDaemon: true,
      daemon: { getMonitorData: { ok: true, value: listWith(5, {}, { status: 'stopping' }) } },
    });
    expect(await createPm2Self({ ports }).getStatus()).toBe('stopping');
  });

  it.each([
    ['eco-cluster', {}, 5, 'online'],
    ['fork', {}, 0, 'online'],
    ['eco-cluster', { wait_ready: 'true' }, 5, 'launching'],
  ] as const)(
    "%s %o, pm_id %d: the daemon's 'launching' about this running process is reported as %s (issue 22, item 3)",
    async (fixture, env, pmId, expected) => {
      const ports = portsForEnvFixture(fixture, {
        liveDaemon: true,
        env,
        daemon: { getMonitorData: { ok: true, value: listWith(pmId, {}, { status: 'launching' }) } },
      });
      const self = createPm2Self({ ports });
      expect(await self.getStatus()).toBe(expected);
      expect((await self.getInfo({ live: true }))?.status).toBe(expected);
    },
  );

  it('null when the daemon is absent, with nothing spawned', async () => {
    const ports = portsForEnvFixture('fork', { daemon: rpcAnswers });
    expect(await createPm2Self({ ports }).getStatus()).toBeNull();
    expect(ports.daemon.calls).toHaveLength(0);
    expect(ports.runner.calls).toHaveLength(0);
  });

  it('null when the daemon does not answer', async () => {
    const ports = portsForEnvFixture('fork', {
      liveDaemon: true,
      daemon: { getMonitorData: { ok: false, reason: 'timeout', message: 'slow' } },
    });
    expect(await createPm2Self({ ports, route: 'rpc' }).getStatus()).toBeNull();
  });

  it('null outside pm2', async () => {
    const ports = createFakePorts({ env: { PM2_PROCESS_NAME: 'named-anyway' } });
    expect(await createPm2Self({ ports }).getStatus()).toBeNull();
  });

  it('the status of the wrapper script pm2 tracks, for its node child', async () => {
    const ports = portsForEnvFixture('wrapped-child', { liveDaemon: true, daemon: rpcAnswers });
    expect(await createPm2Self({ ports }).getStatus()).toBe('online');
  });

  it('is cached for cacheTtlMs', async () => {
    const ports = portsForEnvFixture('fork', { liveDaemon: true, daemon: rpcAnswers });
    const self = createPm2Self({ ports, cacheTtlMs: 1000 });
    await Promise.all(Array.from({ length: 100 }, () => self.getStatus()));
    await self.getStatus();
    expect(ports.daemon.calls).toHaveLength(1);
    ports.clock.advance(1000);
    await self.getStatus();
    expect(ports.daemon.calls).toHaveLength(2);
  });
});

describe('getInfo', () => {
  it('fork app, no live query: every field from the pm2 variables and the process itself', async () => {
    const ports = portsForEnvFixture('fork', {
      liveDaemon: true,
      daemon: rpcAnswers,
      uptimeMs: 12_345.6,
      rss: 40_000_000,
    });
    const info = await createPm2Self({ ports }).getInfo();
    expect(info).toEqual({
      name: 'fork-app',
      pmId: 0,
      pid: 7417,
      trackedPid: 7417,
      relation: 'tracked',
      instance: 0,
      namespace: 'default',
      execMode: 'fork',
      status: null,
      restarts: 0,
      unstableRestarts: 0,
      uptimeMs: 12_346,
      memoryBytes: 40_000_000,
      cpuPercent: null,
      settings: { ...PM2_DEFAULT_SETTINGS, stopExitCodes: 'unknown' },
      sources: {
        name: 'pm2Env',
        identity: 'pm2Env',
        counters: 'pm2Env',
        metrics: 'process',
        settings: 'forkEnv',
        status: 'notAsked',
      },
      daemon: null,
    } satisfies Pm2Info);
    expect(ports.daemon.calls).toHaveLength(0);
    expect(ports.runner.calls).toHaveLength(0);
  });

  it('fork app, live: status, counters, metrics and settings from the daemon', async () => {
    const ports = portsForEnvFixture('fork', { liveDaemon: true, daemon: rpcAnswers, now: NOW });
    const info = await createPm2Self({ ports }).getInfo({ live: true });
    expect(info).toEqual({
      name: 'fork-app',
      pmId: 0,
      pid: 7417,
      trackedPid: 7417,
      relation: 'tracked',
      instance: 0,
      namespace: 'default',
      execMode: 'fork',
      status: 'online',
      restarts: 0,
      unstableRestarts: 0,
      uptimeMs: NOW - FORK_STARTED,
      memoryBytes: 54136832,
      cpuPercent: 0,
      settings: PM2_DEFAULT_SETTINGS,
      sources: {
        name: 'pm2Env',
        identity: 'pm2Env',
        counters: 'daemon',
        metrics: 'daemon',
        settings: 'daemon',
        status: 'daemon',
      },
      daemon: { ok: true, via: 'rpc', at: NOW, store: 'shared' },
    } satisfies Pm2Info);
  });

  it('live without a daemon: own values, and the problem', async () => {
    const ports = portsForEnvFixture('fork', { daemon: rpcAnswers });
    const info = await createPm2Self({ ports }).getInfo({ live: true });
    expect(info).toMatchObject({
      status: null,
      memoryBytes: ports.process.rss,
      daemon: { ok: false, problem: 'noDaemon' },
      sources: { metrics: 'process', counters: 'pm2Env' },
    });
    expect(ports.daemon.calls).toHaveLength(0);
  });

  it('the name option and env var name the info too', async () => {
    const ports = portsForEnvFixture('fork', { env: { PM2_PROCESS_NAME: 'dashboard-name' } });
    expect(await createPm2Self({ ports }).getInfo()).toMatchObject({
      name: 'dashboard-name',
      sources: { name: 'envVar' },
    });
    expect(await createPm2Self({ ports, name: 'opt' }).getInfo()).toMatchObject({
      name: 'opt',
      sources: { name: 'option' },
    });
  });

  it('eco-cluster from env: settings read from the worker env', async () => {
    const info = await createPm2Self({ ports: portsForEnvFixture('eco-cluster') }).getInfo();
    expect(info).toMatchObject({
      execMode: 'cluster',
      sources: { settings: 'clusterEnv' },
      settings: { stopExitCodes: [0, 7], autorestart: false, killTimeoutMs: 3000 },
    });
  });

  it('a wrapped child reports the pid pm2 tracks (the shell) and its own pid', async () => {
    const info = await createPm2Self({ ports: portsForEnvFixture('wrapped-child') }).getInfo();
    expect(info).toMatchObject({ pid: 7499, trackedPid: 7497, relation: 'wrapper' });
  });

  it('null outside pm2', async () => {
    const ports = createFakePorts({ env: { SECRET_TOKEN: FIXTURE_SECRET } });
    expect(await createPm2Self({ ports }).getInfo({ live: true })).toBeNull();
  });

  it('an old cluster worker never reports the new worker as itself: its live answer says superseded', async () => {
    // The worker resolved itself as tracked; then a reload started a new worker under the same pm_id.
    const ports = portsForEnvFixture('cluster-0', {
      liveDaemon: true,
      daemon: {
        getMonitorData: {
          ok: true,
          value: listWith(1, { pid: 9999, monit: { memory: 1, cpu: 99 } }, { status: 'launching' }),
        },
      },
    });
    const self = createPm2Self({ ports });
    expect(await self.getIdentity()).toMatchObject({ relation: 'tracked', trackedPid: 7454 });
    const info = await self.getInfo({ live: true });
    // The daemon lists the new worker under pm_id 1: the live answer carries the live relation, and
    // the new worker's measurements are never reported as this process's.
    expect(info).toMatchObject({
      pid: 7454,
      trackedPid: 9999,
      relation: 'superseded',
      status: 'launching',
      cpuPercent: null,
      memoryBytes: ports.process.rss,
      daemon: { ok: true },
    });
    expect(await self.getStatus()).toBeNull();
  });

  it('a worker resolved during the reload is superseded and reports the new worker as the tracked one', async () => {
    const ports = portsForEnvFixture('cluster-0', {
      liveDaemon: true,
      daemon: { getMonitorData: { ok: true, value: listWith(1, { pid: 9999 }, { status: 'launching' }) } },
    });
    ports.fs.files.set(envFixture('cluster-0').env.pm_pid_path as string, '9999');
    const self = createPm2Self({ ports });
    expect(await self.getInfo({ live: true })).toMatchObject({
      pid: 7454,
      trackedPid: 9999,
      relation: 'superseded',
      status: 'launching',
    });
  });
});

describe('getInfo leaks no environment value', () => {
  it.each(ENV_FIXTURES)('%s: JSON of getInfo({ live: true }) holds no env value', async (fixture) => {
    const { env } = envFixture(fixture);
    const ports = portsForEnvFixture(fixture, {
      liveDaemon: true,
      daemon: rpcAnswers,
      env: { PM2_PROCESS_NAME: undefined },
    });
    const self = createPm2Self({ ports });
    for (const info of [await self.getInfo({ live: true }), await self.getInfo()]) {
      expect(info).not.toBeNull();
      const json = JSON.stringify(info);
      // Legitimately present: the name, the namespace, the settings' numbers, and JSON's own true/false.
      const settings = info === null ? [] : Object.values(info.settings).flat().map(String);
      const allowed = new Set([info?.name, info?.namespace, 'true', 'false', ...settings]);
      const values = Object.values(env).filter((value) => value.length > 3 && !allowed.has(value));
      expect(values).toContain(FIXTURE_SECRET);
      expect(values).toContain(env.PM2_HOME);
      for (const value of values) expect(json, `${fixture}: ${value}`).not.toContain(value);
      expect(json).not.toContain('/tmp/');
      expect(json).not.toContain('launching');
    }
  });
});

describe('getInfo({ live: true }) with many callers', () => {
  it('callers served by one daemon answer share one frozen snapshot; a new answer gives a new one', async () => {
    const ports = portsForEnvFixture('fork', { liveDaemon: true, daemon: rpcAnswers });
    const self = createPm2Self({ ports, cacheTtlMs: 1_000 });
    const infos = await Promise.all(Array.from({ length: 100 }, () => self.getInfo({ live: true })));
    expect(ports.daemon.methods()).toEqual(['getMonitorData']);
    expect(new Set(infos).size).toBe(1);
    const info = infos[0] as Pm2Info;
    expect(Object.isFrozen(info) && Object.isFrozen(info.settings) && Object.isFrozen(info.sources)).toBe(
      true,
    );
    expect(info.status).toBe('online');

    ports.clock.advance(1_001);
    const later = await self.getInfo({ live: true });
    expect(ports.daemon.methods()).toEqual(['getMonitorData', 'getMonitorData']);
    expect(later).not.toBe(info);
  });
});
