import { describe, expect, it } from 'vitest';
import { readPm2Env, type Pm2EnvIdentity } from '../../src/pm2/pm2-env.js';
import { ENV_FIXTURES, envFixture, FIXTURE_SECRET } from '../helpers/fake-ports.js';
import { PM2_DEFAULT_SETTINGS } from '../helpers/expected-settings.js';

const HOME = '/tmp/pm2-self-fixtures-QiHm0b/.pm2';
const { stopExitCodes: _stop, ...DEFAULT_SETTINGS } = PM2_DEFAULT_SETTINGS;
const ECO_SETTINGS = {
  ...DEFAULT_SETTINGS,
  autorestart: false,
  minUptimeMs: 2000,
  maxRestarts: 5,
  killTimeoutMs: 3000,
  restartDelayMs: 100,
};

function identityOf(env: Record<string, string | undefined>): Pm2EnvIdentity {
  const reading = readPm2Env(env);
  if (!reading.ok) throw new Error(`expected pm2 variables, got ${reading.problem}`);
  return reading.identity;
}

describe('readPm2Env over recorded env snapshots', () => {
  it('reads the fork-mode app', () => {
    expect(identityOf(envFixture('fork').env)).toEqual({
      name: 'fork-app',
      pmId: 0,
      namespace: 'default',
      execMode: 'fork',
      instance: 0,
      pidFilePath: `${HOME}/pids/fork-app-0.pid`,
      pm2Home: HOME,
      startedAt: 1795592714362,
      restarts: 0,
      unstableRestarts: 0,
      // Fork mode drops array settings from the env: stop_exit_codes cannot be known from it.
      settings: { ...DEFAULT_SETTINGS, stopExitCodes: 'unknown' },
    });
  });

  it.each([
    ['cluster-0', 1, 0],
    ['cluster-1', 2, 1],
  ] as const)('reads cluster worker %s', (fixture, pmId, instance) => {
    expect(identityOf(envFixture(fixture).env)).toMatchObject({
      name: 'cluster-app',
      pmId,
      execMode: 'cluster',
      instance,
      pidFilePath: `${HOME}/pids/cluster-app-${pmId}.pid`,
      settings: { ...DEFAULT_SETTINGS, stopExitCodes: [] },
    });
  });

  it('reads the ecosystem fork app: scalar settings, stop_exit_codes unknown', () => {
    expect(identityOf(envFixture('eco-fork').env)).toMatchObject({
      name: 'eco-fork',
      pmId: 4,
      execMode: 'fork',
      settings: { ...ECO_SETTINGS, stopExitCodes: 'unknown' },
    });
  });

  it('reads the ecosystem cluster app: every setting, stop_exit_codes from "0,7"', () => {
    expect(identityOf(envFixture('eco-cluster').env)).toMatchObject({
      name: 'eco-cluster',
      pmId: 5,
      execMode: 'cluster',
      settings: { ...ECO_SETTINGS, stopExitCodes: [0, 7] },
    });
  });

  it('reads the same identity in inherited envs (the pid file decides the relation, not this)', () => {
    const fork = identityOf(envFixture('fork').env);
    expect(identityOf(envFixture('direct-child').env)).toEqual(fork);
    expect(identityOf(envFixture('grandchild').env)).toEqual(fork);
    expect(identityOf(envFixture('wrapped-child').env)).toMatchObject({
      name: 'wrapped-app',
      pmId: 3,
      execMode: 'fork',
      instance: 0,
    });
  });

  it.each(ENV_FIXTURES)('keeps no environment value from %s beyond the identity it reads', (fixture) => {
    const json = JSON.stringify(identityOf(envFixture(fixture).env));
    expect(json).not.toContain(FIXTURE_SECRET);
    expect(json).not.toContain('launching');
    expect(json).not.toContain('unique_id');
  });
});

describe('readPm2Env with invalid values', () => {
  const base = envFixture('fork').env;
  const withEnv = (patch: Record<string, string | undefined>) => readPm2Env({ ...base, ...patch });

  it('answers absent without pm_id (even with a name)', () => {
    expect(readPm2Env({})).toEqual({ ok: false, problem: 'absent' });
    expect(withEnv({ pm_id: undefined })).toEqual({ ok: false, problem: 'absent' });
  });

  it.each(['', 'abc', '-1', '1.5', '0x1', '1e3', '0,1', '[object Object]', '99999999999999999999'])(
    'answers invalidPmId for pm_id %j',
    (pmId) => {
      expect(withEnv({ pm_id: pmId })).toEqual({ ok: false, problem: 'invalidPmId' });
    },
  );

  it.each([undefined, '', 'a\nb', 'a\u0000', '\u007f', 'x'.repeat(257)])(
    'answers invalidName for name %j',
    (name) => {
      expect(withEnv({ name })).toEqual({ ok: false, problem: 'invalidName' });
    },
  );

  it('accepts unicode names and trims nothing', () => {
    expect(identityOf({ ...base, name: ' 名前-🚀 ' }).name).toBe(' 名前-🚀 ');
  });

  it('turns unreadable optional values into null', () => {
    const identity = identityOf({
      ...base,
      NODE_APP_INSTANCE: '0,1',
      namespace: '',
      exec_mode: 'weird',
      pm_uptime: 'soon',
      restart_time: '-2',
      unstable_restarts: '1.5',
      PM2_HOME: 'a\u0001b',
      pm_pid_path: '',
    });
    expect(identity).toMatchObject({
      instance: null,
      namespace: null,
      execMode: null,
      startedAt: null,
      restarts: null,
      unstableRestarts: null,
      pm2Home: null,
      pidFilePath: null,
    });
  });

  it('reads the instance from a custom instance_var, falling back to NODE_APP_INSTANCE', () => {
    expect(identityOf({ ...base, instance_var: 'WORKER_ID', WORKER_ID: '3' }).instance).toBe(3);
    expect(identityOf({ ...base, instance_var: '', NODE_APP_INSTANCE: '2' }).instance).toBe(2);
    expect(identityOf({ ...base, instance_var: 'constructor' }).instance).toBeNull();
  });

  it('turns garbage settings into unknown, never into a default', () => {
    const identity = identityOf({
      ...base,
      exec_mode: 'cluster_mode',
      autorestart: 'yes',
      stop_exit_codes: '[object Object]',
      min_uptime: '2x',
      max_restarts: '5.5',
      kill_timeout: '-1',
      restart_delay: 'later',
      exp_backoff_restart_delay: '1,2',
      shutdown_with_message: '1',
      wait_ready: 'TRUE',
    });
    expect(identity.settings).toEqual({
      autorestart: 'unknown',
      stopExitCodes: 'unknown',
      minUptimeMs: 'unknown',
      maxRestarts: 'unknown',
      killTimeoutMs: 'unknown',
      restartDelayMs: 'unknown',
      expBackoffRestartDelayMs: 'unknown',
      shutdownWithMessage: 'unknown',
      waitReady: 'unknown',
    });
  });

  it('reads pm2 duration forms and scalar exit codes', () => {
    const identity = identityOf({
      ...base,
      min_uptime: '2s',
      kill_timeout: '1500ms',
      restart_delay: '1m',
      exp_backoff_restart_delay: '100',
      stop_exit_codes: '3',
      wait_ready: 'true',
    });
    expect(identity.settings).toMatchObject({
      minUptimeMs: 2000,
      killTimeoutMs: 1500,
      restartDelayMs: 60_000,
      expBackoffRestartDelayMs: 100,
      stopExitCodes: [3],
      waitReady: true,
    });
  });

  it('never throws on odd environments', () => {
    const odd = [
      { pm_id: '0' },
      { pm_id: '0', name: 'a', instance_var: '__proto__' },
      { pm_id: '0', name: 'a', instance_var: 'toString' },
      Object.create(null) as Record<string, string>,
    ];
    for (const env of odd) expect(() => readPm2Env(env)).not.toThrow();
  });
});
