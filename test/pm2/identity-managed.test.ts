/**
 * Identity of processes a real pm2 daemon runs: fork, cluster, a bash wrapper, a grandchild that
 * inherited pm2's variables and one that did not, ESM and CJS builds, and no secret leaking out.
 * Every app runs the built package (dist) and reports what it learned to a JSON file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity, Pm2Info } from '../../src/index.js';
import {
  createPm2Sandbox,
  isProcessAlive,
  pm2WithEnv,
  waitForJsonFile,
  type JlistEntry,
  type Pm2Sandbox,
} from '../helpers/pm2-sandbox.js';
import { PM2_RELEASES } from '../helpers/pm2-releases.js';

const APPS = resolve(import.meta.dirname, '../apps/identity');

interface ProbeReport {
  module: 'cjs' | 'esm' | null;
  pid: number;
  ppid: number;
  secretInEnv: boolean;
  name: string | null;
  info: Pm2Info | null;
  infoJson: string;
  liveInfo: Pm2Info | null;
  liveInfoJson: string;
  status: string | null;
  identity: Identity;
  otherIdentity?: Identity;
  sharedDefaultInstance?: boolean;
  restart?: unknown;
  pendingAfterRestart?: boolean;
  error?: { message: string; stack: string | null };
}

interface SpawnerReport {
  pid: number;
  descendantPid: number;
  strippedPid: number;
}

/** The identity fields that do not depend on which app a process is. */
function appIndependent(identity: Identity) {
  if (!identity.managed) return identity;
  const { name: _name, pmId: _pmId, trackedPid: _trackedPid, startedAt: _startedAt, ...rest } = identity;
  return rest;
}

describe.each(PM2_RELEASES)('identity under a real pm2 daemon ($label)', (release) => {
  const secret = `sk-live-DO-NOT-LEAK-${randomBytes(12).toString('hex')}`;
  let sandbox: Pm2Sandbox | undefined;
  let list: JlistEntry[] = [];
  const reports = new Map<string, { text: string; value: ProbeReport }>();
  let spawner: SpawnerReport | undefined;

  const entry = (name: string): JlistEntry => {
    const found = list.filter((p) => p.name === name);
    expect(found).toHaveLength(1);
    return found[0] as JlistEntry;
  };
  const report = (key: string): ProbeReport => {
    const found = reports.get(key);
    if (!found) throw new Error(`no report ${key}`);
    expect(found.value.error).toBeUndefined();
    return found.value;
  };

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-identity-', { bin: release.bin });
    const box = sandbox;
    const dir = join(box.home, 'reports');
    await mkdir(dir);
    const env = (file: string) => ({
      SECRET_TOKEN: secret,
      NODE_BIN: process.execPath,
      REPORT_FILE: join(dir, file),
    });
    // Start the daemon first, so the parallel `pm2 start` below do not race to spawn one each.
    await box.pm2(['ping']);
    await Promise.all([
      pm2WithEnv(box, ['start', join(APPS, 'probe.cjs'), '--name', 'fork-cjs'], env('fork-cjs.json')),
      pm2WithEnv(box, ['start', join(APPS, 'probe.mjs'), '--name', 'fork-esm'], env('fork-esm.json')),
      pm2WithEnv(
        box,
        ['start', join(APPS, 'probe.cjs'), '--name', 'cluster', '-i', '2'],
        env('cluster-%pid%.json'),
      ),
      pm2WithEnv(
        box,
        ['start', join(APPS, 'start.sh'), '--interpreter', 'bash', '--name', 'wrapped'],
        env('wrapped.json'),
      ),
      pm2WithEnv(box, ['start', join(APPS, 'spawner.cjs'), '--name', 'spawner'], {
        ...env('spawner.json'),
        DESCENDANT_REPORT: join(dir, 'descendant.json'),
        STRIPPED_REPORT: join(dir, 'stripped.json'),
      }),
    ]);
    const started = await box.jlist();
    const clusterPids = started.filter((p) => p.name === 'cluster').map((p) => p.pid);
    const keys = [
      'fork-cjs',
      'fork-esm',
      'wrapped',
      'descendant',
      'stripped',
      ...clusterPids.map((pid) => `cluster-${pid}`),
    ];
    const [spawnerReport, ...probeReports] = await Promise.all([
      waitForJsonFile<SpawnerReport>(join(dir, 'spawner.json')),
      ...keys.map((key) => waitForJsonFile<ProbeReport>(join(dir, `${key}.json`))),
    ]);
    spawner = spawnerReport?.value;
    keys.forEach((key, index) =>
      reports.set(key, probeReports[index] as { text: string; value: ProbeReport }),
    );
    list = await box.jlist();
  });

  afterAll(async () => {
    try {
      await sandbox?.dispose();
    } finally {
      // The spawner's children die with its process tree; make sure of it.
      for (const pid of [spawner?.descendantPid, spawner?.strippedPid]) {
        if (pid && (await isProcessAlive(pid))) process.kill(pid, 'SIGKILL');
      }
    }
  });

  it('starts every app once, online, without a restart', () => {
    expect(list.map((p) => p.name).sort()).toEqual([
      'cluster',
      'cluster',
      'fork-cjs',
      'fork-esm',
      'spawner',
      'wrapped',
    ]);
    for (const p of list) {
      expect(p.pm2_env.status).toBe('online');
      expect(p.pm2_env.restart_time).toBe(0);
      expect(p.pid).toBeGreaterThan(0);
    }
  });

  it('fork mode: the name, pm_id, pid and counters of the tracked process', () => {
    const app = entry('fork-cjs');
    const probe = report('fork-cjs');
    expect(probe.pid).toBe(app.pid);
    expect(probe.name).toBe('fork-cjs');
    expect(probe.info).toEqual({
      name: 'fork-cjs',
      pmId: app.pm_id,
      pid: app.pid,
      trackedPid: app.pid,
      relation: 'tracked',
      instance: 0,
      namespace: 'default',
      execMode: 'fork',
      status: null,
      restarts: 0,
      unstableRestarts: 0,
      uptimeMs: expect.any(Number),
      memoryBytes: expect.any(Number),
      cpuPercent: null,
      settings: expect.any(Object),
      sources: {
        name: 'pm2Env',
        identity: 'pm2Env',
        counters: 'pm2Env',
        metrics: 'process',
        settings: 'forkEnv',
        status: 'notAsked',
      },
      daemon: null,
    });
    expect(probe.identity).toMatchObject({
      managed: true,
      name: 'fork-cjs',
      pmId: app.pm_id,
      relation: 'tracked',
      trackedPid: app.pid,
      source: 'pm2Env',
      pm2Home: sandbox?.home,
    });
    expect(probe.liveInfo).toMatchObject({
      name: 'fork-cjs',
      pmId: app.pm_id,
      pid: app.pid,
      trackedPid: app.pid,
      relation: 'tracked',
      status: 'online',
      restarts: 0,
      sources: { identity: 'pm2Env', counters: 'daemon', settings: 'daemon' },
      daemon: { ok: true, via: 'rpc' },
    });
    expect(probe.status).toBe('online');
  });

  it('cluster mode with -i 2: each worker finds its own pm_id, instance and pid', () => {
    const workers = list.filter((p) => p.name === 'cluster');
    expect(workers).toHaveLength(2);
    const fromPm2 = workers
      .map((p) => ({ pmId: p.pm_id, instance: Number(p.pm2_env.NODE_APP_INSTANCE), pid: p.pid }))
      .sort((a, b) => a.instance - b.instance);
    const fromProbes = workers
      .map((p) => report(`cluster-${p.pid}`))
      .map((probe) => {
        expect(probe.name).toBe('cluster');
        expect(probe.info).toMatchObject({
          relation: 'tracked',
          execMode: 'cluster',
          trackedPid: probe.pid,
          restarts: 0,
          sources: { identity: 'pm2Env', settings: 'clusterEnv' },
        });
        return { pmId: probe.info?.pmId, instance: probe.info?.instance, pid: probe.info?.pid };
      })
      .sort((a, b) => (a.instance ?? -1) - (b.instance ?? -1));
    expect(fromPm2.map((p) => p.instance)).toEqual([0, 1]);
    expect(fromProbes).toEqual(fromPm2);
  });

  it('a bash wrapper without exec: relation wrapper, pm2 tracks the shell', () => {
    const app = entry('wrapped');
    const probe = report('wrapped');
    expect(probe.pid).not.toBe(app.pid);
    expect(probe.ppid).toBe(app.pid);
    expect(probe.name).toBe('wrapped');
    expect(probe.info).toMatchObject({
      name: 'wrapped',
      pmId: app.pm_id,
      pid: probe.pid,
      trackedPid: app.pid,
      relation: 'wrapper',
      execMode: 'fork',
      sources: { identity: 'pm2Env' },
    });
    expect(probe.liveInfo).toMatchObject({
      pid: probe.pid,
      trackedPid: app.pid,
      relation: 'wrapper',
      status: 'online',
    });
    expect(probe.status).toBe('online');
  });

  it('a grandchild with inherited pm2 variables: descendant, restart refused, keeps running', async () => {
    const app = entry('spawner');
    const probe = report('descendant');
    expect(spawner?.pid).toBe(app.pid);
    expect(probe.pid).toBe(spawner?.descendantPid);
    expect(probe.ppid).toBe(app.pid);
    expect(probe.name).toBe('spawner');
    expect(probe.identity).toMatchObject({
      managed: true,
      name: 'spawner',
      pmId: app.pm_id,
      relation: 'descendant',
      trackedPid: app.pid,
      source: 'pm2Env',
    });
    expect(probe.info).toMatchObject({
      pmId: app.pm_id,
      pid: probe.pid,
      trackedPid: app.pid,
      relation: 'descendant',
    });
    expect(probe.restart).toEqual({
      status: 'refused',
      code: 'ERR_PM2SELF_NOT_TRACKED',
      why: expect.any(String),
    });
    expect(probe.pendingAfterRestart).toBe(false);
    expect(await isProcessAlive(probe.pid)).toBe(true);
    const now = (await sandbox?.jlist())?.find((p) => p.name === 'spawner');
    expect(now).toMatchObject({ pid: app.pid, pm2_env: { status: 'online', restart_time: 0 } });
  });

  it('a child whose pm2 variables were stripped: found through the daemon list via its ancestors', () => {
    const app = entry('spawner');
    const probe = report('stripped');
    expect(probe.pid).toBe(spawner?.strippedPid);
    expect(probe.ppid).toBe(app.pid);
    expect(probe.secretInEnv).toBe(false);
    expect(probe.name).toBe('spawner');
    expect(probe.identity).toMatchObject({
      managed: true,
      name: 'spawner',
      pmId: app.pm_id,
      relation: 'descendant',
      trackedPid: app.pid,
      source: 'daemon',
      pm2Home: sandbox?.home,
    });
    expect(probe.info).toMatchObject({
      name: 'spawner',
      pmId: app.pm_id,
      pid: probe.pid,
      trackedPid: app.pid,
      relation: 'descendant',
      sources: { name: 'daemon', identity: 'daemon' },
    });
    expect(probe.liveInfo).toMatchObject({
      pmId: app.pm_id,
      relation: 'descendant',
      status: 'online',
      daemon: { ok: true, via: 'rpc' },
    });
  });

  it('never lets an environment value such as SECRET_TOKEN out of getInfo()', () => {
    // The secret is in the daemon's list (which the live query reads) and in the apps' env.
    expect(JSON.stringify(list)).toContain(secret);
    expect(reports.size).toBe(7);
    for (const [key, { text, value }] of reports) {
      expect(value.error, key).toBeUndefined();
      expect(value.secretInEnv, key).toBe(key !== 'stripped');
      expect(value.info, key).not.toBeNull();
      expect(value.liveInfo?.daemon, key).toMatchObject({ ok: true });
      expect(value.infoJson, key).not.toContain(secret);
      expect(value.liveInfoJson, key).not.toContain(secret);
      expect(text, key).not.toContain(secret);
      expect(text, key).not.toContain('sk-live-');
    }
  });

  it('ESM (import) and CJS (require) builds give the same identity', () => {
    const esm = report('fork-esm');
    const cjs = report('fork-cjs');
    expect(esm.module).toBe('esm');
    expect(cjs.module).toBe('cjs');
    const esmApp = entry('fork-esm');
    expect(esm.identity).toMatchObject({
      managed: true,
      name: 'fork-esm',
      pmId: esmApp.pm_id,
      trackedPid: esmApp.pid,
      relation: 'tracked',
      source: 'pm2Env',
    });
    expect(esm.info).toMatchObject({
      name: 'fork-esm',
      pmId: esmApp.pm_id,
      pid: esmApp.pid,
      relation: 'tracked',
      execMode: 'fork',
      instance: 0,
    });
    expect(esm.status).toBe('online');
    // Apart from what names the app, the two apps' identities are the same.
    expect(appIndependent(esm.identity)).toEqual(appIndependent(cjs.identity));
    // In one process, the CJS build finds exactly what the ESM build found, and both share the default instance.
    expect(esm.otherIdentity).toEqual(esm.identity);
    expect(esm.sharedDefaultInstance).toBe(true);
  });
});
