/**
 * The store against real files: symlinks, FIFOs, folders in place of files, empty, junk and huge
 * files, a foreign owner and a loose umask. Nothing outside the store is ever written, no read
 * blocks, and an untrusted folder is not used.
 */
import { execFile } from 'node:child_process';
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSafely,
  listSafely,
  modifiedSafely,
  readSafely,
  removeSafely,
  STORE_READ_BUDGET_MS,
  storeProblem,
  sweepTemporaries,
  writeSafely,
} from '../../src/ports/store-files.js';
import { createNodeFileSystem } from '../../src/ports/node-ports.js';

const run = promisify(execFile);
const NOBODY = 65534;
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let home: string;
let store: string;
let outside: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'pm2-self-store-'));
  store = join(home, 'pm2-self');
  outside = join(home, 'outside.txt');
  await writeFile(outside, 'precious');
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('symlinks', () => {
  it('a symlink at the file is never read and is replaced, not followed, on write', async () => {
    await mkdir(store, { mode: 0o700 });
    await symlink(outside, join(store, 'list-v1.json'));
    expect(await readSafely(join(store, 'list-v1.json'))).toBeNull();
    expect(await writeSafely(join(store, 'list-v1.json'), '{"a":1}')).toBe(true);
    expect(await readFile(outside, 'utf8')).toBe('precious');
    expect(await readSafely(join(store, 'list-v1.json'))).toBe('{"a":1}');
  });

  it("a symlink at an older release's temp name is not written through", async () => {
    await mkdir(store, { mode: 0o700 });
    await symlink(outside, join(store, `list-v1.json.${process.pid}.tmp`));
    expect(await writeSafely(join(store, 'list-v1.json'), 'new')).toBe(true);
    expect(await readFile(outside, 'utf8')).toBe('precious');
  });

  it('a symlink at the claim is not taken for a free claim and not followed', async () => {
    await mkdir(store, { mode: 0o700 });
    await symlink(outside, join(store, 'list-v1.json.lock'));
    expect(await createSafely(join(store, 'list-v1.json.lock'), 'claim')).toBe(false);
    expect(await readSafely(join(store, 'list-v1.json.lock'))).toBeNull();
    expect(await readFile(outside, 'utf8')).toBe('precious');
  });

  it('a symlink in place of the store folder or a subfolder makes it unused', async () => {
    const elsewhere = join(home, 'elsewhere');
    await mkdir(elsewhere, { mode: 0o700 });
    await symlink(elsewhere, store);
    expect(await storeProblem(join(store, 'list-v1.json'), true)).toBe('notFolder');
    expect(await writeSafely(join(store, 'list-v1.json'), 'x')).toBe(false);
    expect(await createSafely(join(store, 'turns', 'slot'), 'x')).toBe(false);
    expect(await listSafely(store)).toBeNull();
    expect(await readdir(elsewhere)).toEqual([]);

    await rm(store);
    await mkdir(store, { mode: 0o700 });
    await symlink(elsewhere, join(store, 'turns'));
    expect(await writeSafely(join(store, 'turns', 'a-0.json'), 'x')).toBe(false);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('removing a symlink removes the link only', async () => {
    await mkdir(store, { mode: 0o700 });
    await symlink(outside, join(store, 'restart-0.json'));
    expect(await removeSafely(join(store, 'restart-0.json'))).toBe(true);
    expect(await readFile(outside, 'utf8')).toBe('precious');
  });
});

describe('files that are not small regular files', () => {
  it('a FIFO is refused at once, never waited on, and never taken for a free claim', async () => {
    await mkdir(store, { mode: 0o700 });
    const fifo = join(store, 'list-v1.json');
    await run('mkfifo', [fifo]);
    const started = performance.now();
    expect(await readSafely(fifo)).toBeNull();
    expect(performance.now() - started).toBeLessThan(STORE_READ_BUDGET_MS);
    expect(await createSafely(fifo, 'claim')).toBe(false);
    expect(await writeSafely(fifo, 'list')).toBe(true);
    expect(await readSafely(fifo)).toBe('list');
  });

  it('a folder in place of a file: unread, not claimed, and moved aside by the next write (no temp file left)', async () => {
    await mkdir(join(store, 'list-v1.json'), { recursive: true, mode: 0o700 });
    await chmod(store, 0o700);
    expect(await readSafely(join(store, 'list-v1.json'))).toBeNull();
    expect(await createSafely(join(store, 'list-v1.json'), 'x')).toBe(false);
    expect(await readdir(store)).toEqual(['list-v1.json']);
    // Sharing does not stay off for good: the write moves the (empty) folder away and the file is there.
    expect(await writeSafely(join(store, 'list-v1.json'), 'x')).toBe(true);
    expect(await readSafely(join(store, 'list-v1.json'))).toBe('x');
    expect(await readdir(store)).toEqual(['list-v1.json']);
  });

  it('a folder with content planted at the list is moved aside whole, never emptied', async () => {
    await mkdir(join(store, 'list-v1.json'), { recursive: true, mode: 0o700 });
    await chmod(store, 0o700);
    await writeFile(join(store, 'list-v1.json', 'theirs'), 'kept');
    expect(await writeSafely(join(store, 'list-v1.json'), 'x')).toBe(true);
    expect(await readSafely(join(store, 'list-v1.json'))).toBe('x');
    const aside = (await readdir(store)).filter((name) => name.endsWith('.aside'));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(store, aside[0] as string, 'theirs'), 'utf8')).toBe('kept');
  });

  it('empty and junk files are read as they are (the decoders judge them)', async () => {
    await mkdir(store, { mode: 0o700 });
    await writeFile(join(store, 'a'), '');
    await writeFile(join(store, 'b'), Buffer.from([0xff, 0x00, 0x7b]));
    expect(await readSafely(join(store, 'a'))).toBe('');
    expect(typeof (await readSafely(join(store, 'b')))).toBe('string');
  });

  it('a 100 MB file is refused unread, quickly', async () => {
    await mkdir(store, { mode: 0o700 });
    const huge = join(store, 'list-v1.json');
    await writeFile(huge, '');
    await truncate(huge, 100 * 1024 * 1024);
    const started = performance.now();
    expect(await readSafely(huge)).toBeNull();
    expect(performance.now() - started).toBeLessThan(STORE_READ_BUDGET_MS);
  });
});

describe('owners and modes', () => {
  it('under umask 0 the folders are 0700 and the files 0600', async () => {
    const before = process.umask(0);
    try {
      expect(await writeSafely(join(store, 'list-v1.json'), 'x')).toBe(true);
      expect(await createSafely(join(store, 'turns', 'slot-1.json'), 'y')).toBe(true);
    } finally {
      process.umask(before);
    }
    expect(await modeOf(store)).toBe(0o700);
    expect(await modeOf(join(store, 'turns'))).toBe(0o700);
    expect(await modeOf(join(store, 'list-v1.json'))).toBe(0o600);
    expect(await modeOf(join(store, 'turns', 'slot-1.json'))).toBe(0o600);
  });

  it("this uid's folder left group-writable is not read until a writer takes it back to 0700", async () => {
    await mkdir(store);
    await chmod(store, 0o777);
    await writeFile(join(store, 'list-v1.json'), 'planted');
    expect(await storeProblem(join(store, 'list-v1.json'), false)).toBe('groupWritable');
    expect(await readSafely(join(store, 'list-v1.json'))).toBeNull();
    expect(await writeSafely(join(store, 'list-v1.json'), 'mine')).toBe(true);
    expect(await modeOf(store)).toBe(0o700);
    expect(await readSafely(join(store, 'list-v1.json'))).toBe('mine');
  });

  it.runIf(asRoot)('a folder of another uid is not used (foreignOwner)', async () => {
    await mkdir(store, { mode: 0o700 });
    await writeFile(join(store, 'list-v1.json'), 'theirs');
    await chown(store, NOBODY, NOBODY);
    expect(await storeProblem(join(store, 'list-v1.json'), true)).toBe('foreignOwner');
    expect(await readSafely(join(store, 'list-v1.json'))).toBeNull();
    expect(await writeSafely(join(store, 'list-v1.json'), 'x')).toBe(false);
    expect(await readFile(join(store, 'list-v1.json'), 'utf8')).toBe('theirs');
  });

  it.runIf(asRoot)("a file of another uid inside this uid's folder is not read", async () => {
    await mkdir(store, { mode: 0o700 });
    await writeFile(join(store, 'restart-0.json'), '{}');
    await chown(join(store, 'restart-0.json'), NOBODY, NOBODY);
    expect(await readSafely(join(store, 'restart-0.json'))).toBeNull();
  });
});

describe("a file's time without reading it (the heartbeat)", () => {
  it('a regular file of this uid gives its mtime; a symlink, FIFO, folder or missing file gives null', async () => {
    await mkdir(store, { mode: 0o700 });
    const beat = join(store, 'alive-v1.json');
    expect(await modifiedSafely(beat)).toBeNull();
    await writeSafely(beat, '{}');
    expect(await modifiedSafely(beat)).toBe((await stat(beat)).mtimeMs);
    await rm(beat);
    await symlink(outside, beat);
    expect(await modifiedSafely(beat)).toBeNull();
    await rm(beat);
    await run('mkfifo', [beat]);
    expect(await modifiedSafely(beat)).toBeNull();
    await rm(beat);
    await mkdir(beat, { mode: 0o700 });
    expect(await modifiedSafely(beat)).toBeNull();
  });

  it('in a group-writable or symlinked store folder: null', async () => {
    await mkdir(store);
    await writeFile(join(store, 'alive-v1.json'), '{}');
    await chmod(store, 0o777);
    expect(await modifiedSafely(join(store, 'alive-v1.json'))).toBeNull();
    const elsewhere = join(home, 'elsewhere');
    await mkdir(elsewhere, { mode: 0o700 });
    await writeFile(join(elsewhere, 'alive-v1.json'), '{}');
    await rm(store, { recursive: true });
    await symlink(elsewhere, store);
    expect(await modifiedSafely(join(store, 'alive-v1.json'))).toBeNull();
  });

  it.runIf(asRoot)("a file of another uid inside this uid's folder: null", async () => {
    await mkdir(store, { mode: 0o700 });
    await writeFile(join(store, 'alive-v1.json'), '{}');
    await chown(join(store, 'alive-v1.json'), NOBODY, NOBODY);
    expect(await modifiedSafely(join(store, 'alive-v1.json'))).toBeNull();
  });
});

describe('writes', () => {
  it('a claim is created complete or not at all, and only once', async () => {
    const claim = join(store, 'list-v1.json.lock');
    expect(await createSafely(claim, '{"pid":1}')).toBe(true);
    expect(await createSafely(claim, '{"pid":2}')).toBe(false);
    expect(await readSafely(claim)).toBe('{"pid":1}');
    expect(await readdir(store)).toEqual(['list-v1.json.lock']);
  });

  it('temp files of dead writers are swept; those of live ones stay', async () => {
    await mkdir(store, { mode: 0o700 });
    const child = execFile('true');
    await new Promise((resolve) => child.on('exit', resolve));
    const dead = `list-v1.json.${child.pid}.0123456789abcdef.tmp`;
    const older = `restart-0.json.${child.pid}.tmp`;
    const live = `list-v1.json.${process.pid}.0123456789abcdef.tmp`;
    for (const name of [dead, older, live]) await writeFile(join(store, name), 'x');
    expect(await sweepTemporaries(store)).toBe(2);
    expect(await readdir(store)).toEqual([live]);
  });
});

describe('the node file-system port goes through the store', () => {
  it('umask 0, a symlink at the temp name and a FIFO at the list: nothing loose, nothing followed, no hang', async () => {
    const fs = createNodeFileSystem();
    const before = process.umask(0);
    try {
      await mkdir(store);
      await symlink(outside, join(store, `list-v1.json.${process.pid}.tmp`));
      await fs.writeText(join(store, 'list-v1.json'), 'list');
      expect(await fs.createExclusive?.(join(store, 'turns', 'slot-1.json'), 'lease')).toBe(true);
    } finally {
      process.umask(before);
    }
    expect(await readFile(outside, 'utf8')).toBe('precious');
    expect(await modeOf(store)).toBe(0o700);
    expect(await modeOf(join(store, 'turns'))).toBe(0o700);
    expect(await modeOf(join(store, 'turns', 'slot-1.json'))).toBe(0o600);
    await rm(join(store, 'list-v1.json'), { force: true });
    await run('mkfifo', [join(store, 'list-v1.json')]);
    const reading = fs.readText(join(store, 'list-v1.json'));
    const late = new Promise((resolve) =>
      setTimeout(() => resolve('hung'), 2 * STORE_READ_BUDGET_MS).unref(),
    );
    expect(await Promise.race([reading, late])).toBeNull();
  });
});
