/**
 * Reads the task log the cluster-reload app writes, and checks it: for each pid, every begun task
 * must have ended in that same pid (before its exit line, if it has one).
 */
import { readFile } from 'node:fs/promises';

/** @returns {Promise<Map<number, { begun: string[], ended: string[], lines: string[] }>>} */
export async function readTaskLog(path) {
  const text = await readFile(path, 'utf8').catch(() => '');
  const byPid = new Map();
  for (const line of text.split('\n')) {
    const match = /^(\d+) (\S+)(?: (.*))?$/.exec(line);
    if (!match) continue;
    const pid = Number(match[1]);
    const entry = byPid.get(pid) ?? { begun: [], ended: [], lines: [] };
    if (match[2] === 'begin') entry.begun.push(match[3]);
    if (match[2] === 'end') entry.ended.push(match[3]);
    entry.lines.push(`${match[2]}${match[3] ? ` ${match[3]}` : ''}`);
    byPid.set(pid, entry);
  }
  return byPid;
}

/** Tasks begun by `pid` without an `end` line by `pid` before its exit. */
export function lostTasks(entry) {
  const exitAt = entry.lines.findIndex((l) => l.startsWith('exit'));
  const upToExit = exitAt === -1 ? entry.lines : entry.lines.slice(0, exitAt);
  const ended = new Set(upToExit.filter((l) => l.startsWith('end ')).map((l) => l.slice(4)));
  return entry.begun.filter((id) => !ended.has(id));
}
