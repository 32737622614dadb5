/** Test-side reading of the JSON lines poller.cjs appends (one per answer or event). */
import { readFile } from 'node:fs/promises';

/** The lines of `file` parsed, oldest first; none while the file does not exist. */
export async function readAnswers<T>(file: string): Promise<T[]> {
  return (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
