import type { ProcessEntry, ProcessListProblem } from '../pm2/process-list.js';

/** Why the daemon's list could not be had (`unsupportedVersion`: a pm2 outside `SUPPORTED_PM2`). */
export type DaemonProblem =
  | 'noDaemon'
  | 'unsupportedVersion'
  | 'accessDenied'
  | 'timeout'
  | 'protocol'
  | 'cliNotFound'
  | 'cliFailed'
  | 'outputTooLarge'
  | ProcessListProblem;

/** The daemon's list, as it answered. */
export interface DaemonListAnswer {
  readonly ok: true;
  readonly entries: readonly ProcessEntry[];
  readonly skipped: number;
  readonly via: 'rpc' | 'cli';
  /** When the answer arrived (epoch ms). */
  readonly at: number;
  /** When the question was sent (epoch ms): the answer reflects everything the daemon did before this. */
  readonly askedAt: number;
}

/** The daemon's list, or why there is none. */
export type DaemonListResult =
  DaemonListAnswer | { readonly ok: false; readonly problem: DaemonProblem; readonly message: string };
