/**
 * pm2's stop budget keeps a reserve for the hooks (issue 19): tasks are cut early enough that the
 * hooks still run inside kill_timeout, each hook has its own share, and a failure names the hook.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/common/defaults.js';
import {
  restartMachine,
  type RestartEvent,
  type RestartState,
  type Transition,
} from '../../src/restart/machine.js';
import { openRequest, type RequestOptions } from '../../src/restart/request.js';
import { runHooks, type ExitHook, type HookFailure } from '../../src/restart/run-hooks.js';
import { createSimClock } from '../helpers/sim-clock.js';

const T0 = 1_000_000;
const { transition, initialState } = restartMachine;
const leaveHub: ExitHook = async () => undefined;

const shutdown = (at: number, hooks: readonly ExitHook[], budgetMs = 1_300, reserve = 500): RestartEvent => ({
  type: 'shutdownRequested',
  at,
  wallAt: at,
  signal: 'SIGINT',
  budgetMs,
  refuseNewTasks: false,
  hooks,
  hooksTimeoutMs: DEFAULTS.hooksTimeoutMs,
  hooksReserveMs: reserve,
  recordAs: null,
  fromPm2: true,
});

const busy: RestartState = { ...initialState, tasks: 1 };
const deadlineOf = (next: Transition) =>
  next.effects.find((effect) => effect.type === 'startDeadlineTimer') as { delayMs: number } | undefined;

describe('the shutdown budget keeps a reserve for the hooks', () => {
  it("with pm2's default kill_timeout (1300 ms budget), a running task is cut 500 ms early for the hooks", () => {
    const next = transition(busy, shutdown(T0, [leaveHub]));
    expect(next.state.phase).toBe('deferred');
    expect(next.state.request).toMatchObject({ deadlineAt: T0 + 800, hardStopAt: T0 + 1_300 });
    expect(deadlineOf(next)).toEqual({ type: 'startDeadlineTimer', delayMs: 800 });
  });

  it('keeps at most half the budget, and no more than the hooks may use', () => {
    expect(transition(busy, shutdown(T0, [leaveHub], 600)).state.request?.deadlineAt).toBe(T0 + 300);
    const short = { ...shutdown(T0, [leaveHub]), hooksTimeoutMs: 200 } as RestartEvent;
    expect(transition(busy, short).state.request?.deadlineAt).toBe(T0 + 1_100);
  });

  it('keeps nothing when no hook is given: tasks have the whole budget', () => {
    expect(transition(busy, shutdown(T0, [])).state.request?.deadlineAt).toBe(T0 + 1_300);
  });

  it("a restart's forced deadline is cut too when pm2's stop comes while it waits", () => {
    const options: RequestOptions = {
      reason: 'update',
      deadlineMs: 10_000,
      onDeadline: 'force',
      refuseNewTasks: false,
      hooks: [leaveHub],
      hooksTimeoutMs: 5_000,
      allowPlainExit: false,
    };
    const deferred: RestartState = {
      ...busy,
      phase: 'deferred',
      request: openRequest(1, T0, T0, options),
      nextId: 2,
    };
    expect(transition(deferred, shutdown(T0 + 100, [])).state.request?.deadlineAt).toBe(T0 + 900);
  });

  it("the daemon's SIGINT during a restart's own exit is not called a second signal", () => {
    const options: RequestOptions = {
      reason: 'new config',
      deadlineMs: null,
      onDeadline: 'force',
      refuseNewTasks: false,
      hooks: [],
      hooksTimeoutMs: 5_000,
      allowPlainExit: false,
    };
    const exiting: RestartState = {
      ...initialState,
      phase: 'exiting',
      request: openRequest(1, T0, T0, options),
      nextId: 2,
    };
    expect(transition(exiting, shutdown(T0 + 10, [])).effects).toEqual([
      { type: 'exitNow', signal: 'SIGINT', fromPm2: true, reason: 'new config', second: false },
    ]);
  });
});

describe('each hook has its own share of the hooks budget', () => {
  it('a hook that never settles costs only its share; the next hook runs and the failure names the hook', async () => {
    const clock = createSimClock(T0);
    const ran: string[] = [];
    const failures: HookFailure[] = [];
    const hangs: ExitHook = function hangs() {
      return new Promise<void>(() => undefined);
    };
    const hooks: ExitHook[] = [hangs, () => void ran.push('second')];
    const done = runHooks(hooks, { reason: 'pm2 SIGINT', kind: 'shutdown' }, 500, clock, (f) =>
      failures.push(f),
    );
    await clock.advance(249);
    expect(ran).toEqual([]);
    await clock.advance(1);
    await done;
    expect(ran).toEqual(['second']);
    expect(failures).toEqual([{ hook: 'hangs', budgetMs: 250, message: 'hook exceeded its 250 ms budget' }]);
  });

  it('an anonymous hook is named by its position; time a hook leaves unused goes to the next', async () => {
    const clock = createSimClock(T0);
    const failures: HookFailure[] = [];
    const quick: ExitHook = async () => undefined;
    const hooks = [quick, ...[0, 1].map(() => () => new Promise<void>(() => undefined))];
    const done = runHooks(hooks, { reason: 'r', kind: 'restart' }, 900, clock, (f) => failures.push(f));
    await clock.runAll();
    await done;
    expect(failures).toEqual([
      { hook: '#2', budgetMs: 450, message: 'hook exceeded its 450 ms budget' },
      { hook: '#3', budgetMs: 450, message: 'hook exceeded its 450 ms budget' },
    ]);
  });

  it('the stop signal (the end of pm2 budget) cuts the running hook and skips the rest', async () => {
    const clock = createSimClock(T0);
    const failures: HookFailure[] = [];
    const stop = new AbortController();
    const hooks: ExitHook[] = [
      function first() {
        return new Promise<void>(() => undefined);
      },
      function second() {},
    ];
    const done = runHooks(
      hooks,
      { reason: 'r', kind: 'shutdown' },
      1_000,
      clock,
      (f) => failures.push(f),
      stop.signal,
    );
    await clock.advance(100);
    stop.abort();
    await done;
    expect(failures).toEqual([
      { hook: 'first', budgetMs: 500, message: 'hook cut: the time budget is spent' },
      { hook: 'second', budgetMs: 0, message: 'hook skipped: the time budget is spent' },
    ]);
  });
});
