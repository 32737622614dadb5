/**
 * The default command runner (child_process.spawn) against real tiny Node programs: output, exit
 * codes with stderr, a timeout, output past the cap and a missing program each give their typed result.
 */
import { describe, expect, it } from 'vitest';
import type { CommandOptions } from '../../src/ports/ports.js';
import { createSpawnRunner } from '../../src/ports/spawn-runner.js';

const runner = createSpawnRunner();
const options: CommandOptions = {
  env: { PATH: process.env.PATH },
  timeoutMs: 10_000,
  maxBufferBytes: 1024 * 1024,
};
const node = (source: string, overrides: Partial<CommandOptions> = {}) =>
  runner.run(process.execPath, ['-e', source], { ...options, ...overrides });

describe('createSpawnRunner', () => {
  it('resolves with the whole stdout, multi-byte characters intact', async () => {
    // 200 KB in many chunks: a character may be split across two of them.
    const result = await node('process.stdout.write("é".repeat(100_000))');
    expect(result).toEqual({ ok: true, stdout: 'é'.repeat(100_000) });
  });

  it('passes only the env it is given', async () => {
    const result = await node('process.stdout.write(String(process.env.ONLY) + String(process.env.HOME))', {
      env: { ONLY: 'yes' },
    });
    expect(result).toEqual({ ok: true, stdout: 'yesundefined' });
  });

  it('a non-zero exit is exitCode, quoting stderr', async () => {
    const result = await node('process.stderr.write("bad things"); process.exit(3)');
    expect(result).toEqual({
      ok: false,
      reason: 'exitCode',
      exitCode: 3,
      message: expect.stringContaining('bad things'),
    });
  });

  it('a program that runs too long is killed: timeout', async () => {
    const result = await node('setInterval(() => {}, 1000)', { timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('output past the cap kills the program: outputTooLarge', async () => {
    const result = await node('setInterval(() => process.stdout.write("x".repeat(4096)), 1)', {
      maxBufferBytes: 64 * 1024,
    });
    expect(result).toMatchObject({ ok: false, reason: 'outputTooLarge' });
  });

  it('a program that does not exist is notFound', async () => {
    const result = await runner.run('/nonexistent/pm2-self/pm2', [], options);
    expect(result).toMatchObject({ ok: false, reason: 'notFound' });
  });
});
