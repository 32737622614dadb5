/**
 * The interpreter of the restart machine: it holds the machine's state and the handles of what is in
 * flight (a timer, the drain, the caller waiting for its outcome) and performs the effects, deciding nothing.
 */
import { Pm2SelfError } from '../common/errors.js';
import type { TimerHandle } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import { debug } from '../common/debug.js';
import { createEventHub, type RestartEventName, type RestartEvents } from './events.js';
import {
  acceptsTasks,
  type RestartEffect,
  type RestartEvent,
  type RestartState,
  type ShutdownRequest,
} from './machine.js';
import type { ControllerContext } from './controller-context.js';
import type { PendingRequest, RequestOptions } from './request.js';
import { alreadyPendingOutcome, outcomeOfNotice } from './outcome-of-notice.js';
import type { RestartOutcome } from './restart-outcome.js';
import { performExit } from './perform-exit.js';
import { startDrainRun, type DrainParts, type DrainRun } from './drain-run.js';
import { takeTurn, type TakeTurnParts } from './take-turn.js';
import { planOrFailure } from './plan-or-failure.js';
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
  /** The machine's time: monotonic, so a wall clock stepped during a request moves no deadline. */
  const now = () => monotonicNow(clock);
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
  /** The timer that ends a turn held while tasks run (the machine ignores it once the turn is not held). */
  let turnHold: TimerHandle | undefined;
  let exited = false;
  /** The caller whose request is being planned waits for its outcome here. */
  let waiter: ((outcome: RestartOutcome) => void) | undefined;
  /** The drain in flight (its min_uptime wait and hooks), to hurry or stop. */
  let drainRun: DrainRun | undefined;
  /** Keeps the process alive while a request is under way; undefined when idle. */
  let release: (() => void) | undefined;

  /** Moves the machine and performs its effects; returns them (the task answers are read from them). */
  const dispatch = (event: RestartEvent): readonly RestartEffect[] => {
    const before = state.phase;
    const next = machine.transition(state, event);
    state = next.state;
    if (state.phase !== before) debug('restart: %s -> %s on %s', before, state.phase, event.type);
    holdWhileBusy();
    for (const effect of next.effects) perform(effect);
    return next.effects;
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

  const clearTurnHold = () => {
    if (turnHold !== undefined) clock.clearTimeout(turnHold);
    turnHold = undefined;
  };

  /** Exits once. The exit port may return (a test spy, a custom exit): then nothing else acts after it. */
  const exitProcess = (code: number): void => {
    if (exited) return;
    exited = true;
    clearDeadline();
    clearTurnHold();
    // A drain in flight starts no further hook.
    drainRun?.stop();
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
    if (exited) return;
    switch (effect.type) {
      case 'plan':
        void plan(effect.requestId, effect.allowPlainExit);
        return;
      case 'takeTurn':
        void takeTurn(turnParts, effect.requestId);
        return;
      case 'startDeadlineTimer': {
        clearDeadline();
        const at = now() + effect.delayMs;
        const fire = () => dispatch({ type: 'deadlineReached', at: Math.max(now(), at) });
        deadline = clock.setTimeout(fire, effect.delayMs);
        return;
      }
      case 'cancelDeadlineTimer':
        clearDeadline();
        return;
      case 'startTurnHoldTimer': {
        clearTurnHold();
        const { requestId, delayMs } = effect;
        const at = now() + delayMs;
        const fire = () => {
          turnHold = undefined;
          dispatch({ type: 'turnHoldEnded', at: Math.max(now(), at), requestId });
        };
        turnHold = clock.setTimeout(fire, delayMs);
        return;
      }
      case 'notify': {
        const { notice } = effect;
        debug('restart: %s %j', notice.type, notice);
        events.emit(notice.type, notice as never);
        if (waiter !== undefined) {
          const outcome = outcomeOfNotice(notice, state);
          if (outcome !== null) settleWaiter(outcome);
        }
        return;
      }
      case 'acceptTask':
      case 'refuseTask':
        // Answers to taskStarted, read by tryBeginTask from the dispatch.
        return;
      case 'drain':
        drainRun = startDrainRun(drainParts, state.request as PendingRequest);
        return;
      case 'releaseTurn':
        releaseTurn();
        return;
      case 'hurryDrain':
        drainRun?.hurry(effect.stopHooksInMs);
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
    const planned = await planOrFailure((allow) => context.plan(allow), allowPlainExit);
    debug('restart: plan %j', planned.plan);
    const turnsEnabled = context.turns !== undefined;
    dispatch({ type: 'planned', at: now(), requestId, allowPlainExit, planned, turnsEnabled });
  };

  const turnParts: TakeTurnParts = {
    turns: context.turns,
    clock,
    events,
    state: () => state,
    settleWaiter,
    dispatch,
  };

  const drainParts: DrainParts = {
    clock,
    request: () => state.request,
    exited: () => exited,
    exitHooks: context.exitHooks?.bind(context),
    onHookFailure: (reason, failure) => events.emit('hookFailed', { type: 'hookFailed', reason, ...failure }),
    finished: () => {
      drainRun = undefined;
      dispatch({ type: 'drainFinished', at: now() });
    },
  };

  const exit = () =>
    performExit({
      context,
      events,
      state: () => state,
      exited: () => exited,
      exitProcess,
      fail: (cause, message) => dispatch({ type: 'restartFailed', at: now(), cause, message }),
    });

  const request = (options: RequestOptions): Promise<RestartOutcome> => {
    if (state.phase !== 'idle') {
      let rejected = 0;
      const stop = events.on('hooksRejected', (event) => (rejected = event.count));
      dispatch({ type: 'restartRequested', at: now(), wallAt: clock.now(), options });
      stop();
      return Promise.resolve(alreadyPendingOutcome(state, rejected));
    }
    const outcome = new Promise<RestartOutcome>((resolve) => (waiter = resolve));
    dispatch({ type: 'restartRequested', at: now(), wallAt: clock.now(), options });
    return outcome;
  };

  const shutdown = (request: ShutdownRequest): void => {
    dispatch({ type: 'shutdownRequested', at: now(), wallAt: clock.now(), ...request });
  };

  const cancel = (): boolean => {
    const before = state.phase;
    dispatch({ type: 'cancelRequested', at: now() });
    return before !== 'idle' && state.phase === 'idle';
  };

  const tryBeginTask = (label?: string): TaskHandle | null => {
    checkTaskLabel(label);
    const answer = dispatch({ type: 'taskStarted', at: now() });
    if (answer.some((effect) => effect.type === 'refuseTask')) return null;
    const task = registry.begin(label, () => dispatch({ type: 'taskEnded', at: now() }));
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
    acceptsTasks: () => acceptsTasks(state),
    tasks: registry.list,
    on: events.on,
  };
}
