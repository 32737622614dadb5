import type { RecordTarget } from './record-target.js';
import type { RestartPlan } from './strategy.js';

/** A restart plan plus what the controller needs to carry it out. */
export interface PlannedRestart {
  readonly plan: RestartPlan;
  /** How long to wait before exiting so pm2 does not count the exit as unstable. */
  readonly minUptimeWaitMs: number;
  /** The app and generation the restart record is written for; null outside pm2. */
  readonly target: RecordTarget | null;
  /** How many instances of this app the daemon lists; absent when unknown. One never takes a turn. */
  readonly instances?: number;
}
