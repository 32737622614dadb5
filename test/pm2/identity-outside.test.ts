/**
 * Processes outside pm2: with no daemon at all (nothing may be started), and next to a running
 * daemon that does not know them. Each probe is a plain node child (execa) running the built
 * package, with no pm2 variable in its env.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity, Pm2Info } from '../../src/index.js';
import {
  createPm2Sandbox,
  listGodDaemons,
  pm2WithEnv,
  waitForJsonFile,
  type Pm2Sandbox,
} from '../helpers/pm2-sandbox.js';
import { DEFAULT_PM2_RELEASE, PM2_RELEASES } from '../helpers/pm2-releases.js';

const APPS = resolve(import.meta.dirname, '../apps/identity');
const PROBE = join(APPS, 'probe.cjs');

interface RouteAnswer {
  identity: Identity;
  name: string | null;
  info: Pm2Info | null;
  status: string | null;
  elapsedMs: number;
}

interface ProbeReport {
  pid: number;
  name: string | null;
  info: Pm2Info | null;
  liveInfo: Pm2Info | null;
  status: string | null;
  identity: Identity;
  elapsedMs: number;
  routes: Record<'rpc' | 'cli' | 'auto', RouteAnswer>;
  error?: { message: string };
}

describe.each(PM2_RELEASES)('identity outside pm2 ($label)', (release) => {
  let sandbox: Pm2Sandbox | undefined;
  let scratch: string | undefined;

  /** Runs the probe as a plain child of this test process, with only PATH, HOME and PM2_HOME set. */
  const runProbe = async (label: string, env: { HOME: string; PM2_HOME: string }) => {
    const file = join(scratch as string, `${label}.json`);
    const child = await execa(process.execPath, [PROBE, file], {
      env: {
        PATH: process.env.PATH,
        ...env,
        // The cli route runs this release's CLI (the default one is found from the repository).
        ...(release === DEFAULT_PM2_RELEASE ? {} : { PM2_BIN: release.bin }),
        PROBE_EXIT: '1',
        PROBE_ROUTES: '1',
      },
      extendEnv: false,
      timeout: 20_000,
      reject: false,
    });
    expect(child.exitCode, child.stderr).toBe(0);
    const text = await readFile(file, 'utf8');
    const report = JSON.parse(text) as ProbeReport;
    expect(report.error).toBeUndefined();
    console.log(
      `${label}: whole probe process (node start to exit, 3 routes included) ${child.durationMs.toFixed(0)} ms`,
    );
    return report;
  };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'identity-outside-'));
    sandbox = await createPm2Sandbox('pm2-self-outside-', { bin: release.bin });
    // One app in the list, so that "not in the list" means something.
    await pm2WithEnv(sandbox, ['start', PROBE, '--name', 'resident'], {
      REPORT_FILE: join(scratch, 'resident.json'),
    });
    await waitForJsonFile(join(scratch, 'resident.json'));
  });

  afterAll(async () => {
    try {
      await sandbox?.dispose();
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  });

  it('with no pm2 daemon at all: null answers, reason noDaemon, fast, and no daemon started', async () => {
    const emptyHome = await mkdtemp(join(tmpdir(), 'identity-empty-pm2-home-'));
    const emptyUserHome = await mkdtemp(join(tmpdir(), 'identity-empty-user-home-'));
    try {
      const before = await listGodDaemons();
      const report = await runProbe('no-daemon', { HOME: emptyUserHome, PM2_HOME: emptyHome });

      expect(report.name).toBeNull();
      expect(report.info).toBeNull();
      expect(report.liveInfo).toBeNull();
      expect(report.status).toBeNull();
      expect(report.identity).toEqual({ managed: false, reason: 'noDaemon', message: expect.any(String) });
      for (const route of ['rpc', 'cli', 'auto'] as const) {
        expect(report.routes[route], route).toEqual({
          identity: { managed: false, reason: 'noDaemon', message: expect.any(String) },
          name: null,
          info: null,
          status: null,
          elapsedMs: expect.any(Number),
        });
      }

      // Nothing was created in either home (no pm2.pid, no rpc.sock, no logs/), and no daemon runs for them.
      expect(await readdir(emptyHome)).toEqual([]);
      expect(await readdir(emptyUserHome)).toEqual([]);
      const after = await listGodDaemons();
      const ours = (daemon: { args: string; home: string | null }) =>
        daemon.home === emptyHome ||
        daemon.home?.startsWith(emptyUserHome) === true ||
        daemon.args.includes(emptyHome) ||
        daemon.args.includes(emptyUserHome);
      expect(after.filter(ours)).toEqual([]);
      // Other suites may start their own sandboxes meanwhile (each with a PM2_HOME under the temp dir).
      const started = after.filter((daemon) => !before.some((old) => old.pid === daemon.pid));
      expect(
        started.filter((daemon) => ours(daemon) || daemon.home === null || !daemon.home.startsWith(tmpdir())),
      ).toEqual([]);

      const routes = Object.entries(report.routes)
        .map(([route, answer]) => `${route} ${answer.elapsedMs.toFixed(2)} ms`)
        .join(', ');
      console.log(
        `no daemon: getProcessName + getInfo + getIdentity answered in ${report.elapsedMs.toFixed(2)} ms (per route, 4 calls each: ${routes})`,
      );
    } finally {
      await rm(emptyHome, { recursive: true, force: true });
      await rm(emptyUserHome, { recursive: true, force: true });
    }
  });

  it('next to a running daemon that does not know it: null answers, reason notInList', async () => {
    const userHome = await mkdtemp(join(tmpdir(), 'identity-user-home-'));
    try {
      const report = await runProbe('not-in-list', {
        HOME: userHome,
        PM2_HOME: (sandbox as Pm2Sandbox).home,
      });
      expect(report.name).toBeNull();
      expect(report.info).toBeNull();
      expect(report.liveInfo).toBeNull();
      expect(report.status).toBeNull();
      expect(report.identity).toEqual({ managed: false, reason: 'notInList', message: expect.any(String) });
      for (const route of ['rpc', 'cli', 'auto'] as const) {
        expect(report.routes[route].identity, route).toEqual({
          managed: false,
          reason: 'notInList',
          message: expect.any(String),
        });
        expect(report.routes[route].name, route).toBeNull();
      }
      // The daemon still runs only its own app.
      const list = await (sandbox as Pm2Sandbox).jlist();
      expect(list.map((p) => p.name)).toEqual(['resident']);
      expect(list[0]?.pid).not.toBe(report.pid);
    } finally {
      await rm(userHome, { recursive: true, force: true });
    }
  });
});
