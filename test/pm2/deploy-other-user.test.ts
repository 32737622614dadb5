/**
 * An app pm2 runs as another user (`uid: 'nobody'`) while the daemon runs as root, with a PM2_HOME
 * the app cannot read: the identity comes from pm2's variables, verified by the process tree (the
 * app's parent is the daemon); the restart comes back (exit code 75, since the fork env omits
 * stop_exit_codes and the daemon cannot be asked); the restart record cannot be written, and the
 * `restarting` event says so. Runs only as root on Linux (as CI does).
 */
import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import {
  PM2_SELF_DIST,
  RESTART_APP,
  findEvent,
  startApps,
  startedOf,
  waitForEvents,
  waitOnline,
  type AppSpec,
} from '../apps/restart/harness.js';

const asRoot = process.platform === 'linux' && process.getuid?.() === 0;
// Started through `run.sh` (interpreter none), the app gets no injected @pm2/io: one variant, as with pmx: false.
const VARIANTS = [{ label: 'nothing injected', suffix: '', pmx: {} }] as const;

describe.runIf(asRoot)('an app pm2 runs as another user (uid nobody), daemon as root', () => {
  let sandbox: Pm2Sandbox;
  let appDir: string;
  const events = (name: string) => join(appDir, `events-${name}.jsonl`);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-uid-');
    // The app's own folder must be readable by nobody; the sandbox's temp root may not be.
    appDir = await mkdtemp('/tmp/pm2-self-uid-app-');
    await chmod(appDir, 0o755);
    await copyFile(RESTART_APP, join(appDir, 'app.cjs'));
    await copyFile(PM2_SELF_DIST, join(appDir, 'index.cjs'));
    // pm2 runs a Node script through its own container file, in the checkout, which the other user may
    // not be able to read: a shell script that `exec`s node (interpreter none) needs only this folder.
    const launcher = join(appDir, 'run.sh');
    await writeFile(
      launcher,
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(appDir, 'app.cjs'))}\n`,
    );
    await chmod(launcher, 0o755);
    const apps: AppSpec[] = [];
    for (const { suffix, pmx } of VARIANTS) {
      const name = `other-user${suffix}`;
      await writeFile(events(name), '');
      await chmod(events(name), 0o666);
      apps.push({
        name,
        scenario: 'idle',
        env: { PM2_SELF_DIST: join(appDir, 'index.cjs'), EVENTS_FILE: events(name) },
        pm2: { script: launcher, interpreter: 'none', cwd: appDir, uid: 'nobody', ...pmx },
      });
    }
    await startApps(sandbox, apps);
  });

  afterAll(async () => {
    await sandbox?.dispose();
    if (appDir) await rm(appDir, { recursive: true, force: true });
  });

  it.each(VARIANTS)(
    '$label: identifies itself from the process tree and restarts with exit code 75',
    async ({ suffix }) => {
      const name = `other-user${suffix}`;
      const all = await waitForEvents(events(name), startedOf('1'));
      const gen0 = findEvent(all, (e) => e.event === 'started' && e.gen === '0');
      expect(gen0.identity).toMatchObject({
        relation: 'tracked',
        evidence: 'parentIsDaemon',
        trackedPid: gen0.pid,
      });
      expect(findEvent(all, (e) => e.event === 'outcome').outcome).toMatchObject({
        status: 'restarting',
        strategy: { type: 'exit', code: 75 },
      });
      // PM2_HOME is not writable by nobody: no record, and the event says so.
      expect(findEvent(all, (e) => e.event === 'restarting').detail).toMatchObject({ record: 'notWritten' });
      const entry = await waitOnline(sandbox, name, 1);
      expect(entry.pm2_env.unstable_restarts).toBe(0);
      const gen1 = findEvent(all, (e) => e.event === 'started' && e.gen === '1');
      expect(gen1.pid).toBe(entry.pid);
      expect(gen1.lastRestart).toBeNull();
    },
  );
});
