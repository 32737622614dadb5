/**
 * The everyday calls are top-level functions in both builds, over the one default instance, and the
 * packed tarball carries what the README links to.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const EVERYDAY = [
  'getProcessName',
  'getStatus',
  'getInfo',
  'gracefulRestart',
  'hasPendingRestart',
  'clearPendingRestart',
  'runTask',
  'beginTask',
  'tryBeginTask',
  'acceptsTasks',
  'runningTasks',
  'installShutdownHandler',
  'getLastRestart',
  'on',
  'exposeToPm2',
  'restartWhen',
] as const;

describe('the package', () => {
  it('exports the everyday calls as functions from the ESM and the CJS build', async () => {
    const esm = (await import(resolve(ROOT, 'dist/index.js'))) as Record<string, unknown>;
    const cjs = createRequire(import.meta.url)(resolve(ROOT, 'dist/index.cjs')) as Record<string, unknown>;
    for (const name of EVERYDAY) {
      expect({ name, esm: typeof esm[name], cjs: typeof cjs[name] }).toEqual({
        name,
        esm: 'function',
        cjs: 'function',
      });
    }
  });

  it('top-level tasks count on the default instance: its restart waits for them', async () => {
    const esm = (await import(resolve(ROOT, 'dist/index.js'))) as typeof import('../../src/index.js');
    const task = esm.beginTask('job');
    expect(esm.getDefaultPm2Self().restartState.tasks).toBe(1);
    expect(esm.runningTasks().map((t) => t.label)).toEqual(['job']);
    task.end();
    expect(esm.getDefaultPm2Self().restartState.tasks).toBe(0);
  });

  it('pm2-self --version and -v print the version of the installed package', async () => {
    const { version } = createRequire(import.meta.url)(resolve(ROOT, 'package.json')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const { stdout, exitCode } = await execa('node', [resolve(ROOT, 'dist/cli.js'), flag]);
      expect({ flag, stdout, exitCode }).toEqual({ flag, stdout: version, exitCode: 0 });
    }
  });

  it('packs LICENSE, the docs, the examples they cite and the benchmark results', async () => {
    const { stdout } = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map(
      (f) => f.path,
    );
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'CHANGELOG.md',
        'docs/errors.md',
        'docs/writing-a-sidecar.md',
        'bench/RESULTS.md',
        'dist/cli.js',
        'examples/readme/app.mjs',
        'examples/ws-sidecar/sidecar.mjs',
        'examples/http-admin/server.mjs',
        'examples/healing/hub-health.mjs',
        'examples/typescript/app.ts',
        'examples/typescript/testing.ts',
        'examples/typescript/tsconfig.json',
      ]),
    );
  });

  it('has no runtime dependency: the pm2 CLI is spawned with child_process', () => {
    const pkg = createRequire(import.meta.url)(resolve(ROOT, 'package.json')) as Record<string, unknown>;
    expect(pkg.dependencies).toBeUndefined();
  });

  it('names its repository, home page and issue tracker, one repository throughout', () => {
    const pkg = createRequire(import.meta.url)(resolve(ROOT, 'package.json')) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      repository: { type: 'git', url: 'git+https://github.com/pm2-self/pm2-self.git' },
      homepage: 'https://github.com/pm2-self/pm2-self#readme',
      bugs: { url: 'https://github.com/pm2-self/pm2-self/issues' },
    });
  });
});
