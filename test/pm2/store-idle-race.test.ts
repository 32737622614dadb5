/**
 * Issue 18, under a real pm2 (one daemon, both pmx variants side by side): 2 processes of an app that
 * are idle longer than `cacheTtlMs` + `queryTimeoutMs` between questions ask at the same instant, again
 * and again, while the daemon takes a moment to answer (paused 400 ms from just before each instant,
 * as a busy host does). The one that does not get the claim waits for the other's answer: no answer is
 * a `timeout` about the daemon, which answers within the budget every time.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import { PM2_SELF_DIST, sleep } from '../apps/restart/harness.js';
import { readAnswers } from '../apps/store/answers.js';

const POLLER = resolve(import.meta.dirname, '../apps/store/poller.cjs');
/** The instants the apps ask at (multiples of it, by the wall clock), and the budget they ask with. */
const ALIGN_MS = 4_000;
const QUERY_TIMEOUT_MS = 2_000;
const ROUNDS = 4;

interface Answer {
  pid: number;
  instance: string | null;
  at?: number;
  status?: string | null;
  daemon?: { ok: boolean; problem?: string } | null;
}

describe('processes idle past the budget, asking at the same instant', () => {
  let sandbox: Pm2Sandbox;
  const answersFile = (name: string) => join(sandbox.home, `answers-${name}.jsonl`);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-idle-race-');
    const apps = PMX_VARIANTS.map(({ suffix, pmx }) => ({
      name: `idle${suffix}`,
      script: POLLER,
      cwd: sandbox.home,
      env: {
        PM2_SELF_DIST,
        ANSWERS_FILE: answersFile(`idle${suffix}`),
        ALIGN_MS: String(ALIGN_MS),
        QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      },
      instances: 2,
      ...pmx,
    }));
    const file = join(sandbox.home, 'ecosystem.json');
    await writeFile(file, JSON.stringify({ apps }, null, 2));
    await sandbox.pm2(['start', file]);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('the daemon slow for a moment: both get its answer, never a timeout (both pmx variants)', async () => {
    const daemonPid = await sandbox.daemonPid();
    expect(daemonPid).not.toBeNull();
    // Every process has asked once (unaligned, at its start): from here on they ask together.
    for (const until = Date.now() + 30_000; Date.now() < until; await sleep(200)) {
      const seen = await Promise.all(
        PMX_VARIANTS.map(
          async ({ suffix }) => (await readAnswers<Answer>(answersFile(`idle${suffix}`))).length,
        ),
      );
      if (seen.every((count) => count >= 2)) break;
    }
    const from = Date.now();
    for (let round = 0; round < ROUNDS; round += 1) {
      const instant = Math.ceil((Date.now() + 500) / ALIGN_MS) * ALIGN_MS;
      await sleep(instant - 100 - Date.now());
      process.kill(daemonPid as number, 'SIGSTOP');
      try {
        await sleep(instant + 400 - Date.now());
      } finally {
        process.kill(daemonPid as number, 'SIGCONT');
      }
    }
    await sleep(QUERY_TIMEOUT_MS);
    for (const { suffix } of PMX_VARIANTS) {
      const all = (await readAnswers<Answer>(answersFile(`idle${suffix}`))).filter(
        (a) => (a.at ?? 0) >= from,
      );
      // Each of the 2 processes answered in every round.
      for (const instance of ['0', '1'])
        expect(all.filter((a) => a.instance === instance).length).toBeGreaterThanOrEqual(ROUNDS);
      expect(all.filter((a) => a.status !== 'online' || a.daemon?.ok !== true)).toEqual([]);
    }
  }, 60_000);
});
