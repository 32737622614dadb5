import { setImmediate } from 'node:timers';
import { Pm2SelfError } from '../common/errors.js';
import type { TimerHandle } from '../ports/ports.js';
import { debug } from '../common/debug.js';
import { cancellableDelay } from './cancellable-delay.js';
import { createEventHub, type RestartEventName, type RestartEvents } from './events.js';
import type { RestartEffect, RestartEvent, RestartState, ShutdownRequest } from './machine.js';
import type { ControllerContext } from './controller-context.js';
import type { PlannedRestart } from './planned-restart.js';
import type { PendingRequest, RequestOptions } from './request.js';
import { outcomeOfNotice } from './outcome-of-notice.js';
import type { RestartOutcome } from './restart-outcome.js';
import { performExit } from './perform-exit.js';
import { runHooks, type HookFailure } from './run-hooks.js';
import { createTaskRegistry, type TaskHandle, type TaskSnapshot } from './task-registry.js';
import { checkTaskLabel } from './task-label.js';

export type { TaskHandle, TaskSnapshot } from './task-registry.js';
export type { ControllerContext } from './controller-context.js';
export type { RestartOutcome, RestartRequestOptions } from './restart-outcome.js';

/** The interpreter of the restart machine: it owns the state and performs the effects. */
export interface RestartController {
  readonly state: RestartState;
  request(options: RequestOptions): Promise<RestartOutcome>;
  shutdown(request: ShutdownRequest): void;
  cancel(): boolean;
  /** Begins a task, or throws `ERR_PM2SELF_NOT_ACCEPTING_TASKS`. */
  beginTask(label?: string): TaskHandle;
  /** Begins a task, or returns null when tasks are refused now. */
  tryBeginTask(label?: string): TaskHandle | null;
  /** True when a task begun now would be accepted. */
  acceptsTasks(): boolean;
  /** The running tasks, oldest first. */
  tasks(): readonly TaskSnapshot[];
  on<K extends RestartEventName>(name: K, listener: (event: RestartEvents[K]) => void): () => void;
}

/** Creates a {@link RestartController} around a machine. */
export function createRestartController(context: ControllerContext): RestartController {
  const { machine, clock } = context;
  const events = createEventHub();
  const registry = createTaskRegistry(
    clock,
    context.staleTaskMs === undefined
      ? undefined
      : {
          staleTaskMs: context.staleTaskMs,
          onStale: (task) => events.emit('staleTask', { type: 'staleTask', ...task }),
        },
  );
  let state = machine.initialState;
  let deadline: TimerHandle | undefined;
  let taskRefused = false;
  let exited = false;
  /** The caller whose request is being planned waits for its outcome here. */
  let waiter: ((outcome: RestartOutcome) => void) | undefined;
  /** Ends the drain's min_uptime wait early: only a self-initiated exit needs it, not pm2's stop. */
  let endMinUptimeWait: (() => void) | undefined;
  /** Aborted to cut running hooks when a pm2 stop's budget ends before theirs. */
  let hooksStop: AbortController | undefined;
  /** Keeps the process alive while a request is under way; undefined when idle. */
  let release: (() => void) | undefined;

  const dispatch = (event: RestartEvent): void => {
    const before = state.phase;
    const next = machine.transition(state, event);
    state = next.state;
    if (state.phase !== before) debug('restart: %s -> %s on %s', before, state.phase, event.type);
    holdWhileBusy();
    for (const effect of next.effects) perform(effect);
  };

  const holdWhileBusy = () => {
    if (state.phase !== 'idle' && release === undefined && !exited) release = context.process.keepAlive();
    if (state.phase === 'idle' && release !== undefined) {
      release();
      release = undefined;
    }
  };

  const clearDeadline = () => {
    if (deadline !== undefined) clock.clearTimeout(deadline);
    deadline = undefined;
  };

  /** Exits once. The exit port may return (a test spy, a custom exit): then nothing else acts after it. */
  const exitProcess = (code: number): void => {
    if (exited) return;
    exited = true;
    clearDeadline();
    // A drain in flight starts no further hook.
    hooksStop?.abort();
    debug('restart: exit(%d)', code);
    context.process.exit(code);
  };

  /** Gives a held turn back; a failing file port is reported, never left as a rejection. */
  const releaseTurn = (): void => {
    context.turns
      ?.release()
      .catch((error: unknown) => debug('restart: the turn was not given back: %s', error));
  };

  const settleWaiter = (outcome: RestartOutcome) => {
    const resolve = waiter;
    waiter = undefined;
    resolve?.(outcome);
  };

  const perform = (effect: RestartEffect): void => {
    if (exited && effect.type !== 'acceptTask' && effect.type !== 'refuseTask') return;
    switch (effect.type) {
      case 'plan':
        void plan(effect.requestId, effect.allowPlainExit);
        return;
      case 'takeTurn':
        void takeTurn(effect.requestId);
        return;
      case 'startDeadlineTimer': {
        clearDeadline();
        const at = clock.now() + effect.delayMs;
        const fire = () => dispatch({ type: 'deadlineReached', at: Math.max(clock.now(), at) });
        deadline = clock.setTimeout(fire, effect.delayMs);
        return;
      }
      case 'cancelDeadlineTimer':
        clearDeadline();
        return;
      case 'notify': {
        const { notice } = effect;
        debug('restart: %s %j', notice.type, notice);
        events.emit(notice.type, notice as never);
        if (notice.type === 'cancelled' || notice.type === 'failed') releaseTurn();
        if (waiter !== undefined) {
          const outcome = outcomeOfNotice(notice, state, alreadyPending);
          if (outcome !== null) settleWaiter(outcome);
        }
        return;
      }
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
      case 'exitNow': {
        const { signal, fromPm2, reason, second } = effect;
        const initiator = fromPm2 ? 'pm2' : 'signal';
        events.emit('exiting', {
          type: 'exiting',
          initiator,
          signal,
          reason,
          record: 'none',
          secondSignal: second,
        });
        exitProcess(0);
        return;
      }
    }
  };

  const plan = async (requestId: number, allowPlainExit: boolean) => {
    let planned: PlannedRestart;
    try {
      planned = await context.plan(allowPlainExit);
    } catch (error) {
      const why = `the restart could not be planned: ${error instanceof Error ? error.message : String(error)}`;
      planned = {
        plan: { ok: false, code: 'ERR_PM2SELF_PLAN_FAILED', why },
        minUptimeWaitMs: 0,
        target: null,
      };
    }
    debug('restart: plan %j', planned.plan);
    // A single instance, or a plain exit outside pm2, has no one to take turns with.
    const needsTurn =
      planned.plan.ok &&
      planned.plan.strategy.type !== 'plainExit' &&
      context.turns !== undefined &&
      (planned.instances ?? 2) > 1;
    dispatch({ type: 'planned', at: clock.now(), requestId, allowPlainExit, planned, needsTurn });
  };

  /**
   * Waits for a turn among the app's instances while the machine waits for one; a port that fails
   * (the turns' files) fails the request: the process keeps running, nothing held.
   */
  const takeTurn = async (requestId: number) => {
    const turns = context.turns;
    const reason = state.request?.reason ?? '';
    try {
      const turn =
        turns === undefined
          ? { taken: true as const, waitedMs: 0 }
          : await turns.take({
              stillWanted: () => state.phase === 'waitingTurn' && state.request?.id === requestId,
              onWait(holders) {
                events.emit('waitingTurn', { type: 'waitingTurn', reason, holders });
                settleWaiter({ status: 'waitingTurn', holders });
              },
            });
      if (!turn.taken) return;
      if (turn.waitedMs > 0) events.emit('turnTaken', { type: 'turnTaken', reason, waitedMs: turn.waitedMs });
      dispatch({ type: 'turnTaken', at: clock.now(), requestId });
    } catch (error) {
      const message = `the turn could not be taken: ${error instanceof Error ? error.message : String(error)}`;
      debug('restart: %s', message);
      // The machine's `failed` notice gives back anything held.
      dispatch({ type: 'turnFailed', at: clock.now(), requestId, message });
    }
  };

  const drain = async () => {
    const request = state.request as PendingRequest;
    const planned = request.plan;
    if (request.kind === 'restart' && planned !== null) {
      const waitMs = planned.minUptimeWaitMs - (clock.now() - (request.plannedAt ?? clock.now()));
      if (waitMs > 0) {
        debug('restart: waiting %d ms for min_uptime', waitMs);
        const wait = cancellableDelay(clock, waitMs);
        endMinUptimeWait = wait.end;
        await wait.done;
        endMinUptimeWait = undefined;
      }
    }
    // Hooks start on a later turn of the event loop: the caller's `await gracefulRestart()` has
    // resumed (with its outcome) before any hook runs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (exited) return;
    const pending = state.request ?? request;
    const current =
      pending.kind === 'restart' && context.exitHooks
        ? { ...pending, ...context.exitHooks(pending) }
        : pending;
    const budget =
      current.hardStopAt === null
        ? current.hooksTimeoutMs
        : Math.max(0, Math.min(current.hooksTimeoutMs, current.hardStopAt - clock.now()));
    hooksStop = new AbortController();
    const onFailure = (failure: HookFailure) => {
      if (!exited) events.emit('hookFailed', { type: 'hookFailed', reason: current.reason, ...failure });
    };
    const hookContext = {
      reason: current.reason,
      // Read at each hook's start: a pm2 signal during the hooks turns the restart into a shutdown.
      get kind() {
        return state.request?.kind ?? current.kind;
      },
    };
    await runHooks(current.hooks, hookContext, budget, clock, onFailure, hooksStop.signal);
    hooksStop = undefined;
    dispatch({ type: 'drainFinished', at: clock.now() });
  };

  const exit = () =>
    performExit({
      context,
      events,
      state: () => state,
      exited: () => exited,
      exitProcess,
      fail: (cause, message) => dispatch({ type: 'restartFailed', at: clock.now(), cause, message }),
    });

  const alreadyPending = (rejectedHooks: number): RestartOutcome => {
    const request = state.request as PendingRequest;
    const phase = state.phase === 'idle' ? 'planning' : state.phase;
    return {
      status: 'alreadyPending',
      phase,
      pending: { kind: request.kind, reason: request.reason },
      rejectedHooks,
    };
  };

  const request = (options: RequestOptions): Promise<RestartOutcome> => {
    if (state.phase !== 'idle') {
      let rejected = 0;
      const stop = events.on('hooksRejected', (event) => (rejected = event.count));
      dispatch({ type: 'restartRequested', at: clock.now(), options });
      stop();
      return Promise.resolve(alreadyPending(rejected));
    }
    const outcome = new Promise<RestartOutcome>((resolve) => (waiter = resolve));
    dispatch({ type: 'restartRequested', at: clock.now(), options });
    return outcome;
  };

  const shutdown = (request: ShutdownRequest): void => {
    const at = clock.now();
    dispatch({ type: 'shutdownRequested', at, ...request });
    if (exited) return;
    if (state.request?.kind === 'shutdown') endMinUptimeWait?.();
    const stop = hooksStop;
    const hardStopAt = state.request?.hardStopAt;
    if (stop && hardStopAt != null) clock.setTimeout(() => stop.abort(), Math.max(0, hardStopAt - at));
  };

  const cancel = (): boolean => {
    const before = state.phase;
    dispatch({ type: 'cancelRequested', at: clock.now() });
    return before !== 'idle' && state.phase === 'idle';
  };

  const tryBeginTask = (label?: string): TaskHandle | null => {
    checkTaskLabel(label);
    dispatch({ type: 'taskStarted', at: clock.now() });
    if (taskRefused) {
      taskRefused = false;
      return null;
    }
    const task = registry.begin(label, () => dispatch({ type: 'taskEnded', at: clock.now() }));
    context.onTaskBegun?.();
    return task;
  };

  return {
    get state() {
      return state;
    },
    request,
    shutdown,
    cancel,
    beginTask(label) {
      const task = tryBeginTask(label);
      if (task !== null) return task;
      throw new Pm2SelfError('ERR_PM2SELF_NOT_ACCEPTING_TASKS', { context: { phase: state.phase, label } });
    },
    tryBeginTask,
    acceptsTasks() {
      if (state.phase === 'draining' || state.phase === 'exiting') return false;
      return state.phase !== 'deferred' || state.request?.refuseNewTasks !== true;
    },
    tasks: registry.list,
    on: events.on,
  };
}
