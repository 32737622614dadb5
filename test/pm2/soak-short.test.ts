/**
 * The short soak (scripts/soak.mjs --short) as a test: ~20 s of random restart requests, cancels,
 * `pm2 restart` / `pm2 reload`, and kill -9 against a private pm2 daemon running the BUILT package
 * (`npm test` builds first). The script checks its own invariants; this test asserts its exit code
 * and every printed invariant, and re-checks the key counts from its JSON summary.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cleanEnv } from '../helpers/pm2-sandbox.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SOAK = resolve(ROOT, 'scripts/soak.mjs');

interface SoakResult {
  ok: boolean;
  seed: number;
  tasks: {
    begun: number;
    completedOnce: number;
    inFlightAtKill9: number;
    cutByLibrary: number;
    cutByPm2: number;
    cutAtFinalKill: number;
    lost: number;
    inconsistent: number;
  };
  requests: { sent: number; answered: number; statuses: Record<string, number>; cancelAttempts: number };
  groups: {
    opened: number;
    cancelled: number;
    lost: number;
    overlapping: number;
    unrequested: number;
    failed: number;
  };
  failures: { unexpected: number; handedToReload: number };
  libraryRestartsObserved: number;
  libraryRestartsExpected: number;
  cli: number;
  kills: number;
  invariants: Record<string, boolean>;
  error: string | null;
}

describe('soak (short) under a real pm2', () => {
  it(
    'keeps every invariant through restarts, cancels, pm2 restart/reload and kill -9',
    { timeout: 150_000 },
    async () => {
      expect(
        existsSync(resolve(ROOT, 'dist/index.cjs')),
        'dist/index.cjs is missing: run `npm run build` (npm test does)',
      ).toBe(true);
      const started = Date.now();
      const run = await execa(process.execPath, [SOAK, '--short'], {
        cwd: ROOT,
        env: cleanEnv(),
        extendEnv: false,
        reject: false,
        timeout: 140_000,
        stdin: 'ignore',
      });
      const elapsed = Date.now() - started;
      const output = `${run.stdout}\n${run.stderr}`;
      const lines = run.stdout.split('\n');

      const invariants = lines.filter((line) => line.startsWith('INVARIANT '));
      const failed = invariants.filter((line) => !/^INVARIANT \S+ PASS /.test(line));
      expect(failed, output).toEqual([]);
      for (const key of [
        'tasks-completed-once',
        'no-task-cut-by-library-restart',
        'no-task-cut-by-pm2-restart',
        'library-restarts-equal-request-groups',
        'no-restart-failures',
        'apps-online',
        'no-stray-daemon',
        'no-orphan-processes',
        'log-intact',
      ]) {
        expect(
          invariants.some((line) => line.startsWith(`INVARIANT ${key} PASS`)),
          `${key} not reported as PASS\n${output}`,
        ).toBe(true);
      }
      expect(run.exitCode, output).toBe(0);

      const json = lines.find((line) => line.startsWith('SOAK-RESULT '));
      expect(json, output).toBeDefined();
      const result = JSON.parse((json ?? '').slice('SOAK-RESULT '.length)) as SoakResult;
      expect(result.ok).toBe(true);
      expect(result.error).toBeNull();
      // Enough happened to mean something.
      expect(result.tasks.begun).toBeGreaterThan(200);
      expect(result.requests.sent).toBeGreaterThanOrEqual(30);
      expect(result.libraryRestartsObserved).toBeGreaterThan(0);
      expect(result.cli).toBeGreaterThanOrEqual(2);
      expect(result.kills).toBeGreaterThanOrEqual(1);
      // The invariants, from the numbers.
      expect(result.tasks.cutByLibrary).toBe(0);
      expect(result.tasks.lost + result.tasks.inconsistent).toBe(0);
      expect(result.tasks.completedOnce + result.tasks.inFlightAtKill9).toBe(result.tasks.begun);
      expect(result.libraryRestartsObserved).toBe(result.libraryRestartsExpected);
      expect(
        result.groups.lost +
          result.groups.overlapping +
          result.groups.unrequested +
          result.failures.unexpected,
      ).toBe(0);
      console.log(
        `soak --short: seed ${result.seed}, ${(elapsed / 1000).toFixed(1)} s, ${result.tasks.begun} tasks, ${result.requests.sent} requests, ${result.libraryRestartsObserved} library restarts`,
      );
    },
  );
});
