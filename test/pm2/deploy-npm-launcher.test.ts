/**
 * `pm2 start npm -- start`: pm2 tracks npm, and the app runs as `npm start` -> `sh -c node app` ->
 * node. The app identifies itself (relation `wrapper`), restarts through the launchers (pm2 sees npm
 * exit and brings the app back), drains on pm2's stop, and a worker it spawns still refuses. Each
 * case runs with pm2's injected @pm2/io and with `pmx: false`, against pm2 7.0.4, 6.0.14 and 5.4.3.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import { PM2_RELEASES } from '../helpers/pm2-releases.js';
import {
  eventsFile,
  findEvent,
  indexOf,
  ofPid,
  RESTART_APP,
  startApps,
  startedOf,
  waitForEvents,
  waitOnline,
  entryOf,
  type AppSpec,
} from '../apps/restart/harness.js';

const VARIANTS = PMX_VARIANTS;

describe.each(PM2_RELEASES)('an app started by npm (pm2 start npm -- start) ($label)', (release) => {
  let sandbox: Pm2Sandbox;
  let appDir: string;
  const file = (name: string) => eventsFile(sandbox, name);
  /** An ecosystem entry that runs the test app through `npm start`. */
  const viaNpm = (name: string, scenario: string, env: Record<string, string>, extra = {}): AppSpec => ({
    name,
    scenario,
    env,
    pm2: { script: 'npm', args: 'start', cwd: appDir, ...extra },
  });

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-npm-', { bin: release.bin });
    appDir = join(sandbox.home, 'app');
    await mkdir(appDir);
    const start = `node ${JSON.stringify(RESTART_APP)}`;
    await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'npm-app', scripts: { start } }));
    await startApps(
      sandbox,
      VARIANTS.flatMap(({ suffix, pmx }): AppSpec[] => [
        viaNpm(`idle${suffix}`, 'idle', {}, pmx),
        viaNpm(
          `tasks${suffix}`,
          'tasks',
          { TASK_MS: '1000', SHUTDOWN_HANDLER: '1' },
          { kill_timeout: 4000, ...pmx },
        ),
        viaNpm(`workers${suffix}`, 'spawn-worker', {}, pmx),
      ]),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  describe.each(VARIANTS)('$label', ({ suffix }) => {
    it('identifies itself as running under its launchers, with no IPC channel, and restarts: npm exits and pm2 brings the app back', async () => {
      const name = `idle${suffix}`;
      const events = await waitForEvents(file(name), startedOf('1'));
      const gen0 = findEvent(events, (e) => e.event === 'started' && e.gen === '0');
      expect(gen0.identity).toMatchObject({ relation: 'wrapper', evidence: 'pidFile' });
      expect(gen0.ipc).toBe(false);
      const outcome = findEvent(events, (e) => e.event === 'outcome' && e.gen === '0').outcome;
      expect(outcome).toMatchObject({ status: 'restarting', strategy: { type: 'exit', code: 0 } });
      const entry = await waitOnline(sandbox, name, 1);
      const gen1 = findEvent(events, (e) => e.event === 'started' && e.gen === '1');
      // pm2 tracks npm, not the app: the new app's tracked pid is the new npm process.
      expect(gen1.identity).toMatchObject({ relation: 'wrapper', trackedPid: entry.pid });
      expect(gen1.pid).not.toBe(entry.pid);
      expect(gen1.lastRestart).toMatchObject({ initiator: 'self', reason: 'idle', strategy: 'exit' });
      expect(entry.pm2_env.unstable_restarts).toBe(0);
    });

    it('drains on pm2 stop: the SIGINT reaches the app, the running task ends, then the app exits', async () => {
      const name = `tasks${suffix}`;
      await waitForEvents(file(name), (events) => events.some((e) => e.event === 'task-begun'));
      await sandbox.pm2(['stop', name]);
      const events = await waitForEvents(file(name), (all) => all.some((e) => e.event === 'exit'));
      const app = findEvent(events, (e) => e.event === 'started').pid;
      const old = events.filter(ofPid(app));
      const signalled = indexOf(
        old,
        (e) => e.event === 'requested' && (e.detail as { kind: string }).kind === 'shutdown',
      );
      const running = old
        .slice(0, signalled)
        .filter((e) => e.event === 'task-begun')
        .at(-1);
      expect(running).toBeDefined();
      const ended = indexOf(old, (e) => e.event === 'task-ended' && e.label === running?.label);
      const exited = indexOf(old, (e) => e.event === 'exit');
      expect(signalled).toBeGreaterThan(0);
      expect(ended).toBeGreaterThan(signalled);
      expect(exited).toBeGreaterThan(ended);
      expect(old[exited]?.code).toBe(0);
      expect(findEvent(old, (e) => e.event === 'exiting').detail).toMatchObject({
        initiator: 'pm2',
        signal: 'SIGINT',
      });
      const list = await sandbox.waitFor((l) => entryOf(l, name).pm2_env.status === 'stopped');
      expect(entryOf(list, name).pm2_env.restart_time).toBe(0);
    });

    it('a worker the app forked or spawned through sh -c is a descendant: its restart is refused and the app runs on', async () => {
      const name = `workers${suffix}`;
      const events = await waitForEvents(
        file(name),
        (all) => all.filter((e) => e.event === 'worker-outcome').length === 2,
      );
      const app = findEvent(
        events,
        (e) =>
          e.event === 'started' &&
          e.identity !== undefined &&
          (e.identity as { relation: string }).relation === 'wrapper',
      );
      const workers = events.filter((e) => e.event === 'started' && e.pid !== app.pid);
      expect(workers.map((e) => e.identity)).toEqual([
        expect.objectContaining({ relation: 'descendant' }),
        expect.objectContaining({ relation: 'descendant' }),
      ]);
      const outcomes = events.filter((e) => e.event === 'worker-outcome');
      expect(outcomes.map((e) => e.worker).sort()).toEqual(['fork', 'sh']);
      for (const e of outcomes) {
        expect(e.outcome).toMatchObject({ status: 'refused', code: 'ERR_PM2SELF_NOT_TRACKED' });
      }
      const entry = entryOf(await sandbox.jlist(), name);
      expect(entry.pm2_env.status).toBe('online');
      expect(entry.pm2_env.restart_time).toBe(0);
    });
  });
});
