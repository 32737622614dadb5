/**
 * An app that loads both the ESM and the CJS build of the package (a dependency requires it, the app
 * imports it) still has one default instance and one restart controller.
 */
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

const program = `
const esm = await import(${JSON.stringify(resolve(root, 'dist/index.js'))});
const { createRequire } = await import('node:module');
const cjs = createRequire(import.meta.url)(${JSON.stringify(resolve(root, 'dist/index.cjs'))});
const task = cjs.getDefaultPm2Self().beginTask('from cjs');
const outcome = await esm.gracefulRestart({ reason: 'dual', allowPlainExit: false });
console.log(JSON.stringify({
  sameModule: esm.getDefaultPm2Self === cjs.getDefaultPm2Self,
  sameInstance: esm.getDefaultPm2Self() === cjs.getDefaultPm2Self(),
  tasksSeenByEsm: esm.getDefaultPm2Self().restartState.tasks,
  outcome,
  errorGuardAcrossBuilds: esm.isPm2SelfError(new cjs.Pm2SelfError('ERR_PM2SELF_NOT_UNDER_PM2'), 'ERR_PM2SELF_NOT_UNDER_PM2'),
}));
task.end();
`;

describe('the ESM and CJS builds in one process', () => {
  it('share one default instance (globalThis[Symbol.for("pm2-self")]) and one error brand', async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^(PM2_|pm_|name$|NODE_APP_INSTANCE$)/.test(key)),
    );
    const { stdout } = await execa(process.execPath, ['--input-type=module', '-e', program], {
      env: { ...env, PM2_HOME: resolve(root, '.tmp/no-daemon-home') },
      extendEnv: false,
    });
    expect(JSON.parse(stdout)).toEqual({
      sameModule: false,
      sameInstance: true,
      tasksSeenByEsm: 1,
      outcome: { status: 'refused', code: 'ERR_PM2SELF_NOT_UNDER_PM2', why: expect.any(String) },
      errorGuardAcrossBuilds: true,
    });
  });
});
