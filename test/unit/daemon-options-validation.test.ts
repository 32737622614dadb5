import { describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import type { Pm2SelfOptions } from '../../src/options.js';
import { createFakePorts } from '../helpers/fake-ports.js';

const cases: Array<[string, Record<string, unknown>, string]> = [
  ['empty name', { name: '' }, 'Expected `name` to be a non-empty string, got ""'],
  ['numeric name', { name: 5 }, 'Expected `name` to be a non-empty string, got 5'],
  ['empty envVar', { envVar: '' }, 'Expected `envVar` to be a non-empty string, got ""'],
  ['null pm2Bin', { pm2Bin: null }, 'Expected `pm2Bin` to be a non-empty string, got null'],
  [
    'object binEnvVar',
    { binEnvVar: {} },
    'Expected `binEnvVar` to be a non-empty string, got an empty object',
  ],
  ['unknown route', { route: 'ipc' }, "Expected `route` to be 'auto', 'rpc' or 'cli', got \"ipc\""],
  [
    'negative queryTimeoutMs',
    { queryTimeoutMs: -1 },
    'Expected `queryTimeoutMs` to be a number of milliseconds from 100 to 600000, got -1',
  ],
  [
    'NaN queryTimeoutMs',
    { queryTimeoutMs: Number.NaN },
    'Expected `queryTimeoutMs` to be a number of milliseconds from 100 to 600000, got NaN',
  ],
  [
    'string cacheTtlMs',
    { cacheTtlMs: '1000' },
    'Expected `cacheTtlMs` to be a number of milliseconds from 0 to 2147483647, got "1000"',
  ],
  [
    'infinite cacheTtlMs',
    { cacheTtlMs: Infinity },
    'Expected `cacheTtlMs` to be a number of milliseconds from 0 to 2147483647, got Infinity',
  ],
  [
    'too long cacheTtlMs',
    { cacheTtlMs: 2 ** 31 },
    'Expected `cacheTtlMs` to be a number of milliseconds from 0 to 2147483647, got 2147483648',
  ],
  [
    'small maxListBytes',
    { maxListBytes: 1000 },
    'Expected `maxListBytes` to be an integer of at least 1024, got 1000',
  ],
  [
    'fractional maxListBytes',
    { maxListBytes: 2048.5 },
    'Expected `maxListBytes` to be an integer of at least 1024, got 2048.5',
  ],
];

describe('createPm2Self options validation', () => {
  it.each(cases)('%s throws a TypeError with the fixed phrasing', (_label, options, message) => {
    const ports = createFakePorts();
    const create = () => createPm2Self({ ...(options as Pm2SelfOptions), ports });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
    expect(ports.fs.reads).toHaveLength(0);
  });

  it('accepts valid options and the boundaries', () => {
    const ports = createFakePorts();
    expect(() =>
      createPm2Self({
        ports,
        name: 'a',
        envVar: 'X',
        pm2Bin: '/x',
        binEnvVar: 'Y',
        route: 'cli',
        queryTimeoutMs: 100,
        cacheTtlMs: 2_147_483_647,
        maxListBytes: 1024,
      }),
    ).not.toThrow();
    expect(() => createPm2Self({ ports, route: 'rpc' })).not.toThrow();
    expect(() => createPm2Self({ ports, route: 'auto' })).not.toThrow();
    expect(() => createPm2Self({})).not.toThrow();
  });

  it('the route option selects the route', async () => {
    const ports = createFakePorts({
      env: { PM2_HOME: '/h' },
      daemon: { ping: { ok: true, value: 'pong' } },
      run: () => ({ ok: true, stdout: '[]' }),
    });
    ports.fs.files.set('/h/pm2.pid', '77');
    ports.process.alive.add(77);
    const self = createPm2Self({ ports, route: 'cli', pm2Bin: '/opt/pm2' });
    expect(await self.getIdentity()).toMatchObject({ managed: false, reason: 'notInList' });
    expect(ports.daemon.methods()).toEqual(['ping']);
    expect(ports.runner.calls.map((call) => [call.file, ...call.args])).toEqual([
      ['/opt/pm2', 'jlist', '-s'],
    ]);
  });
});
