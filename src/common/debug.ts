/**
 * Decisions printed with their reasons when `NODE_DEBUG=pm2-self` is set (Node's `util.debuglog`, to
 * stderr): identity source and relation, daemon route and timing, plan and strategy, refusals, state
 * changes. Silent otherwise; the logger is made on the first call, so importing costs nothing.
 */
import { debuglog, type DebugLogger } from 'node:util';

let logger: DebugLogger | undefined;

/** Logs a `util.format`-style message under the `pm2-self` section of `NODE_DEBUG`. */
export function debug(format: string, ...values: unknown[]): void {
  logger ??= debuglog('pm2-self');
  if (logger.enabled) logger(format, ...values);
}
