/**
 * The controller's side of the machine's `plan` effect: asks the context for a plan, and turns a
 * port that throws (the daemon, the files) into a refused plan, so the request ends `refused` and the
 * process keeps running.
 */
import type { PlannedRestart } from './planned-restart.js';

/** The plan from `plan(allowPlainExit)`, or a refused one (`ERR_PM2SELF_PLAN_FAILED`) when it throws. Never rejects. */
export async function planOrFailure(
  plan: (allowPlainExit: boolean) => Promise<PlannedRestart>,
  allowPlainExit: boolean,
): Promise<PlannedRestart> {
  try {
    return await plan(allowPlainExit);
  } catch (error) {
    const why = `the restart could not be planned: ${error instanceof Error ? error.message : String(error)}`;
    return { plan: { ok: false, code: 'ERR_PM2SELF_PLAN_FAILED', why }, minUptimeWaitMs: 0, target: null };
  }
}
