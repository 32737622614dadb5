import type { Pm2SelfErrorCode } from '../common/errors.js';
import type { RestartPhase } from './machine-types.js';
import type { RequestKind } from './request.js';
import type { RestartStrategy } from './strategy.js';

export type { RequestOptions as RestartRequestOptions } from './request.js';

/**
 * What a restart request resolves with. Refusals are outcomes, not errors.
 * - `restarting`: no task runs; hooks run next, then the exit.
 * - `deferred`: tasks run; the restart follows when the last one ends.
 * - `alreadyPending`: another request (or pm2's stop) is pending: this one joined it. `pending` says
 *   what is pending: after a `shutdown` (pm2 stopping or restarting the app) the app comes back only
 *   if pm2 restarts it. `rejectedHooks` counts hooks given too late to run (the hooks already run, or
 *   the exit is under way).
 * - `waitingTurn`: other instances of this app are restarting (`holders` of `maxUnavailable`): this
 *   one waits for its turn, then goes on as `restarting` or `deferred` would (see the events).
 * - `cancelled`: `clearPendingRestart()` cancelled the request before it was planned.
 * - `refused`: the process keeps running; `code` and `why` say why.
 */
export type RestartOutcome =
  | { readonly status: 'restarting'; readonly strategy: RestartStrategy; readonly why: string }
  | { readonly status: 'deferred'; readonly tasks: number }
  | {
      readonly status: 'alreadyPending';
      readonly phase: Exclude<RestartPhase, 'idle'>;
      readonly pending: { readonly kind: RequestKind; readonly reason: string };
      readonly rejectedHooks: number;
    }
  | { readonly status: 'waitingTurn'; readonly holders: number }
  | { readonly status: 'cancelled' }
  | { readonly status: 'refused'; readonly code: Pm2SelfErrorCode; readonly why: string };
