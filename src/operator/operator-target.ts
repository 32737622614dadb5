import type { OperatorActionName } from './action-protocol.js';
import type { Pm2Info } from '../info/info.js';
import type { HealthSnapshot } from '../policy/health-snapshot.js';
import type { IpcChannel } from '../ports/ipc-channel.js';
import type { RestartEventName, RestartEvents } from '../restart/events.js';
import type { DeadlinePolicy, RestartPhase, RestartState } from '../restart/machine.js';
import type { RestartOutcome } from '../restart/restart-outcome.js';
import type { RestartRecord } from '../restart/restart-record.js';
import type { ExitHook } from '../restart/run-hooks.js';
import type { TaskSnapshot } from '../restart/task-registry.js';

/** A restart as the operator actions ask for it. */
export interface OperatorRestartRequest {
  reason: string;
  deadlineMs: number | null;
  onDeadline: DeadlinePolicy;
  refuseNewTasks: boolean;
  beforeExit: readonly ExitHook[];
  hooksTimeoutMs?: number;
}

/** What the operator actions need from a pm2-self instance (a `Pm2Self` is one). */
export interface OperatorTarget {
  gracefulRestart(options: OperatorRestartRequest): Promise<RestartOutcome>;
  clearPendingRestart(): boolean;
  getInfo(options?: { live?: boolean }): Promise<Pm2Info | null>;
  getLastRestart(): Promise<RestartRecord | null>;
  readonly restartState: RestartState;
  /** The running tasks with their labels and ages. */
  runningTasks(): readonly TaskSnapshot[];
  /** What the health check and the watchdog of `restartWhen()` show (absent: none is shown). */
  getHealth?(): HealthSnapshot;
  on<K extends RestartEventName>(name: K, listener: (event: RestartEvents[K]) => void): () => void;
}

/** Options of `exposeToPm2()`. */
export interface ExposeToPm2Options {
  /** Refuse tasks begun while a restart asked by an operator waits. @defaultValue `false` */
  refuseNewTasks?: boolean;
  /** Run before the exit of a restart asked by an operator (after the reply has been sent). */
  beforeExit?: ExitHook | readonly ExitHook[];
  /** Time budget of those hooks. @defaultValue `5000` (DEFAULTS.hooksTimeoutMs) */
  hooksTimeoutMs?: number;
  /** Where the one-line notices go (no channel, already exposed). @defaultValue `util.debuglog('pm2-self')` (shown with `NODE_DEBUG=pm2-self`) */
  debug?: (message: string) => void;
  /** The IPC channel to the daemon; replace it in tests. @defaultValue the process's own channel */
  channel?: IpcChannel;
}

/** The restart part of a `pm2-self:status` reply. */
export interface OperatorRestartStatus {
  readonly state: RestartPhase;
  /** The pending request's reason, when one is pending. */
  readonly reason: string | null;
  /** Epoch ms when the pending request was asked. */
  readonly requestedAt: number | null;
  /** Epoch ms of its deadline as this process's monotonic clock counts it down. */
  readonly deadlineAt: number | null;
}

/** The reply of each operator action (the `return` of pm2's `axm:reply`). */
export type OperatorReply =
  | {
      readonly action: 'pm2-self:restart';
      readonly pid: number;
      readonly requestId: string | null;
      readonly outcome: RestartOutcome | { readonly status: 'invalid'; readonly why: string };
    }
  | {
      readonly action: 'pm2-self:cancel';
      readonly pid: number;
      readonly requestId: string | null;
      /** True when a pending restart was cancelled. */
      readonly cancelled: boolean;
      readonly state: RestartPhase;
    }
  | {
      readonly action: 'pm2-self:status';
      readonly pid: number;
      readonly requestId: string | null;
      /** As `getInfo({ live: true })`: its `status` is pm2's live status. */
      readonly info: Pm2Info | null;
      readonly restart: OperatorRestartStatus;
      /** Running tasks: how many, and each with its label and age ("deferred by: import-batch, 12 s"). */
      readonly tasks: { readonly running: number; readonly list: readonly TaskSnapshot[] };
      readonly lastRestart: RestartRecord | null;
    }
  | {
      readonly action: 'pm2-self:cancel' | 'pm2-self:status';
      readonly pid: number;
      readonly requestId: string | null;
      readonly outcome: { readonly status: 'invalid'; readonly why: string };
    }
  | {
      readonly action: OperatorActionName;
      readonly pid: number;
      readonly requestId: string | null;
      /** The real reply could not be sent: it held a value JSON cannot carry, or was over 64 KiB. */
      readonly error: 'invalid reply' | 'reply too large';
    };
