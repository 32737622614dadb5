/**
 * What a policy does after its restart was refused: a refusal that can change (the daemon did not
 * answer, a port failed) is asked again after a back-off; one that cannot (not under pm2, not the
 * process pm2 tracks) ends the asking. Pure.
 */
import type { Pm2SelfErrorCode } from '../common/errors.js';

/** The longest wait between two asks after refusals. */
export const POLICY_RETRY_MAX_MS = 60_000;

const PERMANENT_REFUSALS: ReadonlySet<Pm2SelfErrorCode> = new Set([
  'ERR_PM2SELF_NOT_UNDER_PM2',
  'ERR_PM2SELF_NOT_TRACKED',
]);

/** True for a refusal no retry can turn around: this process is not one pm2 restarts. */
export function isPermanentRefusal(code: Pm2SelfErrorCode): boolean {
  return PERMANENT_REFUSALS.has(code);
}

/** The wait before asking again after `refusals` refusals in a row: doubling from `checkEveryMs`, up to 60 s. */
export function retryDelayMs(checkEveryMs: number, refusals: number): number {
  return Math.min(POLICY_RETRY_MAX_MS, checkEveryMs * 2 ** Math.max(0, refusals - 1));
}
