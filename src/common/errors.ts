/**
 * The error catalogue: every error pm2-self throws is a {@link Pm2SelfError} with one of these codes.
 * Expected outcomes (deferred, already pending, not under pm2) are return values, not errors: a refused
 * restart resolves with one of these codes in `{ status: 'refused', code, why }`.
 */
import { describeReceived } from './describe-received.js';

/** The default message of each error code, used when a {@link Pm2SelfError} is created without one. */
export const ERROR_MESSAGES = {
  ERR_PM2SELF_NOT_UNDER_PM2: 'This process is not managed by pm2.',
  ERR_PM2SELF_NOT_TRACKED:
    'This process only inherited pm2 variables from a managed parent; exiting it would restart nothing.',
  ERR_PM2SELF_NOT_ACCEPTING_TASKS: 'A restart or shutdown is in progress; new tasks are not accepted.',
  ERR_PM2SELF_DAEMON_UNREACHABLE: 'The pm2 daemon could not be reached to restart this process.',
  ERR_PM2SELF_PLAN_FAILED:
    'The restart could not be planned: a port failed unexpectedly; the process keeps running.',
} as const;

/** A code from the error catalogue. */
export type Pm2SelfErrorCode = keyof typeof ERROR_MESSAGES;

const BRAND = Symbol.for('pm2-self.error');

/** Options accepted by the {@link Pm2SelfError} constructor. */
export interface Pm2SelfErrorOptions {
  /** A more specific message than the catalogue's. */
  message?: string;
  /** Typed context, safe to log (never contains environment values). */
  context?: Record<string, unknown>;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The one error class of pm2-self. Tell errors apart by {@link Pm2SelfError.code}, never by message.
 * `gracefulRestart()` does not throw it: a refusal is the outcome `{ status: 'refused', code, why }`.
 *
 * @example
 * ```ts
 * try {
 *   await runTask(() => importBatch(file), 'import-batch');
 * } catch (error) {
 *   if (isPm2SelfError(error, 'ERR_PM2SELF_NOT_ACCEPTING_TASKS')) requeue(file); // a restart is under way
 *   else throw error;
 * }
 * ```
 */
export class Pm2SelfError extends Error {
  /** The catalogue code. */
  readonly code: Pm2SelfErrorCode;
  /** Typed context for logs. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: Pm2SelfErrorCode, options: Pm2SelfErrorOptions = {}) {
    super(
      options.message ?? ERROR_MESSAGES[code],
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'Pm2SelfError';
    this.code = code;
    this.context = Object.freeze({ ...options.context });
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * True when `value` is a {@link Pm2SelfError} (optionally with the given code), also across the
 * ESM and CJS copies of the package.
 */
export function isPm2SelfError(value: unknown, code?: Pm2SelfErrorCode): value is Pm2SelfError {
  if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[BRAND] !== true)
    return false;
  return code === undefined || (value as Pm2SelfError).code === code;
}

/** Throws the standard `TypeError` for an invalid option. */
export function invalidOption(name: string, expected: string, received: unknown): never {
  throw new TypeError(`Expected \`${name}\` to be ${expected}, got ${describeReceived(received)}`);
}
