/**
 * The CLI route (`pm2 jlist -s`) against fake pm2 binaries, from inside a real pm2 app whose own
 * pm2 variables were removed (so its identity can only come from the daemon's list), and the cost
 * of getInfo() with and without a daemon query, through each route.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/index.js';
import {
  PM2_BIN,
  createPm2Sandbox,
  isProcessAlive,
  pm2WithEnv,
  waitForJsonFile,
  type JlistEntry,
  type Pm2Sandbox,
} from '../helpers/pm2-sandbox.js';

const APPS = resolve(import.meta.dirname, '../apps/identity');

type CaseLabel = 'banner' | 'hang' | 'fail' | 'missing' | 'noJson' | 'badJson';
const CASES: { label: CaseLabel; bin: string; queryTimeoutMs: number }[] = [
  { label: 'banner', bin: join(APPS, 'fake-pm2-banner'), queryTimeoutMs: 15_000 },
  { label: 'hang', bin: join(APPS, 'fake-pm2-hang'), queryTimeoutMs: 500 },
  { label: 'fail', bin: join(APPS, 'fake-pm2-fail'), queryTimeoutMs: 15_000 },
  { label: 'missing', bin: join(APPS, 'no-such-dir', 'pm2'), queryTimeoutMs: 15_000 },
  { label: 'noJson', bin: join(APPS, 'fake-pm2-nojson'), queryTimeoutMs: 15_000 },
  { label: 'badJson', bin: join(APPS, 'fake-pm2-badjson'), queryTimeoutMs: 15_000 },
];

interface CaseResult {
  identity: Identity;
  name: string | null;
  elapsedMs: number;
  hungPid?: number | null;
  hungAliveAfter?: boolean | null;
}

interface HostReport {
  pid: number;
  cases: Record<CaseLabel, CaseResult>;
  afterwards: { identity: Identity; name: string | null; status: string | null };
  error?: { message: string };
}

interface Timing {
  calls: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
  failures: number;
  firstFailure: string | null;
}

interface BenchReport {
  pid: number;
  rpc: { firstCallMs: number; firstRelation: string; liveVia: unknown; getInfo: Timing; getInfoLive: Timing };
  cli: { firstCallMs: number; firstRelation: string; liveVia: unknown; getInfo: Timing; getInfoLive: Timing };
  error?: { message: string };
}

describe('the CLI route against fake pm2 binaries', () => {
  let sandbox: Pm2Sandbox | undefined;
  let dir = '';
  let host: HostReport | undefined;
  let hostEntry: JlistEntry | undefined;
  let daemonPid: number | null = null;

  const unmanaged = (reason: string) => ({ managed: false, reason, message: expect.any(String) });

  beforeAll(async () => {
    for (const { bin } of CASES) if (!bin.includes('no-such-dir')) await chmod(bin, 0o755);
    sandbox = await createPm2Sandbox('pm2-self-cli-');
    dir = join(sandbox.home, 'reports');
    await mkdir(dir);
    await sandbox.pm2(['ping']);
    daemonPid = await sandbox.daemonPid();
    await pm2WithEnv(sandbox, ['start', join(APPS, 'cli-host.cjs'), '--name', 'cli-host'], {
      REPORT_FILE: join(dir, 'cli-host.json'),
      FAKE_CASES: JSON.stringify(CASES),
      FAKE_PID_FILE: join(dir, 'hung.pid'),
      NODE_BIN: process.execPath,
      REAL_PM2_BIN: PM2_BIN,
    });
    host = (await waitForJsonFile<HostReport>(join(dir, 'cli-host.json'), 30_000)).value;
    hostEntry = (await sandbox.jlist()).find((p) => p.name === 'cli-host');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('runs in a host found through the daemon list, not through its (removed) pm2 variables', () => {
    expect(host?.error).toBeUndefined();
    expect(hostEntry?.pid).toBe(host?.pid);
  });

  it('a banner before the JSON: the identity is still found', () => {
    const result = host?.cases.banner;
    expect(result?.identity).toMatchObject({
      managed: true,
      name: 'cli-host',
      pmId: hostEntry?.pm_id,
      relation: 'tracked',
      trackedPid: host?.pid,
      source: 'daemon',
      settingsOrigin: 'daemon',
    });
    expect(result?.name).toBe('cli-host');
  });

  it('a CLI that hangs: timeout, and its process is gone afterwards', async () => {
    const result = host?.cases.hang;
    expect(result?.identity).toEqual(unmanaged('timeout'));
    expect(result?.name).toBeNull();
    expect(result?.hungPid).toEqual(expect.any(Number));
    expect(result?.hungAliveAfter).toBe(false);
    expect(await isProcessAlive(result?.hungPid as number)).toBe(false);
  });

  it('a CLI that exits non-zero: cliFailed', () => {
    expect(host?.cases.fail.identity).toEqual(unmanaged('cliFailed'));
  });

  it('a CLI path that does not exist: cliNotFound', () => {
    expect(host?.cases.missing.identity).toEqual(unmanaged('cliNotFound'));
  });

  it('a CLI that prints garbage: noJson, or invalidJson for a broken list', () => {
    expect(host?.cases.noJson.identity).toEqual(unmanaged('noJson'));
    expect(host?.cases.badJson.identity).toEqual(unmanaged('invalidJson'));
  });

  it('the host survives every failure and still answers', async () => {
    expect(host?.afterwards).toEqual({
      identity: expect.objectContaining({
        managed: true,
        name: 'cli-host',
        pmId: hostEntry?.pm_id,
        relation: 'tracked',
        source: 'daemon',
      }),
      name: 'cli-host',
      status: 'online',
    });
    expect(await isProcessAlive(host?.pid as number)).toBe(true);
    const now = (await sandbox?.jlist())?.find((p) => p.name === 'cli-host');
    expect(now).toMatchObject({ pid: host?.pid, pm2_env: { status: 'online', restart_time: 0 } });
    // Still the same daemon: no CLI call replaced it.
    expect(await sandbox?.daemonPid()).toBe(daemonPid);
  });

  it(
    'measures getInfo() with and without a daemon query, through rpc and cli (reported, not asserted)',
    { timeout: 240_000 },
    async () => {
      const box = sandbox as Pm2Sandbox;
      await pm2WithEnv(box, ['start', join(APPS, 'bench.cjs'), '--name', 'bench'], {
        REPORT_FILE: join(dir, 'bench.json'),
        BENCH_CALLS: '1000',
        BENCH_CLI_LIVE_CALLS: '40',
      });
      const bench = (await waitForJsonFile<BenchReport>(join(dir, 'bench.json'), 200_000)).value;
      expect(bench.error).toBeUndefined();
      const line = (label: string, t: Timing) =>
        `${label.padEnd(34)} n=${String(t.calls).padStart(4)}  median ${t.medianMs.toFixed(3)} ms  p90 ${t.p90Ms.toFixed(3)} ms  min ${t.minMs.toFixed(3)} ms  max ${t.maxMs.toFixed(3)} ms`;
      console.log(
        [
          `getInfo() cost inside a managed fork app (cacheTtlMs 0, ${(await box.jlist()).length} apps in the list):`,
          `  first call (identity resolution): rpc instance ${bench.rpc.firstCallMs.toFixed(3)} ms, cli instance ${bench.cli.firstCallMs.toFixed(3)} ms`,
          line('  rpc getInfo()', bench.rpc.getInfo),
          line('  rpc getInfo({ live: true })', bench.rpc.getInfoLive),
          line('  cli getInfo()', bench.cli.getInfo),
          line('  cli getInfo({ live: true })', bench.cli.getInfoLive),
        ].join('\n'),
      );
      for (const route of ['rpc', 'cli'] as const) {
        expect(bench[route].firstRelation).toBe('tracked');
        expect(bench[route].liveVia).toMatchObject({ ok: true, via: route });
        expect(bench[route].getInfo.failures).toBe(0);
        expect(bench[route].getInfoLive.failures).toBe(0);
      }
    },
  );
});
