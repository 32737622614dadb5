/**
 * The side of the world the restart controller acts on, in a file of its own so that the controller
 * and the exit it performs (perform-exit.ts) both name it without importing each other.
 */
import type { Clock, ProcessPort } from '../ports/ports.js';
import type { RestartMachine } from './machine-types.js';
import type { PlannedRestart } from './planned-restart.js';
import type { PendingRequest } from './request.js';
import type { WrittenRestartRecord } from './restart-record.js';
import type { Turns } from './turns.js';

/** The hooks of a request and their budget. */
export type ExitHooks = Pick<PendingRequest, 'hooks' | 'hooksTimeoutMs'>;

/** The side of the world the controller acts on. */
export interface ControllerContext {
  readonly machine: RestartMachine;
  readonly clock: Clock;
  readonly process: Pick<ProcessPort, 'exit' | 'pid' | 'keepAlive'>;
  /** Decides how to restart, from a fresh look at identity and settings. */
  plan(allowPlainExit: boolean): Promise<PlannedRestart>;
  /** Re-checks, just before an exit, that pm2 still tracks this process (or its launcher). */
  stillTracked(): Promise<boolean>;
  /** Asks the daemon to restart a pm_id. */
  requestDaemonRestart(pmId: number): Promise<{ ok: boolean; message?: string }>;
  /** Persists the record for the next generation; resolves whether it was written. */
  writeRecord(record: WrittenRestartRecord): Promise<boolean>;
  /** Removes a record written for a restart that then did not happen (best effort). */
  discardRecord(pmId: number): Promise<void>;
  /** How long to stay alive after the daemon accepted our restart request, before giving up on it. */
  daemonRestartGraceMs(planned: PlannedRestart): number;
  /** Turns across the instances of a multi-instance app; absent: no turns are taken. */
  readonly turns?: Turns;
  /** A task running longer than this is stale (the `staleTask` event); absent: never. */
  readonly staleTaskMs?: number;
  /** Told of each task begun (after it was accepted). */
  onTaskBegun?(): void;
  /**
   * The hooks a self-restart runs, read when its hooks start (so a shutdown handler installed or
   * removed while the restart waited counts); absent: the request's own.
   */
  exitHooks?(request: ExitHooks): ExitHooks;
}
