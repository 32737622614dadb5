/**
 * The exit at the end of a drain, as the controller performs it: re-check that pm2 still tracks this
 * process, leave the record for the next generation, publish `restarting` or `exiting`, then exit (or
 * ask the daemon to restart this pm_id). A port that throws here fails the restart (`portFailed`)
 * instead of leaving the controller stuck.
 */
import { debug } from '../common/debug.js';
import type { ControllerContext } from './controller-context.js';
import type { EventHub } from './events.js';
import type { RestartFailureCause, RestartState } from './machine-types.js';
import type { PlannedRestart } from './planned-restart.js';
import type { PendingRequest } from './request.js';
import type { RecordTarget } from './record-target.js';
import { describeRestart } from './restart-record.js';
import type { RestartStrategy } from './strategy.js';

/** What {@link performExit} acts through. */
export interface ExitParts {
  readonly context: ControllerContext;
  readonly events: EventHub;
  state(): RestartState;
  /** True once the process exit was called (it may return: a test spy). */
  exited(): boolean;
  exitProcess(code: number): void;
  /** Ends the restart without an exit: the process keeps running. */
  fail(cause: RestartFailureCause, message: string): void;
}

/** Performs the exit of the request under way. Never rejects. */
export async function performExit(parts: ExitParts): Promise<void> {
  const request = parts.state().request as PendingRequest;
  try {
    if (request.kind === 'shutdown') await exitForPm2(parts, request);
    else await exitToRestart(parts, request);
  } catch (error) {
    const message = `a port failed while the exit was prepared: ${error instanceof Error ? error.message : String(error)}`;
    if (parts.state().request?.kind === 'shutdown') parts.exitProcess(0);
    else parts.fail('portFailed', message);
  }
}

async function exitToRestart(parts: ExitParts, request: PendingRequest): Promise<void> {
  const { context, events } = parts;
  const planned = request.plan as PlannedRestart;
  if (!planned.plan.ok) return;
  const { strategy, why } = planned.plan;
  if (strategy.type === 'exit' && !(await context.stillTracked())) {
    // A cluster reload replaced this worker after the plan: pm2 stops it itself; an exit now would
    // make pm2 respawn the old worker beside the new one.
    parts.fail(
      'superseded',
      'this process is no longer the one pm2 tracks (replaced by a reload); pm2 will stop it',
    );
    return;
  }
  if (parts.exited() || parts.state().request?.kind === 'shutdown') return;
  const record = await leaveRecord(parts, request, planned.target, strategy);
  if (parts.exited()) return;
  events.emit('restarting', { type: 'restarting', reason: request.reason, strategy, why, record });
  if (strategy.type !== 'daemon') return parts.exitProcess(strategy.code);
  const sent = await context.requestDaemonRestart(strategy.pmId);
  if (!sent.ok) {
    // No restart follows: the next generation must not read this one's record as its reason.
    if (record === 'written') await context.discardRecord(strategy.pmId);
    parts.fail('daemonRefused', sent.message ?? 'the daemon did not accept the restart request');
    return;
  }
  // The daemon now stops this process (SIGINT, then SIGKILL after kill_timeout). If it never does, give up.
  const message = 'the daemon accepted the restart request but did not restart this process';
  context.clock.setTimeout(
    () => parts.fail('daemonTimedOut', message),
    context.daemonRestartGraceMs(planned),
  );
}

async function exitForPm2(parts: ExitParts, request: PendingRequest): Promise<void> {
  const record = await leaveRecord(parts, request, request.recordAs, { type: 'shutdown' });
  if (parts.exited()) return;
  const signal = request.signal ?? 'signal';
  const initiator = request.fromPm2 ? 'pm2' : 'signal';
  const reason = request.reason;
  parts.events.emit('exiting', { type: 'exiting', initiator, signal, reason, record, secondSignal: false });
  parts.exitProcess(0);
}

async function leaveRecord(
  parts: ExitParts,
  request: PendingRequest,
  target: RecordTarget | null,
  strategy: RestartStrategy | { type: 'shutdown' },
): Promise<'written' | 'notWritten' | 'none'> {
  if (target === null || strategy.type === 'plainExit') return 'none';
  const { context } = parts;
  const record = describeRestart({
    request,
    strategy,
    target,
    pid: context.process.pid,
    now: context.clock.now(),
    tasks: parts.state().tasks,
  });
  const written = await context.writeRecord(record);
  if (!written) debug('restart: the restart record could not be written');
  return written ? 'written' : 'notWritten';
}
