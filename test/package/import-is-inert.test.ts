/**
 * Importing the package does nothing: no env read, no listener, no timer or handle, and neither execa
 * nor pm2 loaded, nor Node's heavier built-ins that only some calls need (child_process, worker_threads,
 * inspector, net), in both builds. Measured against loading an empty module the same way.
 */
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
let empty: { cjs: string; esm: string };

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pm2-self-inert-'));
  empty = { cjs: join(dir, 'empty.cjs'), esm: join(dir, 'empty.mjs') };
  // Like the builds, the empty modules name a source map (Node itself reads env when it meets one).
  await writeFile(empty.cjs, '//# sourceMappingURL=empty.cjs.map\n');
  await writeFile(empty.esm, '//# sourceMappingURL=empty.mjs.map\n');
});

// Loads `target` and reports what loading it did to the process.
const probe = (load: string) => `
const reads = new Set();
const realEnv = process.env;
process.env = new Proxy(realEnv, { get(t, k) { if (typeof k === 'string') reads.add(k); return Reflect.get(t, k); } });
const events = ['SIGINT', 'SIGTERM', 'message', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection'];
const listeners = () => events.map((e) => process.listenerCount(e));
let timers = 0;
for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
  const real = globalThis[name];
  globalThis[name] = (...args) => { timers++; return real(...args); };
}
// File requests of the module loader itself (reading the module) are not the module's doing.
const resources = () => process.getActiveResourcesInfo().filter((r) => !/^(CloseReq|FSReqCallback|FSReqPromise|FileHandleCloseReq)$/.test(r)).sort();
const before = { listeners: listeners(), resources: resources() };
${load}
process.env = realEnv;
const { createRequire } = require('node:module');
const cache = Object.keys(require.cache);
console.log(JSON.stringify({
  envReads: [...reads].sort(),
  listenersChanged: JSON.stringify(listeners()) !== JSON.stringify(before.listeners),
  timersStarted: timers,
  resourcesChanged: JSON.stringify(resources()) !== JSON.stringify(before.resources),
  loadedExeca: cache.some((p) => /node_modules[\\\\/]execa[\\\\/]/.test(p)),
  loadedPm2: cache.some((p) => /node_modules[\\\\/]pm2[\\\\/]/.test(p)),
  pm2Programmatic: realEnv.PM2_PROGRAMMATIC === 'true',
  heavyBuiltins: ['child_process', 'worker_threads', 'inspector', 'net'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m)),
}));
`;

async function run(kind: 'cjs' | 'esm', target: string) {
  const load =
    kind === 'cjs' ? `require(${JSON.stringify(target)});` : `await import(${JSON.stringify(target)});`;
  const program =
    kind === 'cjs'
      ? `(async () => {${probe(load)}})();`
      : `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n${probe(load).replace("const { createRequire } = require('node:module');", '')}`;
  const args = kind === 'cjs' ? ['-e', program] : ['--input-type=module', '-e', program];
  const { stdout } = await execa(process.execPath, args, { cwd: root });
  return JSON.parse(stdout) as {
    envReads: string[];
    listenersChanged: boolean;
    timersStarted: number;
    resourcesChanged: boolean;
    loadedExeca: boolean;
    loadedPm2: boolean;
    pm2Programmatic: boolean;
    heavyBuiltins: string[];
  };
}

describe('importing pm2-self is inert', () => {
  it.each([
    ['cjs', 'dist/index.cjs'],
    ['esm', 'dist/index.js'],
  ] as const)(
    '%s build: no env read beyond an empty module, no listener, no handle or timer, no execa, no pm2, no child_process or worker_threads',
    async (kind, file) => {
      const baseline = await run(kind, empty[kind]);
      const result = await run(kind, resolve(root, file));
      expect(result.envReads.filter((key) => !baseline.envReads.includes(key))).toEqual([]);
      expect(result.heavyBuiltins.filter((name) => !baseline.heavyBuiltins.includes(name))).toEqual([]);
      expect(result).toMatchObject({
        listenersChanged: false,
        timersStarted: 0,
        resourcesChanged: false,
        loadedExeca: false,
        loadedPm2: false,
        pm2Programmatic: false,
      });
    },
  );

  it('the probe sees a module that does read env, add a listener and start a timer (the test can fail)', async () => {
    const noisy = join(resolve(empty.cjs, '..'), 'noisy.cjs');
    await writeFile(
      noisy,
      "void process.env.PM2_HOME; process.on('SIGINT', () => {}); setTimeout(() => {}, 10); require('node:child_process');",
    );
    const result = await run('cjs', noisy);
    expect(result.envReads).toContain('PM2_HOME');
    expect(result).toMatchObject({ listenersChanged: true, timersStarted: 1, resourcesChanged: true });
    expect(result.heavyBuiltins).toContain('child_process');
  });
});
