/**
 * Real child processes, no pm2 daemon: the shutdown handler's `'message'` listener neither keeps a
 * process alive nor changes what the IPC channel does for the app's own listeners once uninstalled;
 * `NODE_DEBUG=pm2-self` prints the decisions, and nothing is printed without it.
 */
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cleanEnv } from '../helpers/pm2-sandbox.js';

const CHILD = resolve(import.meta.dirname, '../apps/ipc/child.mjs');
const DIST = resolve(import.meta.dirname, '../../dist/index.js');

function run(mode: string) {
  const child = fork(CHILD, [], { env: cleanEnv({ MODE: mode, PM2_SELF_DIST_ESM: DIST }), stdio: 'ignore' });
  const messages: unknown[] = [];
  child.on('message', (message) => {
    messages.push(message);
    if (message === 'listening') setTimeout(() => child.connected && child.send('ping'), 300);
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, messages, exited };
}

describe('the IPC channel and the shutdown handler', () => {
  it('an installed handler does not keep a process with nothing else to do alive', async () => {
    const { exited } = run('installed');
    expect(await exited).toBe(0);
  });

  it("after uninstall, the app's own message listener keeps the process alive as Node counts it", async () => {
    const { messages, exited } = run('uninstalled');
    expect(await exited).toBe(0);
    // Before the fix, the handler's channel.unref() was permanent: the child exited before the ping.
    expect(messages).toEqual(['listening', 'pong:ping']);
  });
});

describe('NODE_DEBUG=pm2-self', () => {
  const refuse = (extra: Record<string, string>) =>
    execa(process.execPath, [CHILD], {
      env: cleanEnv({
        MODE: 'refuse',
        PM2_SELF_DIST_ESM: DIST,
        PM2_HOME: resolve(CHILD, '../no-home'),
        ...extra,
      }),
      extendEnv: false,
      timeout: 20_000,
    });

  it('prints each decision with its reason', async () => {
    const { stdout, stderr } = await refuse({ NODE_DEBUG: 'pm2-self' });
    expect(JSON.parse(stdout)).toMatchObject({ status: 'refused', code: 'ERR_PM2SELF_NOT_UNDER_PM2' });
    expect(stderr).toMatch(/PM2-SELF \d+: restart: idle -> planning on restartRequested/);
    expect(stderr).toMatch(/PM2-SELF \d+: restart: plan \{"ok":false,"code":"ERR_PM2SELF_NOT_UNDER_PM2"/);
    expect(stderr).toMatch(/PM2-SELF \d+: restart: refused/);
  });

  it('is silent without it', async () => {
    const { stderr } = await refuse({});
    expect(stderr).toBe('');
  });
});
