/**
 * The supported pm2 range: the pure check of a reported version, the per-daemon-pid gate, and what a
 * daemon query does with a daemon outside the range (reports it, uses nothing it says).
 */
import { describe, expect, it } from 'vitest';
import { createDaemonQuery, type DaemonRoute } from '../../src/daemon/daemon-query.js';
import { createDaemonVersionGate } from '../../src/daemon/daemon-version.js';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import { checkPm2Version, parsePm2Version, SUPPORTED_PM2 } from '../../src/pm2/pm2-version.js';
import { createPm2Self } from '../../src/index.js';
import {
  addLiveDaemon,
  createFakeDaemonClient,
  createFakePorts,
  jlistFixture,
  portsForEnvFixture,
  type DaemonScript,
} from '../helpers/fake-ports.js';

const HOME = '/srv/pm2home';
const PATHS = pm2HomePaths(HOME, 'linux');
const LIST = JSON.parse(jlistFixture('full.json')) as unknown[];
const ok = (value: unknown) => ({ ok: true as const, value });

describe('checkPm2Version', () => {
  it.each(['5.4.0', '5.4.3', '5.99.0', '6.0.14', '7.0.4', '7.99.99', 'v6.0.14', ' 7.0.4\n', '6.0.0-beta.1'])(
    '%j is supported',
    (version) => {
      expect(checkPm2Version(version)).toEqual({ ok: true, version: version.trim() });
    },
  );

  it.each(['5.3.1', '5.3.99', '4.5.6', '2.10.4', '0.0.0', '8.0.0', '8.0.0-rc.1', '10.1.0', '5.2.0'])(
    '%j is reported as not supported, with the version and the range',
    (version) => {
      expect(checkPm2Version(version)).toEqual({
        ok: false,
        version,
        message: `pm2 daemon ${version} is not supported; supported: pm2 ${SUPPORTED_PM2.range}`,
      });
    },
  );

  it.each([undefined, null, 7, {}, ['7.0.4'], '', 'N/A', '7.0', '7', '7.0.4.1', 'latest', '７.0.4'])(
    'an answer that is not a version (%j) is not supported, never guessed at',
    (reported) => {
      const result = checkPm2Version(reported);
      expect(result).toMatchObject({ ok: false, version: null });
      expect(result.ok ? '' : result.message).toContain(`supported: pm2 ${SUPPORTED_PM2.range}`);
    },
  );

  it('parses major, minor and patch', () => {
    expect(parsePm2Version('6.0.14')).toEqual([6, 0, 14]);
    expect(parsePm2Version('v5.4.3+build.7')).toEqual([5, 4, 3]);
    expect(parsePm2Version(6)).toBeUndefined();
  });

  it('the range string says what min and belowMajor say', () => {
    expect(SUPPORTED_PM2.range).toBe(`>=${SUPPORTED_PM2.min.join('.')} <${SUPPORTED_PM2.belowMajor}.0.0`);
  });
});

describe('createDaemonVersionGate', () => {
  const gateOver = (script: DaemonScript) => {
    const daemon = createFakeDaemonClient(script);
    return { daemon, gate: createDaemonVersionGate({ daemon, rpcSocket: PATHS.rpcSocket, timeoutMs: 900 }) };
  };

  it('asks once per daemon pid, and again for a new daemon (pm2 update)', async () => {
    const { daemon, gate } = gateOver({ getVersion: ok('6.0.14') });
    expect(await gate.check(100)).toEqual({ ok: true, version: '6.0.14' });
    expect(await gate.check(100)).toEqual({ ok: true, version: '6.0.14' });
    expect(daemon.versionCalls).toEqual([
      { socketPath: PATHS.rpcSocket, method: 'getVersion', arg: {}, options: { timeoutMs: 900 } },
    ]);
    daemon.script.getVersion = ok('8.1.0');
    expect(await gate.check(101)).toMatchObject({ ok: false, reason: 'unsupportedVersion' });
    expect(await gate.check(101)).toMatchObject({ ok: false, reason: 'unsupportedVersion' });
    expect(daemon.versionCalls).toHaveLength(2);
  });

  it('a daemon without getVersion (remoteError) is not supported', async () => {
    const { gate } = gateOver({
      getVersion: { ok: false, reason: 'remoteError', message: 'no such method' },
    });
    const verdict = await gate.check(100);
    expect(verdict).toMatchObject({ ok: false, reason: 'unsupportedVersion' });
    expect(verdict.ok ? '' : verdict.message).toContain('no such method');
  });

  it.each(['noDaemon', 'accessDenied', 'timeout', 'protocol', 'closed'] as const)(
    'a call that fails with %s is that failure, and is asked again next time',
    async (reason) => {
      const { daemon, gate } = gateOver({ getVersion: { ok: false, reason, message: 'x' } });
      expect(await gate.check(100)).toEqual({ ok: false, reason, message: 'getVersion: x' });
      daemon.script.getVersion = ok('7.0.4');
      expect(await gate.check(100)).toEqual({ ok: true, version: '7.0.4' });
      expect(daemon.versionCalls).toHaveLength(2);
    },
  );
});

/** A daemon query (timeout 2000 ms) to a live fake daemon that answers the list, ping and restart. */
function setupQuery(route: DaemonRoute, getVersion: DaemonScript[string], cacheTtlMs = 1000) {
  const ports = createFakePorts({
    daemon: { getVersion, getMonitorData: ok(LIST), ping: ok({ msg: 'pong' }), restartProcessId: ok(null) },
    run: () => ({ ok: true, stdout: JSON.stringify(LIST) }),
  });
  addLiveDaemon(ports, HOME, 555);
  const query = createDaemonQuery({
    ports,
    paths: PATHS,
    route,
    timeoutMs: 2000,
    cacheTtlMs,
    maxListBytes: 1 << 20,
    pm2Command: () => ({ file: '/opt/pm2/bin/pm2', prefixArgs: [], source: 'option' }),
  });
  return { ports, query };
}

describe('a daemon query meets a daemon outside the supported range', () => {
  const setup = (route: DaemonRoute, version: unknown) => setupQuery(route, ok(version));

  it.each(['auto', 'rpc', 'cli'] as const)(
    'route %s: unsupportedVersion, and neither the list nor the CLI is touched',
    async (route) => {
      const { ports, query } = setup(route, '5.3.0');
      expect(await query.list()).toEqual({
        ok: false,
        problem: 'unsupportedVersion',
        message: `pm2 daemon 5.3.0 is not supported; supported: pm2 ${SUPPORTED_PM2.range}`,
      });
      expect(ports.daemon.calls).toEqual([]);
      expect(ports.runner.calls).toEqual([]);
    },
  );

  it('requestRestart to an unsupported daemon sends nothing and says why', async () => {
    const { ports, query } = setup('auto', '4.5.6');
    expect(await query.requestRestart(2)).toMatchObject({ ok: false, problem: 'unsupportedVersion' });
    expect(ports.daemon.calls).toEqual([]);
  });

  it('a supported daemon is asked for its version once, then only for its list', async () => {
    const { ports, query } = setup('rpc', '5.4.3');
    expect(await query.list()).toMatchObject({ ok: true, via: 'rpc' });
    expect(await query.list({ fresh: true })).toMatchObject({ ok: true, via: 'rpc' });
    expect(await query.requestRestart(2)).toEqual({ ok: true });
    expect(ports.daemon.versionCalls).toHaveLength(1);
    expect(ports.daemon.methods()).toEqual(['getMonitorData', 'getMonitorData', 'restartProcessId']);
  });
});

describe('what an app sees next to an unsupported daemon', () => {
  const daemon = { getVersion: ok('9.0.0'), getMonitorData: ok(LIST), restartProcessId: ok(null) };

  it('a managed fork process: identity from its variables; getInfo({ live: true }) names the problem', async () => {
    const ports = portsForEnvFixture('fork', { liveDaemon: true, daemon });
    const self = createPm2Self({ ports });
    expect(await self.getIdentity()).toMatchObject({ managed: true, name: 'fork-app', source: 'pm2Env' });
    expect(await self.getInfo({ live: true })).toMatchObject({
      name: 'fork-app',
      status: null,
      sources: { counters: 'pm2Env', settings: 'forkEnv' },
      daemon: { ok: false, problem: 'unsupportedVersion' },
    });
    expect(await self.getStatus()).toBeNull();
    expect(ports.daemon.calls).toEqual([]);
  });

  it('a process found only through the daemon list is not managed, with reason unsupportedVersion', async () => {
    const ports = createFakePorts({ env: { PM2_HOME: HOME }, daemon });
    addLiveDaemon(ports, HOME, 555);
    expect(await createPm2Self({ ports }).getIdentity()).toEqual({
      managed: false,
      reason: 'unsupportedVersion',
      message: expect.stringContaining('pm2 daemon 9.0.0 is not supported'),
    });
    expect(ports.daemon.calls).toEqual([]);
  });
});

describe('the version check shares the first query budget (issue 22, item 2)', () => {
  /** A query whose daemon takes `takesMs` of the (fake) clock to answer its version. */
  const setup = (route: DaemonRoute, cacheTtlMs: number, takesMs: number) => {
    const setUp = setupQuery(route, ok('7.0.4'), cacheTtlMs);
    setUp.ports.daemon.script.getVersion = () => {
      setUp.ports.clock.advance(takesMs);
      return ok('7.0.4');
    };
    return setUp;
  };

  it.each([
    ['rpc', 0],
    ['rpc', 1000],
    ['auto', 1000],
  ] as const)('route %s, cacheTtlMs %d: the list gets what the version check left', async (route, ttl) => {
    const { ports, query } = setup(route, ttl, 1500);
    expect(await query.list()).toMatchObject({ ok: true, via: 'rpc' });
    expect(ports.daemon.versionCalls.map((call) => call.options.timeoutMs)).toEqual([2000]);
    expect(ports.daemon.calls.map((call) => [call.method, call.options.timeoutMs])).toEqual([
      ['getMonitorData', 500],
    ]);
  });

  it('route cli: the ping and the command get what the version check left', async () => {
    const { ports, query } = setup('cli', 1000, 1200);
    expect(await query.list()).toMatchObject({ ok: true, via: 'cli' });
    expect(ports.daemon.calls.map((call) => [call.method, call.options.timeoutMs])).toEqual([['ping', 800]]);
    expect(ports.runner.calls[0]?.options.timeoutMs).toBe(800);
  });

  it('requestRestart: the restart request gets what the version check left', async () => {
    const { ports, query } = setup('rpc', 1000, 1900);
    expect(await query.requestRestart(2)).toEqual({ ok: true });
    expect(ports.daemon.calls.map((call) => [call.method, call.options.timeoutMs])).toEqual([
      ['restartProcessId', 100],
    ]);
  });

  it('a version check that used the whole budget leaves the list 1 ms, so it fails by itself', async () => {
    const { ports, query } = setup('rpc', 0, 2500);
    await query.list();
    expect(ports.daemon.calls.map((call) => call.options.timeoutMs)).toEqual([1]);
  });
});
