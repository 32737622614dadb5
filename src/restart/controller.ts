import { Pm2SelfError } from '../common/errors.js';
import type { Clock, ProcessPort, TimerHandle } from '../ports/ports.js';
import { createEventHub, type RestartEventName, type RestartEvents } from './events.js';
import type { RestartEffect, RestartEvent, RestartMachine, RestartState } from './machine.js';
import { describeRestart, type RestartRecord } from './restart-record.js';
import { cancellableDelay } from './cancellable-delay.js';
import { createTaskHandle, type TaskHandle } from './task-handle.js';
import { runHooks, type ExitHook } from './run-hooks.js';
import type { RestartPlan, RestartStrategy } from './strategy.js';
import type { RestartOutcome, RestartRequestOptions } from './restart-outcome.js';

export type { TaskHandle } from './task-handle.js';
export type { RestartOutcome, RestartRequestOptions } from './restart-outcome.js';

/** The side of the world the controller acts on. */
export interface ControllerContext {
  readonly machine: RestartMachine;
  readonly clock: Clock;
  readonly process: Pick<ProcessPort, 'exit' | 'pid'>;
  /** Decides how to restart, from a fresh look at identity and settings. */
  plan(
    allowPlainExit: boolean,
  ): Promise<{ plan: RestartPlan; minUptimeWaitMs: number; pmId: number | null; restarts: number | null }>;
  /** Re-checks, just before an exit, that pm2 still tracks this process (or its wrapper). */
  stillTracked(): Promise<boolean>;
  /** Asks the daemon to restart a pm_id. */
  requestDaemonRestart(pmId: number): Promise<{ ok: boolean; message?: string }>;
  /** Persists the record for the next generation (best effort). */
  writeRecord(record: RestartRecord): Promise<void>;
  /** Removes a record written for a restart that then did not happen (best effort). */
  discardRecord(pmId: number): Promise<void>;
  /** How long to stay alive after the daemon accepted our restart request, before giving up on it. */
  readonly daemonRestartGraceMs: number;
}

/** The interpreter of the restart machine: it owns the state and performs the effects. */
export interface RestartController {
  readonly state: RestartState;
  request(options: RestartRequestOptions): Promise<RestartOutcome>;
  /** `record`: the pm_id and restart count to write the restart record for, when no restart was planned (null: none). */
  shutdown(
    source: string,
    options: {
      budgetMs: number;
      refuseNewTasks: boolean;
      hooks: readonly ExitHook[];
      hooksTimeoutMs: number;
      record?: { pmId: number; restarts: number | null } | null;
    },
  ): void;
  cancel(): boolean;
  beginTask(label?: string): TaskHandle;
  on<K extends RestartEventName>(name: K, listener: (event: RestartEvents[K]) => void): () => void;
}

/** Creates a {@link RestartController} around a machine. */
export function createRestartController(context: ControllerContext): RestartController {
  const { machine, clock } = context;
  const events = createEventHub();
  let state = machine.initialState;
  let deadline: TimerHandle | undefined;
  let hooks: ExitHook[] = [];
  let hooksTimeoutMs = 0;
  let hardStopAt: number | null = null;
  let plan: Extract<RestartPlan, { ok: true }> | undefined;
  let planned: { pmId: number | null; restarts: number | null; minUptimeWaitMs: number } = {
    pmId: null,
    restarts: null,
    minUptimeWaitMs: 0,
  };
  let taskRefused = false;
  let exited = false;
  /** When `planned.minUptimeWaitMs` was measured: the wait counts from there, not from the drain. */
  let plannedAt = 0;
  /** Ends the drain's min_uptime wait early: only a self-initiated exit needs it, not pm2's stop. */
  let endMinUptimeWait: (() => void) | undefined;
  /** Aborted to cut running hooks when a pm2 stop's budget ends before theirs. */
  let hooksStop: AbortController | undefined;

  const dispatch = (event: RestartEvent): void => {
    const next = machine.transition(state, event);
    state = next.state;
    for (const effect of next.effects) perform(effect);
  };

  const clearDeadline = () => {
    if (deadline !== undefined) clock.clearTimeout(deadline);
    deadline = undefined;
  };

  /** Exits once. The exit port may return (a test spy, a custom exit): then nothing else acts after it. */
  const exitProcess = (code: number): void => {
    if (exited) return;
    exited = true;
    // A drain in flight runs no further hook, and hooks added later land in a list nothing runs.
    hooks.length = 0;
    hooks = [];
    clearDeadline();
    context.process.exit(code);
  };

  const perform = (effect: RestartEffect): void => {
    if (exited && effect.type !== 'acceptTask' && effect.type !== 'refuseTask') return;
    switch (effect.type) {
      case 'startDeadlineTimer': {
        clearDeadline();
        const at = clock.now() + effect.delayMs;
        deadline = clock.setTimeout(
          () => dispatch({ type: 'deadlineReached', at: Math.max(clock.now(), at) }),
          effect.delayMs,
        );
        return;
      }
      case 'cancelDeadlineTimer':
        clearDeadline();
        return;
      case 'notify':
        events.emit(effect.notice.type, effect.notice as never);
        if (effect.notice.type === 'cancelled') hooks = [];
        return;
      case 'acceptTask':
        taskRefused = false;
        return;
      case 'refuseTask':
        taskRefused = true;
        return;
      case 'drain':
        void drain();
        return;
      case 'exit':
        void exit();
        return;
      case 'exitNow':
        exitProcess(0);
        return;
    }
  };

  const drain = async () => {
    const request = state.request;
    if (request === null) return;
    const minUptimeWaitMs = planned.minUptimeWaitMs - (clock.now() - plannedAt);
    if (request.kind === 'restart' && minUptimeWaitMs > 0) {
      const wait = cancellableDelay(clock, minUptimeWaitMs);
      endMinUptimeWait = wait.end;
      await wait.done;
      endMinUptimeWait = undefined;
    }
    const budget =
      hardStopAt === null ? hooksTimeoutMs : Math.max(0, Math.min(hooksTimeoutMs, hardStopAt - clock.now()));
    const current = state.request ?? request;
    hooksStop = new AbortController();
    await runHooks(
      hooks,
      {
        reason: current.reason,
        // Read at each hook's start: a pm2 signal during the hooks turns the restart into a shutdown.
        get kind() {
          return state.request?.kind ?? current.kind;
        },
      },
      budget,
      clock,
      (message) => {
        if (!exited) events.emit('hookFailed', { type: 'hookFailed', reason: current.reason, message });
      },
      hooksStop.signal,
    );
    hooksStop = undefined;
    dispatch({ type: 'drainFinished', at: clock.now() });
  };

  const exit = async () => {
    const request = state.request;
    if (request === null) return;
    const strategy: RestartStrategy | { type: 'shutdown' } =
      request.kind === 'shutdown' ? { type: 'shutdown' } : (plan?.strategy ?? { type: 'plainExit', code: 0 });
    const why =
      request.kind === 'shutdown' ? `pm2 asked this process to stop (${request.reason})` : (plan?.why ?? '');
    if (strategy.type === 'exit' && !(await context.stillTracked())) {
      // A cluster reload replaced this worker after the plan: pm2 stops it itself; an exit now would
      // make pm2 respawn the old worker beside the new one.
      dispatch({
        type: 'restartFailed',
        at: clock.now(),
        cause: 'superseded',
        message: 'this process is no longer the one pm2 tracks (replaced by a reload); pm2 will stop it',
      });
      return;
    }
    if (exited) return;
    const record =
      strategy.type !== 'plainExit' && planned.pmId !== null
        ? describeRestart({
            request,
            strategy,
            pmId: planned.pmId,
            restarts: planned.restarts,
            pid: context.process.pid,
            now: clock.now(),
            tasks: state.tasks,
          })
        : null;
    if (record !== null) await context.writeRecord(record);
    if (exited) return;
    events.emit('restarting', { type: 'restarting', reason: request.reason, strategy, why });
    if (strategy.type !== 'daemon') {
      exitProcess(strategy.type === 'shutdown' ? 0 : strategy.code);
      return;
    }
    const sent = await context.requestDaemonRestart(strategy.pmId);
    if (!sent.ok) {
      // No restart follows: the next generation must not read this one's record as its reason.
      if (record !== null) await context.discardRecord(record.pmId);
      dispatch({
        type: 'restartFailed',
        at: clock.now(),
        cause: 'daemonRefused',
        message: sent.message ?? 'the daemon did not accept the restart request',
      });
      return;
    }
    // The daemon now stops this process (SIGINT, then SIGKILL after kill_timeout). If it never does, give up.
    clock.setTimeout(
      () =>
        dispatch({
          type: 'restartFailed',
          at: clock.now(),
          cause: 'daemonTimedOut',
          message: 'the daemon accepted the restart request but did not restart this process',
        }),
      context.daemonRestartGraceMs,
    );
  };

  const request = async (options: RestartRequestOptions): Promise<RestartOutcome> => {
    if (state.phase !== 'idle') {
      hooks.push(...options.hooks);
      dispatch({
        type: 'restartRequested',
        at: clock.now(),
        reason: options.reason,
        deadlineMs: options.deadlineMs,
        onDeadline: options.onDeadline,
        refuseNewTasks: options.refuseNewTasks,
      });
      return { status: 'alreadyPending', phase: state.phase };
    }
    const decided = await context.plan(options.allowPlainExit);
    if (!decided.plan.ok) {
      events.emit('refused', {
        type: 'refused',
        reason: options.reason,
        code: decided.plan.code,
        why: decided.plan.why,
      });
      return { status: 'refused', code: decided.plan.code, why: decided.plan.why };
    }
    if (state.phase !== 'idle') return request(options);
    plan = decided.plan;
    planned = decided;
    plannedAt = clock.now();
    hooks = [...options.hooks];
    hooksTimeoutMs = options.hooksTimeoutMs;
    hardStopAt = null;
    dispatch({
      type: 'restartRequested',
      at: clock.now(),
      reason: options.reason,
      deadlineMs: options.deadlineMs,
      onDeadline: options.onDeadline,
      refuseNewTasks: options.refuseNewTasks,
    });
    if ((state as RestartState).phase === 'deferred') return { status: 'deferred', tasks: state.tasks };
    return { status: 'restarting', strategy: plan.strategy, why: plan.why };
  };

  const shutdown: RestartController['shutdown'] = (source, options) => {
    if (state.phase === 'idle') {
      hooks = [...options.hooks];
      hooksTimeoutMs = options.hooksTimeoutMs;
      // No restart was planned: the record of this pm2-initiated stop needs the pm_id from the caller.
      planned = {
        pmId: options.record?.pmId ?? null,
        restarts: options.record?.restarts ?? null,
        minUptimeWaitMs: 0,
      };
    } else {
      hooks.push(...options.hooks);
      hooksTimeoutMs = Math.max(hooksTimeoutMs, options.hooksTimeoutMs);
    }
    const at = clock.now();
    hardStopAt = hardStopAt === null ? at + options.budgetMs : Math.min(hardStopAt, at + options.budgetMs);
    dispatch({
      type: 'shutdownRequested',
      at,
      source,
      budgetMs: options.budgetMs,
      refuseNewTasks: options.refuseNewTasks,
    });
    if (state.request?.kind === 'shutdown') endMinUptimeWait?.();
    const stop = hooksStop;
    if (stop) clock.setTimeout(() => stop.abort(), Math.max(0, hardStopAt - at));
  };

  const cancel = (): boolean => {
    const before = state.phase;
    dispatch({ type: 'cancelRequested', at: clock.now() });
    return before === 'deferred' && state.phase === 'idle';
  };

  const beginTask = (label?: string): TaskHandle => {
    dispatch({ type: 'taskStarted', at: clock.now() });
    if (taskRefused) {
      taskRefused = false;
      throw new Pm2SelfError('ERR_PM2SELF_NOT_ACCEPTING_TASKS', { context: { phase: state.phase, label } });
    }
    return createTaskHandle(label, () => dispatch({ type: 'taskEnded', at: clock.now() }));
  };

  return {
    get state() {
      return state;
    },
    request,
    shutdown,
    cancel,
    beginTask,
    on: events.on,
  };
}
