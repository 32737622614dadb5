import type { spawn as Spawn } from 'node:child_process';
import type { CommandResult, CommandRunner } from './ports.js';

/** How much of a failed command's stderr its message quotes. */
const STDERR_QUOTED = 500;
/** After a SIGKILL, how long to wait for the child to be gone before answering anyway. */
const KILL_GRACE_MS = 1_000;

/**
 * The default {@link CommandRunner}: `child_process.spawn`, no shell, stdin closed, the child killed
 * with SIGKILL on timeout or once its output passes `maxBufferBytes` (the answer comes once it is
 * gone), every failure a typed result. It loads nothing and decodes the output once, at the end.
 */
export function createSpawnRunner(): CommandRunner {
  return {
    run(file, args, options) {
      // Loaded at the first command, not at import: most apps never run one.
      const { spawn } = process.getBuiltinModule('node:child_process');
      return new Promise<CommandResult>((resolve) => {
        const timers: ReturnType<typeof setTimeout>[] = [];
        let settled = false;
        const finish = (result: CommandResult) => {
          if (settled) return;
          settled = true;
          timers.forEach(clearTimeout);
          resolve(result);
        };
        let child: ReturnType<typeof Spawn>;
        try {
          child = spawn(file, [...args], {
            env: options.env,
            shell: false,
            stdio: ['ignore', 'pipe', 'pipe'],
            windowsHide: true,
          });
        } catch (error) {
          finish({ ok: false, reason: 'failed', message: `${file} could not be started: ${String(error)}` });
          return;
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let stdoutBytes = 0;
        let stderrBytes = 0;
        /** Set once the child is killed: the answer, given when it is gone. */
        let killedFor: CommandResult | null = null;
        const killFor = (result: CommandResult) => {
          if (killedFor !== null) return;
          killedFor = result;
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          timers.push(setTimeout(() => finish(result), KILL_GRACE_MS));
        };
        const timedOut: CommandResult = {
          ok: false,
          reason: 'timeout',
          message: `${file} timed out after ${options.timeoutMs} ms`,
        };
        timers.push(setTimeout(() => killFor(timedOut), options.timeoutMs));
        child.stdout?.on('data', (chunk: Buffer) => {
          if (killedFor !== null) return;
          stdoutBytes += chunk.length;
          if (stdoutBytes > options.maxBufferBytes) {
            const message = `${file} printed more than ${options.maxBufferBytes} bytes`;
            killFor({ ok: false, reason: 'outputTooLarge', message });
            return;
          }
          stdout.push(chunk);
        });
        child.stderr?.on('data', (chunk: Buffer) => {
          if (stderrBytes >= STDERR_QUOTED) return;
          stderrBytes += chunk.length;
          stderr.push(chunk);
        });
        child.on('error', (error: NodeJS.ErrnoException) => {
          const notFound = error.code === 'ENOENT' || error.code === 'EACCES';
          finish(
            notFound
              ? { ok: false, reason: 'notFound', message: `${file} could not be run (${error.code})` }
              : { ok: false, reason: 'failed', message: `${file} failed: ${error.message}` },
          );
        });
        child.on('close', (code, signal) => {
          if (killedFor !== null) finish(killedFor);
          else if (code === 0) finish({ ok: true, stdout: Buffer.concat(stdout).toString('utf8') });
          else if (code === null)
            finish({ ok: false, reason: 'failed', message: `${file} was killed by ${signal ?? 'a signal'}` });
          else {
            const quoted = Buffer.concat(stderr).toString('utf8').slice(0, STDERR_QUOTED);
            const message = `${file} exited with code ${code}: ${quoted}`;
            finish({ ok: false, reason: 'exitCode', exitCode: code, message });
          }
        });
      });
    },
  };
}
