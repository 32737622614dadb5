/**
 * Issue 22, item 3: a cluster worker whose code runs never says `launching` about itself. pm2 marks a
 * worker online on Node's cluster `online` event, which can come after the worker's code first asks;
 * that worker is running all the same. 20 starts of a 2-instance cluster with a renamed
 * `instance_var`, both pmx variants at once: every worker's first getStatus() is `online`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import { PM2_SELF_DIST } from '../apps/restart/harness.js';

const APP = resolve(import.meta.dirname, '../apps/first-status/app.cjs');
const STARTS = 20;

interface FirstAnswer {
  pid: number;
  instance: string | null;
  status: string | null;
}

async function readAnswers(file: string): Promise<FirstAnswer[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as FirstAnswer);
}

async function waitForAnswers(file: string, count: number): Promise<FirstAnswer[]> {
  for (const until = Date.now() + 30_000; Date.now() < until;) {
    const answers = await readAnswers(file);
    if (answers.length >= count) return answers;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${file}: fewer than ${count} answers within 30 s: ${JSON.stringify(await readAnswers(file))}`,
  );
}

describe('a cluster worker never says launching about itself (real pm2)', () => {
  let sandbox: Pm2Sandbox;
  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-first-status-');
  }, 30_000);
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it(`${STARTS} starts of a 2-instance cluster: every worker's first getStatus() is online`, async () => {
    const wrong: string[] = [];
    for (let start = 0; start < STARTS; start += 1) {
      const file = (suffix: string) => join(sandbox.home, `start-${start}${suffix}.jsonl`);
      const apps = PMX_VARIANTS.map((variant) => ({
        name: `cluster${variant.suffix}`,
        script: APP,
        cwd: sandbox.home,
        exec_mode: 'cluster',
        instances: 2,
        instance_var: 'WORKER_ID',
        ...variant.pmx,
        env: { PM2_SELF_DIST, EVENTS_FILE: file(variant.suffix) },
      }));
      const ecosystem = join(sandbox.home, `ecosystem-${start}.json`);
      await writeFile(ecosystem, JSON.stringify({ apps }));
      await sandbox.pm2(['start', ecosystem]);
      for (const variant of PMX_VARIANTS) {
        const answers = await waitForAnswers(file(variant.suffix), 2);
        expect(answers.map((a) => a.instance).sort()).toEqual(['0', '1']);
        for (const answer of answers)
          if (answer.status !== 'online')
            wrong.push(`start ${start} ${variant.label}: ${JSON.stringify(answer)}`);
      }
      await sandbox.pm2(['delete', 'all']);
    }
    expect(wrong).toEqual([]);
  }, 240_000);
});
