/** Shared inputs of the restart machine's unit tests. */
import type { RequestOptions } from '../../src/restart/machine.js';
import type { PlannedRestart } from '../../src/restart/plan-restart.js';

/** A request's options: 5 s deadline that forces, no hooks. */
export const REQUEST_OPTIONS: RequestOptions = {
  reason: 'update',
  deadlineMs: 5_000,
  onDeadline: 'force',
  refuseNewTasks: false,
  hooks: [],
  hooksTimeoutMs: 5_000,
  allowPlainExit: false,
};

/** A plan that exits with code 0. */
export const PLANNED_EXIT: PlannedRestart = {
  plan: { ok: true, strategy: { type: 'exit', code: 0 }, why: 'autorestart is on' },
  minUptimeWaitMs: 0,
  target: null,
};
