/**
 * gracefulRestart() of the BUILT package where a plain exit(0) would not come back: stop_exit_codes
 * [0] (cluster and fork mode, ecosystem file), autorestart false (fork mode), and a process outside pm2.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PM2_RELEASES } from '../helpers/pm2-releases.js';
import {
  appEnv,
  eventsFile,
  indexOf,
  ofPid,
  readEvents,
  RESTART_APP,
  startApps,
  waitForEvents,
  waitOnline,
  startedOf,
  findEvent,
} from '../apps/restart/harness.js';

describe.each(PM2_RELEASES)('gracefulRestart when an exit(0) would not be restarted ($label)', (release) => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => eventsFile(sandbox, name);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-restart-settings-', { bin: release.bin });
    await startApps(sandbox, [
      { name: 'stop0', scenario: 'idle', pm2: { exec_mode: 'cluster', instances: 1, stop_exit_codes: [0] } },
      // Two codes: pm2 hands a one-element list over as a scalar, which every release passes in fork mode.
      { name: 'stop07-fork', scenario: 'idle', pm2: { exec_mode: 'fork', stop_exit_codes: [0, 7] } },
      { name: 'noauto', scenario: 'idle', pm2: { exec_mode: 'fork', autorestart: false } },
    ]);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('stop_exit_codes [0] in cluster mode: exits with 75 and pm2 restarts the app', async () => {
    const events = await waitForEvents(file('stop0'), startedOf('1'));
    const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid;
    const old = events.filter(ofPid(gen0));
    expect(findEvent(old, (e) => e.event === 'outcome').outcome).toMatchObject({
      status: 'restarting',
      strategy: { type: 'exit', code: 75 },
    });
    expect(old[indexOf(old, (e) => e.event === 'exit')]?.code).toBe(75);
    const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
    expect(gen1.pid).not.toBe(gen0);
    expect(gen1.exitCodeEnv).toBe('75');
    expect(gen1.envStopExitCodes).toEqual([0]);
    expect(gen1.lastRestart).toMatchObject({
      initiator: 'self',
      reason: 'idle',
      strategy: 'exit',
      previousPid: gen0,
      previousRestarts: 0,
    });

    const entry = await waitOnline(sandbox, 'stop0', 1);
    expect(entry.pid).toBe(gen1.pid);
    expect(entry.pm2_env.exec_mode).toBe('cluster_mode');
    expect(entry.pm2_env.unstable_restarts).toBe(0);
    expect(entry.pm2_env.exit_code).toBe(75);
  });

  it("stop_exit_codes [0, 7] in fork mode: the daemon's settings say so, exits with 75 and pm2 restarts the app", async () => {
    const events = await waitForEvents(file('stop07-fork'), startedOf('1'));
    const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0');
    // What the app itself can read differs by release; the plan reads the daemon's entry either way.
    expect(gen0.envStopExitCodes).toEqual(release.forkEnvHasArrays ? [0, 7] : 'unknown');
    const old = events.filter(ofPid(gen0.pid));
    expect(findEvent(old, (e) => e.event === 'outcome').outcome).toMatchObject({
      status: 'restarting',
      strategy: { type: 'exit', code: 75 },
    });
    expect(old[indexOf(old, (e) => e.event === 'exit')]?.code).toBe(75);
    const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
    expect(gen1.pid).not.toBe(gen0.pid);
    expect(gen1.exitCodeEnv).toBe('75');
    expect(gen1.lastRestart).toMatchObject({ initiator: 'self', strategy: 'exit', previousPid: gen0.pid });

    const entry = await waitOnline(sandbox, 'stop07-fork', 1);
    expect(entry.pid).toBe(gen1.pid);
    expect(entry.pm2_env.exec_mode).toBe('fork_mode');
    expect(entry.pm2_env.exit_code).toBe(75);
  });

  it('autorestart false (fork): asks the daemon to restart this pm_id over its RPC socket', async () => {
    const events = await waitForEvents(file('noauto'), startedOf('1'));
    const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0').pid;
    const old = events.filter(ofPid(gen0));
    expect(findEvent(old, (e) => e.event === 'outcome').outcome).toMatchObject({
      status: 'restarting',
      strategy: { type: 'daemon' },
    });
    expect(findEvent(old, (e) => e.event === 'restarting').detail).toMatchObject({
      strategy: { type: 'daemon' },
    });
    // the daemon stopped it with SIGINT: no exit() of its own
    expect(old.some((e) => e.event === 'exit')).toBe(false);
    expect(old.some((e) => e.event === 'failed')).toBe(false);
    const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
    expect(gen1.pid).not.toBe(gen0);
    expect(gen1.lastRestart).toMatchObject({
      initiator: 'self',
      reason: 'idle',
      strategy: 'daemon',
      previousPid: gen0,
    });

    const entry = await waitOnline(sandbox, 'noauto', 1);
    expect(entry.pid).toBe(gen1.pid);
    expect(entry.pm2_env.autorestart).toBe(false);
  });

  it('outside pm2: refuses with ERR_PM2SELF_NOT_UNDER_PM2 and the process lives on', async () => {
    const name = 'outside';
    const env = cleanEnv({ PM2_HOME: sandbox.home, ...appEnv(sandbox, name, 'refuse') });
    const child = execa(process.execPath, [RESTART_APP], {
      env,
      extendEnv: false,
      timeout: 20_000,
      stdin: 'pipe',
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const newline = out.indexOf('\n');
        if (newline >= 0) resolve(out.slice(0, newline));
      });
      child.catch(reject);
    });
    expect(JSON.parse(firstLine)).toMatchObject({
      outcome: { status: 'refused', code: 'ERR_PM2SELF_NOT_UNDER_PM2' },
    });
    expect(child.exitCode).toBeNull();
    expect(() => process.kill(child.pid as number, 0)).not.toThrow();

    child.stdin?.write('quit\n');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toContain('bye');

    const events = await readEvents(eventsFile(sandbox, name));
    // The request is pending from the moment it is made, then refused by its plan.
    expect(events.map((e) => e.event)).toEqual([
      'up',
      'started',
      'requested',
      'refused',
      'outcome',
      'alive',
      'exit',
    ]);
    expect(events.every((e) => e.pid === child.pid && e.gen === null)).toBe(true);
    expect(findEvent(events, (e) => e.event === 'started').lastRestart).toBeNull();
    expect(findEvent(events, (e) => e.event === 'alive').pending).toBe(false);
    expect(findEvent(events, (e) => e.event === 'exit').code).toBe(0);
    // nothing of it reached the daemon
    expect((await sandbox.jlist()).map((p) => p.name).sort()).toEqual(['noauto', 'stop0', 'stop07-fork']);
  });
});
