import type { Pm2SelfErrorCode } from '../common/errors.js';
import type { DeadlinePolicy, RestartState } from './machine.js';
import type { ExitHook } from './run-hooks.js';
import type { RestartStrategy } from './strategy.js';

/** What a restart request resolves with. Refusals are outcomes, not errors. */
export type RestartOutcome =
  | { readonly status: 'restarting'; readonly strategy: RestartStrategy; readonly why: string }
  | { readonly status: 'deferred'; readonly tasks: number }
  | { readonly status: 'alreadyPending'; readonly phase: RestartState['phase'] }
  | { readonly status: 'refused'; readonly code: Pm2SelfErrorCode; readonly why: string };

/** Options of one restart request. */
export interface RestartRequestOptions {
  reason: string;
  deadlineMs: number | null;
  onDeadline: DeadlinePolicy;
  refuseNewTasks: boolean;
  hooks: readonly ExitHook[];
  hooksTimeoutMs: number;
  allowPlainExit: boolean;
}
