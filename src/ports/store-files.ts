/**
 * The store: every file pm2-self reads or writes under `$PM2_HOME/pm2-self/` goes through here.
 * Reads never follow a symlink, never block on a non-regular file and are capped in size and time;
 * writes go to an exclusive temp file with a random name and are renamed into place; folders are
 * `0700` and files `0600` whatever the umask. A store folder that is not this uid's, or that
 * group or others may write, is not used: the caller sees a failed read or write and asks the daemon
 * itself (see docs/files-and-permissions.md).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { StampedFile, StoreProblem } from './ports.js';
import { join } from 'node:path';
import { moveFolderAside, ownUid, storeProblem, storeRootOf } from './store-folders.js';

export {
  STORE_FOLDER,
  storeProblem,
  storeRootOf,
  sweepTemporaries,
  type StoreProblem,
} from './store-folders.js';

/** Largest file the store reads (8 MiB); a larger one is refused unread. */
export const STORE_READ_CAP_BYTES = 8 * 1024 * 1024;
/** Longest a read waits on the file system before it counts as unreadable. */
export const STORE_READ_BUDGET_MS = 500;
/** Longest a write (and so an exit that writes a record) waits on the file system. */
export const STORE_WRITE_BUDGET_MS = 1000;
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const CHUNK_BYTES = 64 * 1024;

/** Resolves `fallback` when `work` takes longer than `budgetMs`; the late result is dropped. */
export function withinBudget<T>(work: Promise<T>, budgetMs: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), budgetMs);
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

/** Reads a regular file of at most the cap, never following a symlink nor waiting on a FIFO. */
async function readRegular(path: string, ownerOnly: boolean): Promise<string | null> {
  const handle = await open(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > STORE_READ_CAP_BYTES) return null;
    const uid = ownUid();
    if (ownerOnly && uid !== null && stats.uid !== uid) return null;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > STORE_READ_CAP_BYTES) return null;
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * A small text file, or null when it is missing, not a regular file, too large, not read within the
 * budget, or (inside the store) in an untrusted folder or not this uid's.
 */
export function readSafely(path: string): Promise<string | null> {
  const inStore = storeRootOf(path) !== null;
  const work = (async () => {
    if (inStore && (await storeProblem(path, false)) !== null) return null;
    return readRegular(path, inStore);
  })();
  return withinBudget(work, STORE_READ_BUDGET_MS, null);
}

/** Writes `text` to a new exclusive temp file beside `path` (`0600`, never followed); its name. */
async function writeTemporary(path: string, text: string): Promise<string> {
  const temporary = `${path}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
  const handle = await open(temporary, flags, 0o600);
  try {
    await handle.writeFile(text, 'utf8');
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return temporary;
}

/** Writes a whole file by temp file and rename; false on failure or past the write budget. */
export function writeSafely(path: string, text: string): Promise<boolean> {
  const work = (async () => {
    if ((await storeProblem(path, true)) !== null) return false;
    const temporary = await writeTemporary(path, text);
    try {
      await rename(temporary, path);
      return true;
    } catch {
      // A folder in the file's place is moved aside once, as junk would be replaced.
      if (
        (await moveFolderAside(path)) &&
        (await rename(temporary, path).then(
          () => true,
          () => false,
        ))
      )
        return true;
      await unlink(temporary).catch(() => undefined);
      return false;
    }
  })();
  return withinBudget(work, STORE_WRITE_BUDGET_MS, false);
}

/**
 * Creates `path` complete or not at all, only when nothing is there: the temp file is written whole,
 * then hard-linked to the name (which fails when any entry, a symlink too, already has it).
 */
export function createSafely(path: string, text: string): Promise<boolean> {
  const work = (async () => {
    if ((await storeProblem(path, true)) !== null) return false;
    const temporary = await writeTemporary(path, text);
    try {
      await link(temporary, path);
      return true;
    } catch {
      return false;
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
  })();
  return withinBudget(work, STORE_WRITE_BUDGET_MS, false);
}

/** Removes a file (a symlink itself, never its target); true when nothing is left at the path. */
export function removeSafely(path: string): Promise<boolean> {
  const work = (async () => {
    if ((await storeProblem(path, false)) !== null) return false;
    try {
      await unlink(path);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT';
    }
  })();
  return withinBudget(work, STORE_WRITE_BUDGET_MS, false);
}

/** The names in a folder (null when it cannot be listed or is an untrusted store folder). */
export function listSafely(dir: string): Promise<string[] | null> {
  const work = (async () => {
    if ((await storeProblem(join(dir, 'entry'), false)) !== null) return null;
    return readdir(dir);
  })();
  return withinBudget(work, STORE_READ_BUDGET_MS, null);
}

/** Why the store folder `dir` is not used (see `FileSystem.storeProblem`); `unusable` past the read budget. */
export function storeProblemSafely(dir: string): Promise<StoreProblem | null> {
  const work = storeProblem(join(dir, 'entry'), false).then((problem) =>
    problem === 'missing' ? null : problem,
  );
  return withinBudget<StoreProblem | null>(work, STORE_READ_BUDGET_MS, 'unusable');
}

const stampOf = (stats: Stats) => `${stats.dev}:${stats.ino}:${stats.mtimeMs}`;

/** A file's text, time and stamp (see `FileSystem.readStamped`); null when nothing is there. */
export function readStampedSafely(path: string): Promise<StampedFile | null> {
  const work = (async (): Promise<StampedFile | null> => {
    if ((await storeProblem(path, false)) !== null) return null;
    let stats: Stats;
    try {
      stats = await lstat(path);
    } catch {
      return null;
    }
    const text = stats.isFile() ? await readRegular(path, true).catch(() => null) : null;
    return { text, modifiedAt: stats.mtimeMs, stamp: stampOf(stats) };
  })();
  return withinBudget(work, STORE_READ_BUDGET_MS, null);
}

/**
 * When a regular file of this uid was last modified (epoch ms), from one `lstat` (no open, no read):
 * null when nothing usable is there, or it lies in an untrusted store folder (checked at the same time).
 */
export function modifiedSafely(path: string): Promise<number | null> {
  const work = (async () => {
    const [problem, stats] = await Promise.all([
      storeRootOf(path) === null ? null : storeProblem(path, false),
      lstat(path),
    ]);
    const uid = ownUid();
    if (problem !== null || !stats.isFile() || (uid !== null && stats.uid !== uid)) return null;
    return stats.mtimeMs;
  })();
  return withinBudget(work, STORE_READ_BUDGET_MS, null);
}

/**
 * Takes over an abandoned claim by moving it aside: a claim made anew by another process in between
 * is put back, never removed (see `FileSystem.replaceAbandoned`).
 */
export function replaceAbandonedSafely(path: string, stamp: string): Promise<boolean> {
  const work = (async () => {
    if ((await storeProblem(path, false)) !== null) return false;
    const aside = `${path}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
    try {
      await rename(path, aside);
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT';
    }
    const moved = await lstat(aside).catch(() => null);
    if (moved !== null && stampOf(moved) !== stamp) {
      await link(aside, path).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      return false;
    }
    await unlink(aside).catch(() => undefined);
    return true;
  })();
  return withinBudget(work, STORE_WRITE_BUDGET_MS, false);
}
