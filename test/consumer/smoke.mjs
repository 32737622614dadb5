// The package from the outside: `npm pack`, install the tarball beside fresh CommonJS, ESM and
// TypeScript projects (node16 from both sides, nodenext, bundler), build each, and run each under a
// real pm2 daemon (private PM2_HOME), using the six card functions; the shipped examples/typescript/
// must type-check under strict. Exits non-zero on any failure.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

const root = resolve(import.meta.dirname, '../..');
const here = resolve(import.meta.dirname);
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const esbuild = join(root, 'node_modules/esbuild/bin/esbuild');
const pm2Bin = join(root, 'node_modules/pm2/bin/pm2');
const work = await mkdtemp(join(tmpdir(), 'pm2-self-consumers-'));
const home = join(work, 'pm2-home');
const log = (text) => console.log(`[consumer-smoke] ${text}`);
const run = (file, args, options = {}) => execa(file, args, { cwd: work, ...options });

const consumers = [
  { name: 'cjs', type: 'commonjs', source: 'app.cjs', entry: 'app.cjs' },
  { name: 'esm', type: 'module', source: 'app.mjs', entry: 'app.mjs' },
  {
    name: 'ts-node16-cjs',
    type: 'commonjs',
    source: 'app.ts',
    entry: 'dist/app.js',
    tsconfig: { module: 'node16', moduleResolution: 'node16' },
  },
  {
    name: 'ts-node16-esm',
    type: 'module',
    source: 'app.ts',
    entry: 'dist/app.js',
    tsconfig: { module: 'node16', moduleResolution: 'node16' },
  },
  {
    name: 'ts-nodenext',
    type: 'module',
    source: 'app.ts',
    entry: 'dist/app.js',
    tsconfig: { module: 'nodenext', moduleResolution: 'nodenext' },
  },
  {
    name: 'ts-bundler',
    type: 'module',
    source: 'app.ts',
    entry: 'dist/app.js',
    tsconfig: { module: 'esnext', moduleResolution: 'bundler', noEmit: true },
    bundle: true,
  },
];

let failures = 0;
try {
  log(`packing into ${work}`);
  const packed = JSON.parse(
    (await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root })).stdout,
  );
  const tarball = join(work, packed[0].filename);
  await writeFile(join(work, 'package.json'), JSON.stringify({ name: 'consumers', private: true }));
  log('installing the tarball (and its dependencies) into a fresh project');
  await run('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--no-package-lock',
    tarball,
    `@types/node@${JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).devDependencies['@types/node']}`,
  ]);

  for (const consumer of consumers) {
    const dir = join(work, consumer.name);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: `consumer-${consumer.name}`, private: true, type: consumer.type }),
    );
    await cp(join(here, 'fixtures', consumer.source), join(dir, consumer.source));
    if (consumer.tsconfig) {
      const { noEmit, ...module } = consumer.tsconfig;
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2022',
            strict: true,
            types: ['node'],
            typeRoots: [join(work, 'node_modules/@types')],
            outDir: 'dist',
            rootDir: '.',
            skipLibCheck: false,
            noEmit: noEmit ?? false,
            ...module,
          },
          files: ['app.ts'],
        }),
      );
      await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')]);
      log(`${consumer.name}: type-checks (${JSON.stringify(consumer.tsconfig)})`);
      if (consumer.bundle)
        await run(esbuild, [
          join(dir, 'app.ts'),
          '--bundle',
          '--platform=node',
          '--format=esm',
          '--packages=external',
          `--outfile=${join(dir, 'dist/app.js')}`,
        ]);
    }
  }

  // The TypeScript example as the tarball ships it, compiled under its own strict tsconfig against the
  // installed package.
  const shipped = join(work, 'node_modules/pm2-self/examples/typescript');
  await cp(shipped, join(work, 'ts-example'), { recursive: true });
  await run(process.execPath, [tsc, '-p', join(work, 'ts-example/tsconfig.json')]);
  log('examples/typescript (from the tarball): type-checks under strict');

  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(PM2_|pm_|npm_)/.test(key)),
  );
  Object.assign(env, { PM2_HOME: home });
  const pm2 = (...args) => execa(process.execPath, [pm2Bin, ...args], { env, extendEnv: false });
  for (const consumer of consumers) {
    await pm2(
      'start',
      join(work, consumer.name, consumer.entry),
      '--name',
      `consumer-${consumer.name}`,
      '-s',
      '--cwd',
      join(work, consumer.name),
    );
  }
  const reportOf = async (consumer, generation) => {
    const file = join(work, consumer.name, `report-${generation}.json`);
    for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    return JSON.parse(await readFile(file, 'utf8'));
  };
  for (const consumer of consumers) {
    const first = await reportOf(consumer, 0);
    const second = await reportOf(consumer, 1);
    const ok =
      first.name === `consumer-${consumer.name}` &&
      first.status === 'online' &&
      first.info?.relation === 'tracked' &&
      first.pending === false &&
      first.cleared === false &&
      first.outcome?.status === 'restarting' &&
      second.name === first.name &&
      second.pid !== first.pid &&
      second.info?.restarts === 1;
    if (!ok) failures++;
    log(
      `${consumer.name}: ${ok ? 'ok' : 'FAILED'} (name ${first.name}, status ${first.status}, restart -> pid ${first.pid} -> ${second.pid}, restarts ${second.info?.restarts})`,
    );
  }
} catch (error) {
  failures++;
  console.error(error);
} finally {
  await execa(process.execPath, [pm2Bin, 'kill', '-s'], {
    env: { ...process.env, PM2_HOME: home },
    reject: false,
  });
  await rm(work, { recursive: true, force: true });
}
log(failures === 0 ? 'all consumers pass' : `${failures} consumer(s) failed`);
process.exitCode = failures === 0 ? 0 : 1;
