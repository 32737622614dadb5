/**
 * Builds the CommonJS bundle of another revision of pm2-self (the "before" of a comparison) into
 * bench/.dist/baseline-<sha>/dist, from `git archive <rev> src tsconfig.json`, with this checkout's
 * tsup. The folder is inside the repository, so the bundle resolves `execa` from node_modules.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from './common.mjs';

/** @returns {Promise<{ sha: string, cjs: string }>} */
export async function buildBaselineDist(rev) {
  const sha = (await execa('git', ['rev-parse', '--short', `${rev}^{commit}`], { cwd: ROOT })).stdout.trim();
  const dir = join(ROOT, 'bench', '.dist', `baseline-${sha}`);
  const cjs = join(dir, 'dist', 'index.cjs');
  if (existsSync(cjs)) return { sha, cjs };
  await mkdir(dir, { recursive: true });
  const archive = await execa('git', ['archive', sha, 'src', 'tsconfig.json'], {
    cwd: ROOT,
    encoding: 'buffer',
  });
  await execa('tar', ['-x', '-C', dir], { input: archive.stdout });
  // As in the package: ESM by default, so tsup names the CommonJS bundle index.cjs.
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await execa(
    join(ROOT, 'node_modules', '.bin', 'tsup'),
    [
      'src/index.ts',
      '--no-config',
      '--format',
      'cjs',
      '--target',
      'node20',
      '--platform',
      'node',
      '-d',
      'dist',
    ],
    { cwd: dir },
  );
  if (!existsSync(cjs)) throw new Error(`baseline build of ${sha} produced no ${cjs}`);
  return { sha, cjs };
}
