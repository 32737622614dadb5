/**
 * What differs between pm2 releases and is not covered by the per-release suites: a PM2_HOME with a
 * space (the 5.4.3 and 6.0.14 CLIs hang there, so those releases skip it), and a daemon of a release
 * outside the supported range, which pm2-self reports instead of reading its list.
 */
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity, Pm2Info } from '../../src/index.js';
import { SUPPORTED_PM2 } from '../../src/index.js';
import { PM2_RELEASES } from '../helpers/pm2-releases.js';
import { createPm2Sandbox, pm2WithEnv, waitForJsonFile, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';

const APPS = resolve(import.meta.dirname, '../apps/identity');

interface ProbeReport {
  pid: number;
  identity: Identity;
  info: Pm2Info | null;
  liveInfo: Pm2Info | null;
  status: string | null;
  routes?: Record<'rpc' | 'cli' | 'auto', { identity: Identity; info: Pm2Info | null }>;
  error?: { message: string };
}

describe.each(PM2_RELEASES)('a PM2_HOME with a space in it ($label)', (release) => {
  let sandbox: Pm2Sandbox | undefined;

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it.skipIf(release.hangsWithSpaceInHome)('a fork app finds its identity and its live status', async () => {
    sandbox = await createPm2Sandbox('pm2-self spaced home-', { bin: release.bin });
    expect(sandbox.home).toContain(' ');
    const report = join(sandbox.home, 'report.json');
    await pm2WithEnv(sandbox, ['start', join(APPS, 'probe.cjs'), '--name', 'spaced'], {
      REPORT_FILE: report,
    });
    const probe = (await waitForJsonFile<ProbeReport>(report)).value;
    const [entry] = await sandbox.jlist();
    expect(probe.error).toBeUndefined();
    expect(probe.identity).toMatchObject({
      managed: true,
      name: 'spaced',
      relation: 'tracked',
      trackedPid: entry?.pid,
      pm2Home: sandbox.home,
    });
    expect(probe.liveInfo).toMatchObject({ status: 'online', daemon: { ok: true, via: 'rpc' } });
  });
});

describe('a daemon of a pm2 release outside the supported range', () => {
  let home = '';
  let daemon: ReturnType<typeof execa> | undefined;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pm2-self-unsupported-'));
    await mkdir(join(home, 'reports'));
    daemon = execa(process.execPath, [join(APPS, 'unsupported-daemon.cjs')], {
      env: { PM2_HOME: home, DAEMON_VERSION: '4.5.6', CALLS_FILE: join(home, 'calls.txt') },
      stdin: 'pipe',
      timeout: 60_000,
    });
    await new Promise<void>((resolve, reject) => {
      daemon?.stdout?.once('data', () => resolve());
      daemon?.catch(reject);
    });
  });

  afterAll(async () => {
    daemon?.stdin?.end();
    await daemon?.catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  });

  it('is reported as unsupportedVersion through every route, and only its version is asked', async () => {
    const file = join(home, 'reports', 'outside.json');
    const child = await execa(process.execPath, [join(APPS, 'probe.cjs'), file], {
      env: { PATH: process.env.PATH, HOME: home, PM2_HOME: home, PROBE_EXIT: '1', PROBE_ROUTES: '1' },
      extendEnv: false,
      timeout: 20_000,
    });
    expect(child.exitCode).toBe(0);
    const report = JSON.parse(await readFile(file, 'utf8')) as ProbeReport;
    expect(report.error).toBeUndefined();
    const unsupported = {
      managed: false,
      reason: 'unsupportedVersion',
      message: expect.stringContaining(
        `pm2 daemon 4.5.6 is not supported; supported: pm2 ${SUPPORTED_PM2.range}`,
      ),
    };
    expect(report.identity).toEqual(unsupported);
    expect(report.info).toBeNull();
    for (const route of ['rpc', 'cli', 'auto'] as const) {
      expect(report.routes?.[route].identity, route).toEqual(unsupported);
      expect(report.routes?.[route].info, route).toBeNull();
    }
    // The list of a daemon pm2-self does not support is never read, and no CLI asked it anything.
    const calls = (await readFile(join(home, 'calls.txt'), 'utf8')).trim().split('\n');
    expect(new Set(calls)).toEqual(new Set(['getVersion']));
  });
});
