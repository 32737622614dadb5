/**
 * `exposeToPm2()`: pm2 actions (`pm2 trigger <app> pm2-self:restart|cancel|status`) and metrics
 * (`pm2 show`, `pm2 monit`) over the app's IPC channel, speaking pm2's protocol directly (no tx2, no
 * @pm2/io). Every action replies exactly once; nothing here can crash or keep the process alive.
 * @module
 */
import { debug } from '../common/debug.js';
import { DEFAULTS } from '../common/defaults.js';
import { invalidOption } from '../common/errors.js';
import { checkDuration, hookList } from '../common/option-checks.js';
import { createNodeIpcChannel, type IpcChannel } from '../ports/ipc-channel.js';
import { sendableReply } from './sendable-reply.js';
import type { Clock, TimerHandle } from '../ports/ports.js';
import { wallTimeOf } from '../ports/monotonic-now.js';
import type { RestartEventName } from '../restart/events.js';
import type { RestartRecord } from '../restart/restart-record.js';
import type { ExitHook } from '../restart/run-hooks.js';
import {
  OPERATOR_ACTIONS,
  OPERATOR_METRICS,
  RESTART_DROPPED_EVENT,
  parseRequestId,
  parseRestartParameter,
  readActionMessage,
  requestIdOf,
  type OperatorActionName,
} from './action-protocol.js';
import { changedMetrics, operatorMetrics, type MetricValues } from './operator-metrics.js';
import type { ExposeToPm2Options, OperatorReply, OperatorTarget } from './operator-target.js';

/** How often the running-task count is looked at (a metric is sent only when a value changed). */
const METRICS_POLL_MS = 1000;
const EXPOSED = Symbol.for('pm2-self.exposed');
const STATE_EVENTS: readonly RestartEventName[] = [
  'requested',
  'deferred',
  'cancelled',
  'draining',
  'restarting',
  'refused',
  'failed',
];

function checkOptions(options: ExposeToPm2Options): void {
  checkDuration('hooksTimeoutMs', options.hooksTimeoutMs);
  if (options.debug !== undefined && typeof options.debug !== 'function') {
    invalidOption('debug', 'a function', options.debug);
  }
}

/**
 * Registers the operator actions and metrics of `target` on the IPC channel; returns the uninstall.
 * Without a channel (an app started by npm or a shell) it does nothing and says so through `debug`.
 * @throws TypeError when an option is invalid.
 */
export function exposeToPm2(
  target: OperatorTarget,
  options: ExposeToPm2Options,
  context: {
    readonly clock: Clock;
    readonly pid: number;
    /** Resolves true once this process is ready for work (app-ready.ts); absent: ready at once. */
    readonly ready?: () => Promise<boolean>;
  },
): () => void {
  checkOptions(options);
  const hooks = hookList<ExitHook>(options.beforeExit, 'beforeExit');
  const log = options.debug ?? ((message: string) => debug('%s', message));
  const channel: IpcChannel & { [EXPOSED]?: boolean } = options.channel ?? createNodeIpcChannel();
  if (!channel.available) {
    log('exposeToPm2: no IPC channel to pm2 (started by npm, a shell, or outside pm2): nothing exposed');
    return () => undefined;
  }
  if (channel[EXPOSED] === true) {
    log('exposeToPm2: already exposed in this process: this call changes nothing');
    return () => undefined;
  }
  channel[EXPOSED] = true;
  const { clock, pid } = context;

  let ready = context.ready === undefined;
  let lastRestart: RestartRecord | null = null;
  let sent: MetricValues | null = null;
  const publish = () => {
    if (!channel.connected) return;
    const stale = target.runningTasks().filter((task) => task.stale).length;
    const staleSent = sent?.[OPERATOR_METRICS.staleTasks] !== undefined;
    const health = target.getHealth?.() ?? null;
    const next = operatorMetrics(
      target.restartState,
      lastRestart,
      health,
      stale > 0 || staleSent ? stale : null,
      ready,
    );
    const changed = changedMetrics(sent, next);
    if (changed === null) return;
    sent = next;
    void channel.send({ type: 'axm:monitor', data: changed });
  };

  const reply = (action: OperatorActionName, value: OperatorReply) =>
    channel.send({ type: 'axm:reply', data: { return: sendableReply(value), action_name: action } });

  const invalid = (action: 'pm2-self:cancel' | 'pm2-self:status', param: unknown, why: string) =>
    reply(action, { action, pid, requestId: requestIdOf(param), outcome: { status: 'invalid', why } });

  const restart = async (param: unknown) => {
    const action = OPERATOR_ACTIONS.restart;
    const parsed = parseRestartParameter(param);
    if (!parsed.ok) {
      const outcome = { status: 'invalid', why: parsed.why } as const;
      return reply(action, { action, pid, requestId: requestIdOf(param), outcome });
    }
    const { requestId, ...request } = parsed.value;
    let replied = (): void => undefined;
    const replySent = new Promise<void>((resolve) => (replied = resolve));
    try {
      const outcome = await target.gracefulRestart({
        ...request,
        refuseNewTasks: options.refuseNewTasks === true,
        // The exit waits until the operator has its answer.
        beforeExit: [() => replySent, ...hooks],
        hooksTimeoutMs: options.hooksTimeoutMs ?? DEFAULTS.hooksTimeoutMs,
      });
      await reply(action, { action, pid, requestId, outcome });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      await reply(action, { action, pid, requestId, outcome: { status: 'invalid', why } });
    } finally {
      replied();
      publish();
    }
  };

  const cancel = async (param: unknown) => {
    const action = OPERATOR_ACTIONS.cancel;
    const parsed = parseRequestId(param);
    if (!parsed.ok) return invalid(action, param, parsed.why);
    const cancelled = target.clearPendingRestart();
    publish();
    await reply(action, {
      action,
      pid,
      requestId: parsed.value,
      cancelled,
      state: target.restartState.phase,
    });
  };

  const status = async (param: unknown) => {
    const action = OPERATOR_ACTIONS.status;
    const parsed = parseRequestId(param);
    if (!parsed.ok) return invalid(action, param, parsed.why);
    const info = await target.getInfo({ live: true }).catch(() => null);
    const state = target.restartState;
    const deadlineAt = state.request?.deadlineAt ?? null;
    await reply(action, {
      action,
      pid,
      requestId: parsed.value,
      info,
      restart: {
        state: state.phase,
        reason: state.request?.reason ?? null,
        requestedAt: state.request?.requestedAt ?? null,
        deadlineAt: deadlineAt === null ? null : wallTimeOf(clock, deadlineAt),
      },
      tasks: { running: state.tasks, list: target.runningTasks() },
      lastRestart,
    });
  };

  const handlers = { 'pm2-self:restart': restart, 'pm2-self:cancel': cancel, 'pm2-self:status': status };
  const stopListening = channel.onMessage((message) => {
    const read = readActionMessage(message);
    if (read !== null)
      handlers[read.action](read.param).catch((error: unknown) =>
        log(`exposeToPm2: ${read.action}: ${String(error)}`),
      );
  });

  const dropped = (event: { reason: string; cause: string; message?: string }) =>
    void channel.send({
      type: RESTART_DROPPED_EVENT,
      data: { pid, reason: event.reason, cause: event.cause, message: event.message ?? null },
    });
  const unsubscribe = [
    ...STATE_EVENTS.map((name) => target.on(name, publish)),
    target.on('cancelled', dropped),
    target.on('failed', dropped),
  ];

  let timer: TimerHandle | undefined;
  let installed = true;
  const poll = () => {
    publish();
    timer = clock.setTimeout(poll, METRICS_POLL_MS);
  };
  poll();
  // After the first metrics (`pm2-self ready` among them): the daemon handles the messages in order,
  // so an operator that sees the actions sees whether the process is ready too.
  for (const action_name of Object.values(OPERATOR_ACTIONS))
    void channel.send({ type: 'axm:action', data: { action_name, opts: null, arity: 2 } });
  void context.ready?.().then(
    (isReady) => {
      ready = isReady;
      if (installed) publish();
    },
    () => undefined,
  );
  void target.getLastRestart().then(
    (record) => {
      lastRestart = record;
      if (installed) publish();
    },
    () => undefined,
  );

  return () => {
    if (!installed) return;
    installed = false;
    stopListening();
    for (const off of unsubscribe) off();
    if (timer !== undefined) clock.clearTimeout(timer);
    channel[EXPOSED] = false;
  };
}
