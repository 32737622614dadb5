/**
 * The store's folders: found from a path, made `0700` whatever the umask, checked (a real folder, this
 * uid's, not writable by group or others) and swept of dead writers' temp files.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { debug } from '../common/debug.js';
import type { StoreProblem } from './ports.js';
import { sweepableTemporaries } from './store-temporaries.js';

/** Name of the store folder inside `PM2_HOME`. */
export const STORE_FOLDER = 'pm2-self';

export type { StoreProblem } from './ports.js';

/** The store folder a path lies in (`…/pm2-self`), or null for a path outside any store. */
export function storeRootOf(path: string): string | null {
  const parts = dirname(path).split(sep);
  const at = parts.lastIndexOf(STORE_FOLDER);
  return at <= 0 ? null : parts.slice(0, at + 1).join(sep);
}

/** The folders from the store root down to `dir` (root first). */
function foldersFrom(root: string, dir: string): string[] {
  const folders = [root];
  const rest = dir
    .slice(root.length)
    .split(sep)
    .filter((part) => part !== '');
  for (const part of rest) folders.push(join(folders.at(-1) as string, part));
  return folders;
}

/** This process's uid, or null where the platform has none. */
export const ownUid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);
const reported = new Set<string>();
const swept = new Set<string>();

function report(folder: string, problem: StoreProblem): StoreProblem {
  const key = `${folder}\0${problem}`;
  if (!reported.has(key)) {
    reported.add(key);
    debug('daemon.store %s: %s is not used; each process asks the daemon itself', problem, folder);
  }
  return problem;
}

/** Checks one folder: a real folder (not a symlink), this uid's, not writable by group or others. */
async function checkFolder(folder: string, repair: boolean): Promise<StoreProblem | null | 'missing'> {
  let stats;
  try {
    stats = await lstat(folder);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : report(folder, 'unusable');
  }
  if (!stats.isDirectory()) return report(folder, 'notFolder');
  const uid = ownUid();
  if (uid !== null && stats.uid !== uid) return report(folder, 'foreignOwner');
  if ((stats.mode & 0o077) !== 0) {
    // This uid's folder, made by an older release under a loose umask: a writer takes it back to 0700;
    // until then, what others may have put in it is not read.
    if (!repair && (stats.mode & 0o022) !== 0) return report(folder, 'groupWritable');
    if (
      repair &&
      (await chmod(folder, 0o700).then(
        () => true,
        () => false,
      )) === false
    )
      return report(folder, 'groupWritable');
  }
  return null;
}

/**
 * Checks the folder holding the store (`PM2_HOME`, its link followed): another user who can rename
 * entries in it could swap the store folder between a check and a use. It must be this uid's or
 * root's, and not writable by group or others unless sticky (as `/tmp` is).
 */
async function checkHome(home: string): Promise<StoreProblem | 'missing' | null> {
  let stats;
  try {
    stats = await stat(home);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : report(home, 'unusable');
  }
  const uid = ownUid();
  if (uid !== null && stats.uid !== uid && stats.uid !== 0) return report(home, 'homeUnsafe');
  const sticky = (stats.mode & 0o1000) !== 0;
  return (stats.mode & 0o022) !== 0 && !sticky ? report(home, 'homeUnsafe') : null;
}

/** Read-only looks in flight, by the deepest folder: callers at the same moment share one look. */
const looking = new Map<string, Promise<StoreProblem | 'missing' | null>>();

/**
 * The read-only check: the home and every folder are looked at at once (one round of the file system's
 * threads instead of one per level), and a look already in flight for the same folders is shared; the
 * first problem from the home down is the answer.
 */
function lookAtFolders(root: string, folders: string[]): Promise<StoreProblem | 'missing' | null> {
  const key = folders.at(-1) as string;
  const shared = looking.get(key);
  if (shared !== undefined) return shared;
  const look = Promise.all([checkHome(dirname(root)), ...folders.map((folder) => checkFolder(folder, false))])
    .then((found) => found.find((problem) => problem !== null) ?? null)
    .finally(() => looking.delete(key));
  looking.set(key, look);
  return look;
}

/**
 * Why the store folders holding `path` cannot be used, or null when they can. With `create`, missing
 * folders are made `0700` (chmod after mkdir, whatever the umask) and dead writers' temp files swept.
 */
export async function storeProblem(path: string, create: boolean): Promise<StoreProblem | 'missing' | null> {
  const root = storeRootOf(path);
  if (root === null) return null;
  if (!create) return lookAtFolders(root, foldersFrom(root, dirname(path)));
  const home = await checkHome(dirname(root));
  if (home !== null) return home;
  for (const folder of foldersFrom(root, dirname(path))) {
    let problem = await checkFolder(folder, create);
    if (problem === 'missing' && create) {
      await mkdir(folder, { mode: 0o700 }).catch(() => undefined);
      await chmod(folder, 0o700).catch(() => undefined);
      problem = await checkFolder(folder, create);
    }
    if (problem !== null) return problem;
    if (create && !swept.has(folder)) {
      swept.add(folder);
      await sweepTemporaries(folder);
    }
  }
  return null;
}

/**
 * Moves a folder found where the store keeps a file out of the way (to `<file>.<pid>.<random>.aside`,
 * removed when empty), as junk would be replaced: a folder planted at `list-v1.json` must not switch
 * sharing off for good. True when a folder was moved.
 */
export async function moveFolderAside(path: string): Promise<boolean> {
  const stats = await lstat(path).catch(() => null);
  if (stats === null || !stats.isDirectory()) return false;
  const aside = `${path}.${process.pid}.${randomBytes(8).toString('hex')}.aside`;
  if (
    !(await rename(path, aside).then(
      () => true,
      () => false,
    ))
  )
    return false;
  debug('daemon.store a folder at %s was moved aside to %s', path, aside);
  await rmdir(aside).catch(() => undefined);
  return true;
}

/** Removes the temp files of writers that are no longer alive. */
export async function sweepTemporaries(folder: string): Promise<number> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const dead = sweepableTemporaries(names, (pid) => pid !== process.pid && !isAlive(pid));
  await Promise.all(dead.map((name) => unlink(join(folder, name)).catch(() => undefined)));
  return dead.length;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
