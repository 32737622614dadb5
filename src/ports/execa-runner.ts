import type { CommandResult, CommandRunner } from './ports.js';

/**
 * The default {@link CommandRunner}: execa, loaded on first use, no shell, the child killed with
 * SIGKILL on timeout, output capped, and every failure turned into a typed result.
 */
export function createExecaRunner(): CommandRunner {
  return {
    async run(file, args, options): Promise<CommandResult> {
      let execa: typeof import('execa').execa;
      try {
        ({ execa } = await import('execa'));
      } catch (error) {
        return { ok: false, reason: 'failed', message: `execa could not be loaded: ${String(error)}` };
      }
      try {
        const result = await execa(file, args, {
          env: options.env,
          extendEnv: false,
          shell: false,
          stdin: 'ignore',
          stderr: 'pipe',
          timeout: options.timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: options.maxBufferBytes,
          reject: false,
          windowsHide: true,
          encoding: 'utf8',
          stripFinalNewline: false,
        });
        if (result.timedOut)
          return { ok: false, reason: 'timeout', message: `${file} timed out after ${options.timeoutMs} ms` };
        if (result.isMaxBuffer)
          return {
            ok: false,
            reason: 'outputTooLarge',
            message: `${file} printed more than ${options.maxBufferBytes} bytes`,
          };
        const code = (result as { code?: string }).code;
        if (code === 'ENOENT' || code === 'EACCES')
          return { ok: false, reason: 'notFound', message: `${file} could not be run (${code})` };
        if (result.failed) {
          const stderr = String(result.stderr ?? '').slice(0, 500);
          return result.exitCode === undefined
            ? { ok: false, reason: 'failed', message: `${file} failed: ${result.shortMessage}` }
            : {
                ok: false,
                reason: 'exitCode',
                exitCode: result.exitCode,
                message: `${file} exited with code ${result.exitCode}: ${stderr}`,
              };
        }
        return { ok: true, stdout: String(result.stdout) };
      } catch (error) {
        return { ok: false, reason: 'failed', message: String(error) };
      }
    },
  };
}
