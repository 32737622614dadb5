import { describe, expect, it } from 'vitest';
import { createDaemonQuery, type DaemonQuery, type DaemonRoute } from '../../src/daemon/daemon-query.js';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import type { CommandResult } from '../../src/ports/ports.js';
import {
  addLiveDaemon,
  createFakePorts,
  jlistFixture,
  type DaemonScript,
  type FakePorts,
  type FakePortsOptions,
} from '../helpers/fake-ports.js';

const HOME = '/srv/pm2home';
const PATHS = pm2HomePaths(HOME, 'linux');
const FULL = jlistFixture('full.json');
const LIST = JSON.parse(FULL) as unknown[];
const PM2 = { file: '/opt/pm2/bin/pm2', prefixArgs: [] as string[], source: 'option' as const };

const ok = (value: unknown) => ({ ok: true as const, value });
const fail = (reason: 'noDaemon' | 'accessDenied' | 'timeout' | 'protocol' | 'remoteError' | 'closed') => ({
  ok: false as const,
  reason,
  message: `${reason} (fake)`,
});

interface Setup {
  route?: DaemonRoute;
  live?: boolean;
  daemon?: DaemonScript;
  run?: (args: readonly string[]) => CommandResult;
  cacheTtlMs?: number;
  ports?: FakePortsOptions;
}

function setup(options: Setup = {}): { ports: FakePorts; query: DaemonQuery; commandLookups: () => number } {
  const ports = createFakePorts({
    env: { PATH: '/usr/bin', SECRET_TOKEN: 'shh' },
    daemon: options.daemon ?? { getMonitorData: ok(LIST), ping: ok({ msg: 'pong' }) },
    run: (call) => options.run?.(call.args) ?? { ok: true, stdout: FULL },
    ...options.ports,
  });
  if (options.live !== false) addLiveDaemon(ports, HOME, 555);
  let lookups = 0;
  const query = createDaemonQuery({
    ports,
    paths: PATHS,
    route: options.route ?? 'auto',
    timeoutMs: 2000,
    cacheTtlMs: options.cacheTtlMs ?? 1000,
    maxListBytes: 1 << 20,
    pm2Command: () => {
      lookups += 1;
      return PM2;
    },
  });
  return { ports, query, commandLookups: () => lookups };
}

describe('createDaemonQuery: no daemon, nothing started', () => {
  it.each(['auto', 'rpc', 'cli'] as const)(
    'route %s without a pid file answers noDaemon and touches neither socket nor CLI',
    async (route) => {
      const { ports, query, commandLookups } = setup({ route, live: false });
      const result = await query.list();
      expect(result).toMatchObject({ ok: false, problem: 'noDaemon' });
      expect(ports.daemon.calls).toHaveLength(0);
      expect(ports.runner.calls).toHaveLength(0);
      expect(commandLookups()).toBe(0);
      expect(await query.daemonPid()).toBeNull();
    },
  );

  it.each([
    ['a dead pid', '555', false],
    ['garbage', 'pid?', true],
    ['zero', '0', true],
    ['an empty file', '', true],
  ])('a pid file holding %s is no daemon', async (_label, text, alive) => {
    const { ports, query } = setup({ route: 'cli', live: false });
    ports.fs.files.set(PATHS.daemonPidFile, text);
    if (alive) ports.process.alive.add(555);
    expect(await query.list()).toMatchObject({ ok: false, problem: 'noDaemon' });
    expect(ports.daemon.calls).toHaveLength(0);
    expect(ports.runner.calls).toHaveLength(0);
  });

  it('requestRestart without a daemon sends nothing', async () => {
    const { ports, query } = setup({ live: false });
    expect(await query.requestRestart(0)).toMatchObject({ ok: false, problem: 'noDaemon' });
    expect(ports.daemon.calls).toHaveLength(0);
  });

  it('reads the daemon pid from pm2.pid', async () => {
    const { query } = setup();
    expect(await query.daemonPid()).toBe(555);
  });
});

describe('createDaemonQuery: routes', () => {
  it('rpc: one getMonitorData on the home socket, no command', async () => {
    const { ports, query } = setup({ route: 'rpc' });
    const result = await query.list();
    expect(result).toMatchObject({ ok: true, via: 'rpc', skipped: 0, at: ports.clock.now() });
    expect(result.ok && result.entries.map((e) => e.name)).toEqual([
      'fork-app',
      'cluster-app',
      'cluster-app',
      'wrapped-app',
      'eco-fork',
      'eco-cluster',
    ]);
    expect(ports.daemon.calls).toEqual([
      {
        socketPath: `${HOME}/rpc.sock`,
        method: 'getMonitorData',
        arg: {},
        options: { timeoutMs: 2000, maxReplyBytes: 1 << 20 },
      },
    ]);
    expect(ports.runner.calls).toHaveLength(0);
  });

  it.each([
    ['noDaemon', 'noDaemon'],
    ['accessDenied', 'accessDenied'],
    ['timeout', 'timeout'],
    ['protocol', 'protocol'],
    ['remoteError', 'protocol'],
    ['closed', 'protocol'],
  ] as const)('rpc: a %s failure is %s, with no CLI fallback', async (reason, problem) => {
    const { ports, query } = setup({
      route: 'rpc',
      daemon: { getMonitorData: fail(reason), ping: ok('pong') },
    });
    expect(await query.list()).toMatchObject({ ok: false, problem });
    expect(ports.runner.calls).toHaveLength(0);
  });

  it('rpc: a reply that is not a list is notAList', async () => {
    const { query } = setup({ route: 'rpc', daemon: { getMonitorData: ok({ garbage: true }) } });
    expect(await query.list()).toMatchObject({ ok: false, problem: 'notAList' });
  });

  it('auto: a garbage getMonitorData reply falls back to the CLI (after a ping)', async () => {
    const { ports, query } = setup({
      route: 'auto',
      daemon: { getMonitorData: ok('garbage'), ping: ok('pong') },
    });
    const result = await query.list();
    expect(result).toMatchObject({ ok: true, via: 'cli' });
    expect(result.ok && result.entries).toHaveLength(6);
    expect(ports.daemon.methods()).toEqual(['getMonitorData', 'ping']);
    expect(ports.runner.calls).toHaveLength(1);
  });

  it.each(['noDaemon', 'accessDenied'] as const)(
    'auto: an rpc %s does NOT fall back to the CLI (it would start a daemon)',
    async (reason) => {
      const { ports, query, commandLookups } = setup({
        route: 'auto',
        daemon: { getMonitorData: fail(reason), ping: ok('pong') },
      });
      expect(await query.list()).toMatchObject({ ok: false, problem: reason });
      expect(ports.daemon.methods()).toEqual(['getMonitorData']);
      expect(ports.runner.calls).toHaveLength(0);
      expect(commandLookups()).toBe(0);
    },
  );

  it('auto: rpc success never runs the CLI', async () => {
    const { ports, query } = setup({ route: 'auto' });
    expect(await query.list()).toMatchObject({ ok: true, via: 'rpc' });
    expect(ports.runner.calls).toHaveLength(0);
  });

  it('cli: pings first, then runs `jlist -s` with PM2_HOME and PM2_SILENT', async () => {
    const { ports, query } = setup({ route: 'cli' });
    const result = await query.list();
    expect(result).toMatchObject({ ok: true, via: 'cli', at: ports.clock.now() });
    expect(ports.daemon.methods()).toEqual(['ping']);
    expect(ports.runner.calls).toHaveLength(1);
    const call = ports.runner.calls[0];
    expect(call?.file).toBe('/opt/pm2/bin/pm2');
    expect(call?.args).toEqual(['jlist', '-s']);
    expect(call?.env).toMatchObject({ PM2_HOME: HOME, PM2_SILENT: 'true', PATH: '/usr/bin' });
    expect(call?.options).toMatchObject({ timeoutMs: 2000, maxBufferBytes: 1 << 20 });
  });

  it('cli: the command prefix comes before `jlist -s`', async () => {
    const { ports } = setup();
    const query = createDaemonQuery({
      ports,
      paths: PATHS,
      route: 'cli',
      timeoutMs: 1,
      cacheTtlMs: 0,
      maxListBytes: 1024,
      pm2Command: () => ({ file: '/usr/bin/node', prefixArgs: ['/x/pm2/bin/pm2'], source: 'localInstall' }),
    });
    await query.list();
    expect(ports.runner.calls[0]?.args).toEqual(['/x/pm2/bin/pm2', 'jlist', '-s']);
  });

  it('cli: PM2_HOME overrides an inherited one', async () => {
    const { ports, query } = setup({
      route: 'cli',
      ports: { env: { PM2_HOME: '/elsewhere', PM2_SILENT: 'false' } },
    });
    await query.list();
    expect(ports.runner.calls[0]?.env).toMatchObject({ PM2_HOME: HOME, PM2_SILENT: 'true' });
  });

  it('cli: an inherited OVER_HOME (which pm2 prefers over PM2_HOME) cannot point the CLI at another home', async () => {
    // pm2's constants.js: require('./paths.js')(process.env.OVER_HOME). A CLI aimed at a home whose
    // daemon was never pinged would spawn a daemon there.
    const { ports, query } = setup({ route: 'cli', ports: { env: { OVER_HOME: '/other/home' } } });
    await query.list();
    const env = ports.runner.calls[0]?.env ?? {};
    expect(env.OVER_HOME === undefined || env.OVER_HOME === HOME).toBe(true);
    expect(env.PM2_HOME).toBe(HOME);
  });

  it.each(['noDaemon', 'accessDenied', 'timeout'] as const)(
    'cli: a failed ping (%s) runs no command',
    async (reason) => {
      const { ports, query, commandLookups } = setup({ route: 'cli', daemon: { ping: fail(reason) } });
      expect(await query.list()).toMatchObject({ ok: false, problem: reason });
      expect(ports.runner.calls).toHaveLength(0);
      expect(commandLookups()).toBe(0);
    },
  );

  it.each([
    [{ ok: false, reason: 'notFound', message: 'ENOENT' }, 'cliNotFound'],
    [{ ok: false, reason: 'timeout', message: 'slow' }, 'timeout'],
    [{ ok: false, reason: 'exitCode', exitCode: 1, message: 'exit 1' }, 'cliFailed'],
    [{ ok: false, reason: 'failed', message: 'boom' }, 'cliFailed'],
    [{ ok: false, reason: 'outputTooLarge', message: 'big' }, 'outputTooLarge'],
    [{ ok: true, stdout: '' }, 'empty'],
    [{ ok: true, stdout: jlistFixture('malformed-truncated.txt') }, 'invalidJson'],
    [{ ok: true, stdout: '{"error":"x"}' }, 'notAList'],
  ] as const)('cli: %j maps to %s', async (result, problem) => {
    const { query } = setup({ route: 'cli', run: () => result });
    expect(await query.list()).toMatchObject({ ok: false, problem });
  });

  it('cli: banner-prefixed output is read', async () => {
    const { query } = setup({
      route: 'cli',
      run: () => ({ ok: true, stdout: jlistFixture('banner-prefixed.txt') }),
    });
    expect(await query.list()).toMatchObject({ ok: true, via: 'cli' });
  });

  it('a throwing port becomes a protocol problem, not a rejection', async () => {
    const { query } = setup({
      route: 'rpc',
      daemon: {
        getMonitorData: () => {
          throw new Error('boom');
        },
      },
    });
    expect(await query.list()).toMatchObject({ ok: false, problem: 'protocol' });
  });

  it('requestRestart writes restartProcessId without waiting for the reply', async () => {
    const { ports, query } = setup({ daemon: { restartProcessId: ok(null) } });
    expect(await query.requestRestart(3)).toEqual({ ok: true });
    expect(ports.daemon.calls).toEqual([
      {
        socketPath: `${HOME}/rpc.sock`,
        method: 'restartProcessId',
        arg: { id: 3 },
        options: { timeoutMs: 2000, waitForReply: false },
      },
    ]);
  });
});

describe('createDaemonQuery: sharing and cache', () => {
  it('100 concurrent list() calls make one query', async () => {
    const { ports, query } = setup({ route: 'rpc' });
    const results = await Promise.all(Array.from({ length: 100 }, () => query.list()));
    expect(ports.daemon.calls).toHaveLength(1);
    expect(ports.fs.reads.filter((path) => path === PATHS.daemonPidFile)).toHaveLength(1);
    for (const result of results) expect(result).toBe(results[0]);
  });

  it('100 concurrent CLI list() calls run one command', async () => {
    const { ports, query } = setup({ route: 'cli' });
    await Promise.all(Array.from({ length: 100 }, () => query.list()));
    expect(ports.runner.calls).toHaveLength(1);
    expect(ports.daemon.methods()).toEqual(['ping']);
  });

  it('reuses the answer within cacheTtlMs and refreshes it after', async () => {
    const { ports, query } = setup({ route: 'rpc', cacheTtlMs: 1000 });
    const first = await query.list();
    ports.clock.advance(999);
    expect(await query.list()).toBe(first);
    expect(ports.daemon.calls).toHaveLength(1);
    ports.clock.advance(1);
    const second = await query.list();
    expect(second).not.toBe(first);
    expect(second).toMatchObject({ ok: true, at: first.ok ? first.at + 1000 : -1 });
    expect(ports.daemon.calls).toHaveLength(2);
  });

  it('fresh: true bypasses the cache', async () => {
    const { ports, query } = setup({ route: 'rpc' });
    await query.list();
    await query.list({ fresh: true });
    expect(ports.daemon.calls).toHaveLength(2);
    await query.list();
    expect(ports.daemon.calls).toHaveLength(2);
  });

  it('caches failures too, for the same time', async () => {
    const { ports, query } = setup({ route: 'cli', live: false });
    await query.list();
    addLiveDaemon(ports, HOME, 555);
    expect(await query.list()).toMatchObject({ ok: false, problem: 'noDaemon' });
    ports.clock.advance(1000);
    expect(await query.list()).toMatchObject({ ok: true });
  });

  it('cacheTtlMs 0 queries every time', async () => {
    const { ports, query } = setup({ route: 'rpc', cacheTtlMs: 0 });
    await query.list();
    await query.list();
    expect(ports.daemon.calls).toHaveLength(2);
  });
});
