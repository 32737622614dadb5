/**
 * The event-loop watchdog ships in both builds (its thread runs from source text, with no extra file):
 * outside pm2, in the ESM and the CJS build, a loop blocked past the limit is reported on stderr with
 * the main thread's frames, and the process is not ended (nothing would bring it back). A synchronous
 * start-up before the loop's first turn never fires it, nor does a block while an inspector is open.
 */
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

const program = (load: string) => `
const lib = ${load};
const spin = (ms) => { const until = Date.now() + ms; while (Date.now() < until) {} };
const self = lib.createPm2Self();
self.restartWhen({ eventLoopBlockedForMs: 300 });
spin(700); // a synchronous start-up: the loop has not turned yet
await new Promise((r) => setTimeout(r, 200));
console.log('startup-done');
// Long enough for the watchdog thread to have started and looked, even on a loaded machine.
(function blockedHere() { spin(3000); })();
await new Promise((r) => setTimeout(r, 200));
console.log(JSON.stringify(self.getHealth()));
`;

const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^(PM2_|pm_|name$|NODE_APP_INSTANCE$|NODE_OPTIONS$)/.test(key),
  ),
);
const run = (source: string, flags: string[] = []) =>
  execa(process.execPath, [...flags, '--input-type=module', '-e', source], {
    env: { ...env, PM2_HOME: resolve(root, '.tmp/no-daemon-home') },
    extendEnv: false,
  });

describe('the event-loop watchdog in both builds', () => {
  it.each([
    ['ESM', `await import(${JSON.stringify(resolve(root, 'dist/index.js'))})`],
    [
      'CJS',
      `(await import('node:module')).createRequire(import.meta.url)(${JSON.stringify(resolve(root, 'dist/index.cjs'))})`,
    ],
  ])(
    '%s: a block past the limit is reported with where the main thread was; start-up is not a block',
    async (_build, load) => {
      const { stdout, stderr, exitCode } = await run(program(load));
      expect(exitCode).toBe(0);
      const lines = stderr.split('\n').filter((line) => line.startsWith('pm2-self: '));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^pm2-self: event loop blocked for \d+ ms; main thread at spin \(.*\) < blockedHere \(.*\).*; not restarted \(not the process pm2 tracks/,
      );
      const health = JSON.parse(stdout.split('\n').at(-1) ?? '');
      expect(health).toMatchObject({ checking: false, eventLoopBlockedForMs: 300 });
    },
  );

  it('a loop that hangs on its very first turn after restartWhen() is caught', async () => {
    const load = `await import(${JSON.stringify(resolve(root, 'dist/index.js'))})`;
    const source = `
const lib = ${load};
const spin = (ms) => { const until = Date.now() + ms; while (Date.now() < until) {} };
const self = lib.createPm2Self();
self.restartWhen({ eventLoopBlockedForMs: 300 });
setImmediate(function firstTurn() { spin(3000); });
await new Promise((r) => setTimeout(r, 300));
`;
    const { stderr, exitCode } = await run(source);
    expect(exitCode).toBe(0);
    const lines = stderr.split('\n').filter((line) => line.startsWith('pm2-self: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^pm2-self: event loop blocked for \d+ ms; main thread at spin \(.*\) < firstTurn/,
    );
  });

  it('a freeze of the whole process (SIGSTOP then SIGCONT) is not a blocked loop', async () => {
    const load = `await import(${JSON.stringify(resolve(root, 'dist/index.js'))})`;
    const source = `
const lib = ${load};
const self = lib.createPm2Self();
self.restartWhen({ eventLoopBlockedForMs: 300 });
await new Promise((r) => setTimeout(r, 300));
console.log('armed');
await new Promise((r) => setTimeout(r, 2500));
`;
    const child = run(source);
    await new Promise<void>((done) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('armed')) done();
      });
    });
    const pid = child.pid ?? 0;
    process.kill(pid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 1200));
    process.kill(pid, 'SIGCONT');
    const { stderr, exitCode } = await child;
    expect(exitCode).toBe(0);
    expect(stderr).not.toContain('pm2-self:');
  });

  it('never fires while an inspector is open (a debugger may be paused at a breakpoint)', async () => {
    const load = `await import(${JSON.stringify(resolve(root, 'dist/index.js'))})`;
    const { stderr, exitCode } = await run(program(load), ['--inspect=127.0.0.1:0']);
    expect(exitCode).toBe(0);
    expect(stderr).toContain('Debugger listening');
    expect(stderr).not.toContain('pm2-self:');
  });
});
