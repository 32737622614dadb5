import { describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import type { ManagedIdentity } from '../../src/identity/identity.js';
import {
  addLiveDaemon,
  createFakePorts,
  envFixture,
  FIXTURE_DAEMON_PID,
  jlistFixture,
  portsForEnvFixture,
  type FakePorts,
} from '../helpers/fake-ports.js';

const LIST = JSON.parse(jlistFixture('full.json')) as unknown[];
const FIXTURE_HOME = '/tmp/pm2-self-fixtures-QiHm0b/.pm2';
const USER_HOME = '/home/tester/.pm2';
const rpcAnswers = {
  getMonitorData: { ok: true as const, value: LIST },
  ping: { ok: true as const, value: 'pong' },
};

/** A process with no pm2 variables (a shell-started node, or pm2 with env filtered), and a live daemon in ~/.pm2. */
function plainPorts(
  pid: number,
  ppid: number,
  options: { live?: boolean; parents?: Record<number, number> } = {},
): FakePorts {
  const ports = createFakePorts({
    pid,
    ppid,
    env: { PATH: '/usr/bin', SECRET_TOKEN: 'plain-secret' },
    parents: options.parents,
    daemon: rpcAnswers,
  });
  if (options.live !== false) addLiveDaemon(ports, USER_HOME, FIXTURE_DAEMON_PID);
  return ports;
}

function expectNoDaemonTraffic(ports: FakePorts): void {
  expect(ports.daemon.calls).toHaveLength(0);
  expect(ports.runner.calls).toHaveLength(0);
}

async function managedIdentity(ports: FakePorts): Promise<ManagedIdentity> {
  const identity = await createPm2Self({ ports }).getIdentity();
  if (!identity.managed)
    throw new Error(`expected a managed identity, got ${identity.reason}: ${identity.message}`);
  return identity;
}

describe('createPm2Self: nothing happens on creation', () => {
  it('reads no file and calls nothing', () => {
    const ports = portsForEnvFixture('fork', { liveDaemon: true, daemon: rpcAnswers });
    createPm2Self({ ports });
    expect(ports.fs.reads).toHaveLength(0);
    expectNoDaemonTraffic(ports);
    expect(ports.clock.pendingTimers()).toBe(0);
  });
});

describe('getProcessName: option > env var > pm2 env > daemon list > null', () => {
  it('the name option comes first, and costs nothing', async () => {
    const ports = portsForEnvFixture('fork', { env: { PM2_PROCESS_NAME: 'from-env' } });
    expect(await createPm2Self({ ports, name: 'from-option' }).getProcessName()).toBe('from-option');
    expect(ports.fs.reads).toHaveLength(0);
    expectNoDaemonTraffic(ports);
  });

  it('then PM2_PROCESS_NAME', async () => {
    const ports = portsForEnvFixture('fork', { env: { PM2_PROCESS_NAME: 'from-env' } });
    expect(await createPm2Self({ ports }).getProcessName()).toBe('from-env');
    expect(ports.fs.reads).toHaveLength(0);
    expectNoDaemonTraffic(ports);
  });

  it('a custom envVar replaces PM2_PROCESS_NAME', async () => {
    const ports = portsForEnvFixture('fork', {
      env: { PM2_PROCESS_NAME: 'default-var', APP_NAME: 'custom-var' },
    });
    expect(await createPm2Self({ ports, envVar: 'APP_NAME' }).getProcessName()).toBe('custom-var');
    const without = portsForEnvFixture('fork', { env: { PM2_PROCESS_NAME: 'default-var' } });
    expect(await createPm2Self({ ports: without, envVar: 'APP_NAME' }).getProcessName()).toBe('fork-app');
  });

  it('an empty env var is skipped', async () => {
    const ports = portsForEnvFixture('fork', { env: { PM2_PROCESS_NAME: '' } });
    expect(await createPm2Self({ ports }).getProcessName()).toBe('fork-app');
  });

  it('the env var names even a process outside pm2', async () => {
    const ports = createFakePorts({ env: { PM2_PROCESS_NAME: 'standalone' } });
    expect(await createPm2Self({ ports }).getProcessName()).toBe('standalone');
    expectNoDaemonTraffic(ports);
  });

  it.each(['fork', 'cluster-0', 'cluster-1', 'eco-fork', 'eco-cluster'] as const)(
    'then pm2 variables confirmed by the pid file (%s): one file read, no daemon, no command',
    async (fixture) => {
      const ports = portsForEnvFixture(fixture, { liveDaemon: true, daemon: rpcAnswers });
      expect(await createPm2Self({ ports }).getProcessName()).toBe(envFixture(fixture).env.name);
      expect(ports.fs.reads).toEqual([envFixture(fixture).env.pm_pid_path]);
      expectNoDaemonTraffic(ports);
    },
  );

  it('then the daemon list, matched by pid', async () => {
    const ports = plainPorts(7417, FIXTURE_DAEMON_PID);
    expect(await createPm2Self({ ports }).getProcessName()).toBe('fork-app');
    expect(ports.daemon.methods()).toEqual(['getMonitorData']);
    expect(ports.runner.calls).toHaveLength(0);
  });

  it('unusable pm2 variables fall back to the daemon list', async () => {
    const ports = portsForEnvFixture('fork', {
      env: { pm_id: 'zero', PM2_HOME: undefined },
      daemon: rpcAnswers,
    });
    addLiveDaemon(ports, USER_HOME, FIXTURE_DAEMON_PID);
    expect(await createPm2Self({ ports }).getProcessName()).toBe('fork-app');
    expect(await createPm2Self({ ports }).getIdentity()).toMatchObject({
      source: 'daemon',
      relation: 'tracked',
    });
  });

  it('a missing pid file falls back to the daemon list', async () => {
    const ports = portsForEnvFixture('cluster-1', { liveDaemon: true, daemon: rpcAnswers });
    ports.fs.files.delete(envFixture('cluster-1').env.pm_pid_path as string);
    expect(await createPm2Self({ ports }).getIdentity()).toMatchObject({
      name: 'cluster-app',
      pmId: 2,
      source: 'daemon',
      relation: 'tracked',
    });
  });

  it('null without pm2 variables nor daemon: nothing spawned, no socket touched', async () => {
    const ports = plainPorts(4242, 4241, { live: false });
    const self = createPm2Self({ ports });
    expect(await self.getProcessName()).toBeNull();
    expect(await self.getIdentity()).toMatchObject({ managed: false, reason: 'noDaemon' });
    expectNoDaemonTraffic(ports);
  });

  it('null when the daemon does not list this process or an ancestor', async () => {
    const ports = plainPorts(4242, 4241, { parents: { 4241: 4000, 4000: 1 } });
    expect(await createPm2Self({ ports }).getProcessName()).toBeNull();
    expect(await createPm2Self({ ports }).getIdentity()).toMatchObject({
      managed: false,
      reason: 'notInList',
    });
  });
});

describe('getIdentity: relation to the process pm2 tracks', () => {
  it('fork: tracked, from pm2 variables', async () => {
    const identity = await managedIdentity(portsForEnvFixture('fork'));
    expect(identity).toMatchObject({
      relation: 'tracked',
      trackedPid: 7417,
      source: 'pm2Env',
      pm2Home: FIXTURE_HOME,
      settingsOrigin: 'forkEnv',
    });
  });

  it('wrapped child with pm2 variables: wrapper, without asking the daemon', async () => {
    const ports = portsForEnvFixture('wrapped-child', { liveDaemon: true, daemon: rpcAnswers });
    expect(await managedIdentity(ports)).toMatchObject({
      name: 'wrapped-app',
      relation: 'wrapper',
      trackedPid: 7497,
      source: 'pm2Env',
    });
    expectNoDaemonTraffic(ports);
  });

  it.each(['direct-child', 'grandchild'] as const)(
    '%s: pm2 variables present but the pid file names another process -> descendant',
    async (fixture) => {
      const ports = portsForEnvFixture(fixture, { liveDaemon: true, daemon: rpcAnswers });
      expect(await managedIdentity(ports)).toMatchObject({
        name: 'fork-app',
        relation: 'descendant',
        trackedPid: 7417,
      });
      // Only the daemon's pid file is read to tell a descendant from a superseded worker.
      expectNoDaemonTraffic(ports);
    },
  );

  it('a daemon child whose pid file names a newer worker, and the daemon agrees, is superseded', async () => {
    const ports = portsForEnvFixture('cluster-0', { liveDaemon: true, daemon: rpcAnswers });
    ports.fs.files.set(envFixture('cluster-0').env.pm_pid_path as string, '9999');
    ports.daemon.script.getMonitorData = {
      ok: true,
      value: LIST.map((entry) =>
        (entry as { pm_id: number }).pm_id === 1 ? { ...(entry as object), pid: 9999 } : entry,
      ),
    };
    expect(await managedIdentity(ports)).toMatchObject({ relation: 'superseded', trackedPid: 9999 });
  });

  it('a stale pid file (rewritten by a respawned old worker) does not demote the worker the daemon tracks', async () => {
    const ports = portsForEnvFixture('cluster-0', { liveDaemon: true, daemon: rpcAnswers });
    ports.fs.files.set(envFixture('cluster-0').env.pm_pid_path as string, '9999');
    expect(await managedIdentity(ports)).toMatchObject({ relation: 'tracked', trackedPid: 7454 });
  });

  it('no pm2 variables, daemon lists our parent run by bash: wrapper', async () => {
    const ports = plainPorts(7499, 7497);
    expect(await managedIdentity(ports)).toMatchObject({
      name: 'wrapped-app',
      pmId: 3,
      relation: 'wrapper',
      trackedPid: 7497,
      source: 'daemon',
      settingsOrigin: 'daemon',
      pm2Home: USER_HOME,
    });
  });

  it('no pm2 variables, daemon lists a node grandparent: descendant', async () => {
    const ports = plainPorts(7455, 7434, { parents: { 7434: 7417, 7417: FIXTURE_DAEMON_PID } });
    expect(await managedIdentity(ports)).toMatchObject({
      name: 'fork-app',
      relation: 'descendant',
      trackedPid: 7417,
      source: 'daemon',
    });
  });

  it('no pm2 variables, two entries with our pid: ambiguous, no identity claimed', async () => {
    const ports = plainPorts(7417, FIXTURE_DAEMON_PID);
    ports.daemon.script.getMonitorData = {
      ok: true,
      value: [...LIST, { ...(LIST[1] as object), pid: 7417 }],
    };
    expect(await createPm2Self({ ports }).getIdentity()).toMatchObject({
      managed: false,
      reason: 'ambiguous',
    });
  });

  it('a managed identity is resolved once', async () => {
    const ports = plainPorts(7417, FIXTURE_DAEMON_PID);
    const self = createPm2Self({ ports });
    await Promise.all([self.getIdentity(), self.getProcessName(), self.getIdentity()]);
    await self.getProcessName();
    expect(ports.daemon.calls).toHaveLength(1);
  });

  it('an unmanaged answer is reused for cacheTtlMs only', async () => {
    const ports = plainPorts(4242, 4241, { live: false });
    const self = createPm2Self({ ports, cacheTtlMs: 500 });
    expect(await self.getIdentity()).toMatchObject({ managed: false, reason: 'noDaemon' });
    addLiveDaemon(ports, USER_HOME, FIXTURE_DAEMON_PID);
    ports.process.pid = 7417;
    expect(await self.getIdentity()).toMatchObject({ managed: false });
    ports.clock.advance(500);
    expect(await self.getIdentity()).toMatchObject({ managed: true, name: 'fork-app' });
  });
});

describe('identity cache', () => {
  it('a resolver that rejects once does not poison the cache: resolverFailed now, the next call retries', async () => {
    const { createIdentityCache } = await import('../../src/identity/identity-cache.js');
    const { createSimClock } = await import('../helpers/sim-clock.js');
    let calls = 0;
    const cache = createIdentityCache(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('port failed');
        return { managed: false, reason: 'noDaemon', message: 'no daemon' };
      },
      createSimClock(0),
      1_000,
    );
    expect(await cache.get()).toMatchObject({ managed: false, reason: 'resolverFailed' });
    expect(await cache.get()).toMatchObject({ managed: false, reason: 'noDaemon' });
    expect(calls).toBe(2);
  });
});
