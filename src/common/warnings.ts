/**
 * Process warnings of pm2-self, the Node way: `process.emitWarning` with a `PM2SELF_*` code, each code
 * at most once per instance, and the same line under `NODE_DEBUG=pm2-self`.
 */
import { debug } from './debug.js';

/** Every warning pm2-self emits, by code, with what it means. */
export const WARNING_CODES = {
  PM2SELF_KILL_TIMEOUT_DEFAULT:
    "pm2's kill_timeout is at its default (1600 ms) while tasks are used: pm2 kills the process 1.6 s after its stop signal, so tasks are cut. Set kill_timeout above your longest task.",
  PM2SELF_SHUTDOWN_LISTENER:
    'Another listener for a shutdown signal can end the process before the drain of installShutdownHandler() is done.',
  PM2SELF_STALE_TASK: 'A task has run longer than staleTaskMs: a forgotten end() defers a restart forever.',
} as const;

/** A code of {@link WARNING_CODES}. */
export type WarningCode = keyof typeof WARNING_CODES;

/** Emits a warning (its code's text, then `detail`), once per code. */
export type Warn = (code: WarningCode, detail: string) => void;

/** Creates a {@link Warn} over the process port's `warn` (absent: the debug line only). */
export function createWarn(emit: ((code: string, message: string) => void) | undefined): Warn {
  const sent = new Set<WarningCode>();
  return (code, detail) => {
    if (sent.has(code)) return;
    sent.add(code);
    const message = `${WARNING_CODES[code]} ${detail}`;
    debug('warning %s: %s', code, message);
    emit?.(code, message);
  };
}
