/**
 * A script with nothing else to do awaits `getInfo({ live: true })` while another live process holds
 * the shared list's claim (it is asking the daemon): the call waits for that process's answer, and the
 * script must print its own answer before it exits (the wait polls with unref'd timers; before the fix
 * the process exited with the promise pending). Real daemon in a temporary PM2_HOME; the script runs
 * outside pm2 (no app, so pm2's injection plays no part), the claim is planted by this test's process.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeListSnapshot } from '../../src/daemon/list-snapshot.js';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';

const DIST = resolve(import.meta.dirname, '../../dist/index.cjs');
const TTL_MS = 100;
const QUERY_TIMEOUT_MS = 1500;

/** Waits for `go`, then asks once and says whether the answer came before the exit. */
const SCRIPT = `
const fs = require('node:fs');
const lib = require(process.env.DIST).createPm2Self({ cacheTtlMs: ${TTL_MS}, queryTimeoutMs: ${QUERY_TIMEOUT_MS} });
console.log('ready');
const wait = setInterval(() => {
  if (!fs.existsSync(process.env.GO)) return;
  clearInterval(wait);
  const start = performance.now();
  let answered = false;
  process.on('exit', (code) => console.log(JSON.stringify({ exit: code, pending: !answered })));
  lib.getInfo({ live: true }).then(() => {
    answered = true;
    console.log(JSON.stringify({ answeredAfterMs: Math.round(performance.now() - start) }));
  });
}, 20);
`;

let sandbox: Pm2Sandbox;
beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error('dist/index.cjs is missing: run `npm run build` first');
  sandbox = await createPm2Sandbox('pm2-self-claimwait-');
  await sandbox.pm2(['ping']);
}, 60_000);
afterAll(async () => {
  await sandbox?.dispose();
}, 60_000);

describe('a call waiting on another process keeps the script alive until it settles', () => {
  it('getInfo({ live: true }) with the claim held by a live process: the answer is printed before the exit', async () => {
    const daemonPid = (await sandbox.daemonPid()) as number;
    const go = join(sandbox.home, 'go');
    const child = execa(process.execPath, ['-e', SCRIPT], {
      env: { ...sandbox.env, DIST, GO: go },
      extendEnv: false,
      reject: false,
      timeout: 30_000,
    });
    await new Promise<void>((ready) => child.stdout?.once('data', () => ready()));
    // An answer asked after the script started, old enough that a claimant's refresh is due.
    const store = join(sandbox.home, 'pm2-self');
    await mkdir(store, { recursive: true, mode: 0o700 });
    const now = Date.now();
    const answer = { ok: true as const, entries: [], skipped: 0, via: 'rpc' as const, at: now, askedAt: now };
    await writeFile(join(store, 'list-v1.json'), encodeListSnapshot({ daemonPid, answer }), { mode: 0o600 });
    await new Promise((wait) => setTimeout(wait, TTL_MS + QUERY_TIMEOUT_MS + 300));
    // This test's process (alive) is "asking the daemon right now".
    const claim = JSON.stringify({ pid: process.pid, at: Date.now() });
    await writeFile(join(store, 'list-v1.json.lock'), claim, { mode: 0o600 });
    await writeFile(go, '');
    const { stdout, exitCode } = await child;
    const lines = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(exitCode).toBe(0);
    expect(lines.at(-1)).toEqual({ exit: 0, pending: false });
    // It did wait on the claimant (the budget), and answered within it.
    const answered = lines.find((line) => 'answeredAfterMs' in line)?.answeredAfterMs as number;
    expect(answered).toBeGreaterThanOrEqual(500);
    expect(answered).toBeLessThan(QUERY_TIMEOUT_MS + 2000);
  }, 60_000);
});
