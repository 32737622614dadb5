/**
 * The store's folders: found from a path, made `0700` whatever the umask, checked (a real folder, this
 * uid's, not writable by group or others) and swept of dead writers' temp files.
 */
import { chmod, lstat, mkdir, readdir, unlink } from 'node:fs/promises';
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
 * Why the store folders holding `path` cannot be used, or null when they can. With `create`, missing
 * folders are made `0700` (chmod after mkdir, whatever the umask) and dead writers' temp files swept.
 */
export async function storeProblem(path: string, create: boolean): Promise<StoreProblem | 'missing' | null> {
  const root = storeRootOf(path);
  if (root === null) return null;
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
