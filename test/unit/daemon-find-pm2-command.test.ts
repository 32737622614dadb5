import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPm2Command } from '../../src/daemon/find-pm2-bin.js';

const NODE = '/usr/local/bin/node';
// This repository has pm2 installed as a devDependency.
const REPO = resolve(import.meta.dirname, '..', '..');
// A folder from which no pm2 package resolves (it need not exist).
const NOWHERE = '/nonexistent/pm2-self-test-cwd';

describe('findPm2Command', () => {
  it('1. the explicit option wins over everything', () => {
    expect(
      findPm2Command({
        explicit: '/opt/pm2',
        env: { PM2_BIN: '/env/pm2' },
        binEnvVar: 'PM2_BIN',
        cwd: REPO,
        execPath: NODE,
      }),
    ).toEqual({ file: '/opt/pm2', prefixArgs: [], source: 'option' });
  });

  it('2. then the env var', () => {
    expect(
      findPm2Command({ env: { PM2_BIN: '/env/pm2' }, binEnvVar: 'PM2_BIN', cwd: REPO, execPath: NODE }),
    ).toEqual({ file: '/env/pm2', prefixArgs: [], source: 'envVar' });
    expect(
      findPm2Command({
        env: { MY_PM2: '/mine/pm2', PM2_BIN: '/env/pm2' },
        binEnvVar: 'MY_PM2',
        cwd: REPO,
        execPath: NODE,
      }),
    ).toMatchObject({ file: '/mine/pm2', source: 'envVar' });
  });

  it('an empty option or env var is skipped', () => {
    expect(
      findPm2Command({
        explicit: '',
        env: { PM2_BIN: '' },
        binEnvVar: 'PM2_BIN',
        cwd: NOWHERE,
        execPath: NODE,
      }),
    ).toMatchObject({ source: 'path' });
  });

  it('3. then the pm2 package resolvable from cwd, run with this node', () => {
    expect(findPm2Command({ env: {}, binEnvVar: 'PM2_BIN', cwd: REPO, execPath: NODE })).toEqual({
      file: NODE,
      prefixArgs: [join(REPO, 'node_modules', 'pm2', 'bin', 'pm2')],
      source: 'localInstall',
    });
  });

  it('4. then `pm2` on PATH', () => {
    expect(findPm2Command({ env: {}, binEnvVar: 'PM2_BIN', cwd: NOWHERE, execPath: NODE })).toEqual({
      file: 'pm2',
      prefixArgs: [],
      source: 'path',
    });
  });

  it.each(['/x/pm2.js', '/x/pm2.cjs', '/x/pm2.mjs'])('a JavaScript CLI (%s) runs with node', (file) => {
    expect(
      findPm2Command({ explicit: file, env: {}, binEnvVar: 'PM2_BIN', cwd: NOWHERE, execPath: NODE }),
    ).toEqual({ file: NODE, prefixArgs: [file], source: 'option' });
    expect(
      findPm2Command({ env: { PM2_BIN: file }, binEnvVar: 'PM2_BIN', cwd: NOWHERE, execPath: NODE }),
    ).toEqual({ file: NODE, prefixArgs: [file], source: 'envVar' });
  });
});
