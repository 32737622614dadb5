/**
 * Issue 18: when the store folder is not used, the live answer says why, in its `daemon` field
 * (`store: 'foreignOwner'`, `'groupWritable'`, `'notFolder'`, `'unusable'`; `'shared'` when it is used,
 * `'off'` when sharing is switched off), and `NODE_DEBUG=pm2-self` prints the reason. The file port's
 * `storeProblem` is checked against real folders.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import { createNodeFileSystem } from '../../src/ports/node-ports.js';
import type { StoreProblem } from '../../src/ports/ports.js';
import { portsWithStatus } from '../helpers/status-daemon.js';

const run = promisify(execFile);
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = 65534;

describe("the live answer's daemon field names the store's use", () => {
  const withStore = (problem: StoreProblem | null, cacheTtlMs?: number) => {
    const { ports } = portsWithStatus();
    ports.fs.storeProblem = async () => problem;
    return createPm2Self({ ports, route: 'rpc', cacheTtlMs });
  };

  it.each(['foreignOwner', 'groupWritable', 'notFolder', 'unusable'] as const)(
    'a store folder that is not used: store %s',
    async (problem) => {
      const info = await withStore(problem).getInfo({ live: true });
      expect(info?.daemon).toMatchObject({ ok: true, via: 'rpc', store: problem });
      expect(info?.status).toBe('online');
    },
  );

  it("a store that is used: store 'shared'; sharing switched off (cacheTtlMs 0): store 'off'", async () => {
    expect((await withStore(null).getInfo({ live: true }))?.daemon).toMatchObject({ store: 'shared' });
    expect((await withStore('foreignOwner', 0).getInfo({ live: true }))?.daemon).toMatchObject({
      store: 'off',
    });
  });
});

describe("the file port's storeProblem against real folders", () => {
  let home: string;
  let store: string;
  const fs = createNodeFileSystem();
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'pm2-self-store-reason-'));
    store = join(home, 'pm2-self');
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('missing (the first writer makes it) or 0700 and this uid: used', async () => {
    expect(await fs.storeProblem?.(store)).toBeNull();
    await mkdir(store, { mode: 0o700 });
    expect(await fs.storeProblem?.(store)).toBeNull();
  });

  it('a symlink: notFolder; writable by others: groupWritable (and not repaired by looking)', async () => {
    await mkdir(join(home, 'elsewhere'), { mode: 0o700 });
    await symlink(join(home, 'elsewhere'), store);
    expect(await fs.storeProblem?.(store)).toBe('notFolder');
    await rm(store);
    await mkdir(store);
    await chmod(store, 0o777);
    expect(await fs.storeProblem?.(store)).toBe('groupWritable');
    expect(await fs.storeProblem?.(store)).toBe('groupWritable');
  });

  it.runIf(asRoot)("another uid's folder: foreignOwner", async () => {
    await mkdir(store, { mode: 0o700 });
    await chown(store, NOBODY, NOBODY);
    expect(await fs.storeProblem?.(store)).toBe('foreignOwner');
  });

  it('a PM2_HOME that others may write without the sticky bit: homeUnsafe; sticky, or 0755: used', async () => {
    await mkdir(store, { mode: 0o700 });
    await chmod(home, 0o777);
    expect(await fs.storeProblem?.(store)).toBe('homeUnsafe');
    expect(await fs.readText(join(store, 'list-v1.json'))).toBeNull();
    expect(await fs.writeText(join(store, 'list-v1.json'), 'x')).toBe(false);
    await chmod(home, 0o1777);
    expect(await fs.storeProblem?.(store)).toBeNull();
    await chmod(home, 0o755);
    expect(await fs.storeProblem?.(store)).toBeNull();
    expect(await fs.writeText(join(store, 'list-v1.json'), 'x')).toBe(true);
  });

  it.runIf(asRoot)('a PM2_HOME of another uid (not root): homeUnsafe', async () => {
    await mkdir(store, { mode: 0o700 });
    await chown(home, NOBODY, NOBODY);
    expect(await fs.storeProblem?.(store)).toBe('homeUnsafe');
  });

  it('NODE_DEBUG=pm2-self names the reason', async () => {
    await mkdir(join(home, 'elsewhere'), { mode: 0o700 });
    await symlink(join(home, 'elsewhere'), store);
    const module = resolve(import.meta.dirname, '../../src/ports/store-files.ts');
    const script = `import(${JSON.stringify(module)}).then((m) => m.storeProblemSafely(${JSON.stringify(store)})).then((p) => console.log(p));`;
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '-e', script], {
      env: { ...process.env, NODE_DEBUG: 'pm2-self' },
      cwd: resolve(import.meta.dirname, '../..'),
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('notFolder');
    expect(stderr).toMatch(/PM2-SELF \d+: daemon\.store notFolder: .*pm2-self is not used/);
  });
});
