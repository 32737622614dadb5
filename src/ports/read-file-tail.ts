/**
 * Reads the end of a file outside the store (pm2's own daemon log): a regular file only, never
 * following a symlink nor waiting on a FIFO, at most `maxBytes` from its end, within a time budget.
 * @module
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { withinBudget } from './store-files.js';

/** How much of pm2's daemon log is read: its last lines, where a new process's `online` line is. */
export const DAEMON_LOG_TAIL_BYTES = 64 * 1024;
/** Longest the read waits on the file system. */
const TAIL_BUDGET_MS = 500;

async function readTail(path: string, maxBytes: number): Promise<string | null> {
  const handle = await open(
    path,
    constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
  );
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return null;
    const length = Math.min(maxBytes, stats.size);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, stats.size - length);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The last `maxBytes` of the file at `path` as text, or null when it cannot be read in time. */
export function readFileTail(path: string, maxBytes: number): Promise<string | null> {
  return withinBudget(readTail(path, maxBytes), TAIL_BUDGET_MS, null);
}
