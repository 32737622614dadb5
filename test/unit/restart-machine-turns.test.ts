/**
 * The machine's turns: a restart takes its turn when the instance is about to stop taking work, not
 * while it is deferred; once it holds its turn it refuses new tasks, and holds it TURN_HOLD_MS at most
 * while the running ones end; with `refuseNewTasks` the turn comes first, then the refusal; the wait
 * for the turn does not count against the deadline; a shutdown never waits for a turn.
 */
import { describe, expect, it } from 'vitest';
import {
  transition,
  type RequestOptions,
  type RestartEffect,
  type RestartEvent,
  type RestartState,
} from '../../src/restart/machine.js';
import { needsTurn, restartMachine, TURN_HOLD_MS } from '../../src/restart/machine.js';
import type { PlannedRestart } from '../../src/restart/plan-restart.js';
import { PLANNED_EXIT, REQUEST_OPTIONS } from '../helpers/machine-fixtures.js';

const T0 = 1_000_000;
const OPTIONS: RequestOptions = { ...REQUEST_OPTIONS, reason: 'rollout', deadlineMs: 3_000 };
const PLANNED: PlannedRestart = { ...PLANNED_EXIT, instances: 2 };

const types = (effects: readonly RestartEffect[]) =>
  effects.map((effect) => (effect.type === 'notify' ? `notify:${effect.notice.type}` : effect.type));

/** Runs events from idle; returns the last state and every effect. */
function run(...events: RestartEvent[]): { state: RestartState; effects: RestartEffect[] } {
  let state = restartMachine.initialState;
  const effects: RestartEffect[] = [];
  for (const event of events) {
    const next = transition(state, event);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

const task = (at = T0): RestartEvent => ({ type: 'taskStarted', at });
const ended = (at: number): RestartEvent => ({ type: 'taskEnded', at });
const asked = (extra: Partial<RequestOptions> = {}): RestartEvent => ({
  type: 'restartRequested',
  at: T0,
  wallAt: T0,
  options: { ...OPTIONS, ...extra },
});
const planned: RestartEvent = {
  type: 'planned',
  at: T0,
  requestId: 1,
  allowPlainExit: false,
  planned: PLANNED,
  turnsEnabled: true,
};
const taken = (at: number): RestartEvent => ({ type: 'turnTaken', at, requestId: 1 });
const holdEnded = (at: number): RestartEvent => ({ type: 'turnHoldEnded', at, requestId: 1 });

describe('restart machine: turns', () => {
  it('a deferred instance holds no turn and keeps serving; the turn is asked when its last task ends', () => {
    const deferred = run(task(), asked(), planned);
    expect(deferred.state.phase).toBe('deferred');
    expect(types(deferred.effects)).not.toContain('takeTurn');
    expect(transition(deferred.state, task(T0 + 10)).effects).toEqual([{ type: 'acceptTask' }]);
    const last = run(task(), asked(), planned, ended(T0 + 500));
    expect(last.state.phase).toBe('waitingTurn');
    expect(types(last.effects).slice(-2)).toEqual(['cancelDeadlineTimer', 'takeTurn']);
    const drained = transition(last.state, taken(T0 + 900));
    expect(drained.state.phase).toBe('draining');
  });

  it('with refuseNewTasks the turn comes first: tasks are accepted while it waits, refused once it has it', () => {
    const waiting = run(task(), asked({ refuseNewTasks: true }), planned);
    expect(waiting.state.phase).toBe('waitingTurn');
    expect(types(waiting.effects)).toContain('takeTurn');
    const during = transition(waiting.state, task(T0 + 100));
    expect(during.effects).toEqual([{ type: 'acceptTask' }]);
    const had = transition(during.state, taken(T0 + 1_300));
    expect(had.state).toMatchObject({ phase: 'deferred', tasks: 2, request: { turn: 'held' } });
    expect(transition(had.state, task(T0 + 1_400)).effects).toEqual([{ type: 'refuseTask' }]);
  });

  it("a task begun while it waited (a queue worker's next job): it keeps the turn, refuses new tasks and drains when the running ones end, taking the turn once (review T1)", () => {
    // Asked with no task running: it waits for its turn, serving meanwhile; its next job begins.
    const waiting = run(asked(), planned, task(T0 + 100));
    expect(waiting.state).toMatchObject({ phase: 'waitingTurn', tasks: 1 });
    // The turn comes while that job runs: it holds it and stops taking work (on main: given back,
    // asked again at the job's end, given back again as the next job began: forever).
    const had = transition(waiting.state, taken(T0 + 1_300));
    expect(had.state).toMatchObject({ phase: 'deferred', tasks: 1, request: { turn: 'held' } });
    expect(types(had.effects)).toEqual(['startTurnHoldTimer', 'startDeadlineTimer', 'notify:deferred']);
    expect(had.effects).toContainEqual({ type: 'startTurnHoldTimer', requestId: 1, delayMs: TURN_HOLD_MS });
    const next = transition(had.state, task(T0 + 1_350));
    expect(next.effects).toEqual([{ type: 'refuseTask' }]);
    // The job ends: it drains with the turn it has, asking for no other.
    const drained = transition(next.state, ended(T0 + 1_400));
    expect(drained.state).toMatchObject({ phase: 'draining', request: { turn: 'held' } });
    expect(types(drained.effects)).not.toContain('takeTurn');
    expect(types(drained.effects)).not.toContain('releaseTurn');
  });

  it('a back-to-back worker (each job begins as the last ends) restarts after its current job: one takeTurn, no releaseTurn (review T1)', () => {
    let { state, effects } = run(asked(), planned);
    let at = T0;
    // The worker's loop: a job of 100 ms, the next one begun in the same tick as the last ends;
    // the turn comes 50 ms after each ask (a daemon round trip).
    state = transition(state, task(at)).state;
    for (let step = 0; step < 50 && state.phase !== 'draining'; step++) {
      at += 50;
      if (state.phase === 'waitingTurn') {
        const next = transition(state, taken(at));
        state = next.state;
        effects = [...effects, ...next.effects];
      }
      at += 50;
      const endedNow = transition(state, ended(at));
      const begun = transition(endedNow.state, task(at));
      state = begun.state;
      effects = [...effects, ...endedNow.effects, ...begun.effects];
    }
    expect(state.phase).toBe('draining');
    expect(types(effects).filter((type) => type === 'takeTurn')).toHaveLength(1);
    expect(types(effects)).not.toContain('releaseTurn');
    expect(at - T0).toBeLessThanOrEqual(100);
  });

  it('the hold is bounded: tasks still running TURN_HOLD_MS after the turn came, it goes back; the instance takes work again and asks anew at 0 (review B1)', () => {
    const had = transition(run(asked(), planned, task(T0 + 100)).state, taken(T0 + 1_300));
    expect(had.state).toMatchObject({ phase: 'deferred', request: { turn: 'held' } });
    // A stale or early timer changes nothing.
    const early = transition(had.state, holdEnded(T0 + 1_300 + TURN_HOLD_MS - 1));
    expect(early.state).toBe(had.state);
    const back = transition(had.state, holdEnded(T0 + 1_300 + TURN_HOLD_MS));
    expect(back.state).toMatchObject({ phase: 'deferred', tasks: 1, request: { turn: 'givenBack' } });
    expect(types(back.effects)).toEqual(['releaseTurn', 'notify:deferred']);
    // Serving again: overlapping tasks are accepted and never bring the turn back while one runs.
    const busy = transition(back.state, task(T0 + 11_400));
    expect(busy.effects).toEqual([{ type: 'acceptTask' }]);
    const oneLeft = transition(busy.state, ended(T0 + 11_500));
    expect(types(oneLeft.effects)).toEqual([]);
    // The last task ends: it asks again, and drains once it has the turn with nothing running.
    const last = transition(oneLeft.state, ended(T0 + 11_600));
    expect(last.state.phase).toBe('waitingTurn');
    expect(types(last.effects)).toEqual(['cancelDeadlineTimer', 'takeTurn']);
    const drained = transition(last.state, taken(T0 + 11_700));
    expect(drained.state).toMatchObject({ phase: 'draining', request: { turn: 'held' } });
  });

  it('refuseNewTasks and an endless task: the turn goes back after TURN_HOLD_MS, tasks stay refused, and the turn is asked again only when the task ends (review T2)', () => {
    const waiting = run(task(), asked({ refuseNewTasks: true, deadlineMs: null }), planned);
    expect(waiting.state.phase).toBe('waitingTurn');
    const had = transition(waiting.state, taken(T0 + 200));
    expect(had.state).toMatchObject({ phase: 'deferred', request: { turn: 'held' } });
    const back = transition(had.state, holdEnded(T0 + 200 + TURN_HOLD_MS));
    expect(back.state).toMatchObject({ phase: 'deferred', request: { turn: 'givenBack' } });
    expect(types(back.effects)).toEqual(['releaseTurn', 'notify:deferred']);
    expect(transition(back.state, task(T0 + 20_000)).effects).toEqual([{ type: 'refuseTask' }]);
    // A second caller adding refuseNewTasks again does not make it ask while the task runs.
    const joined = transition(back.state, asked({ refuseNewTasks: true, deadlineMs: null }));
    expect(joined.state.phase).toBe('deferred');
    expect(types(joined.effects)).not.toContain('takeTurn');
    // The endless task ends after all: the turn is asked again, and it drains with it.
    const last = transition(joined.state, ended(T0 + 60_000));
    expect(last.state.phase).toBe('waitingTurn');
    expect(types(last.effects)).toContain('takeTurn');
    expect(transition(last.state, taken(T0 + 60_100)).state.phase).toBe('draining');
  });

  it('a deadline that comes while the turn is held forces the drain with it; the hold timer then changes nothing', () => {
    const had = transition(run(asked(), planned, task(T0 + 100)).state, taken(T0 + 1_300));
    // Asked at T0 with 3 s, the 1.3 s wait moves the deadline to T0 + 4.3 s.
    const forced = transition(had.state, { type: 'deadlineReached', at: T0 + 4_300 });
    expect(forced.state).toMatchObject({ phase: 'draining', request: { forced: true, turn: 'held' } });
    expect(transition(forced.state, holdEnded(T0 + 1_300 + TURN_HOLD_MS)).state).toBe(forced.state);
  });

  it('a caller that adds refuseNewTasks while the instance is deferred without a turn: the turn comes first, then the refusal', () => {
    const deferred = run(task(), asked(), planned);
    expect(deferred.state).toMatchObject({ phase: 'deferred', request: { turn: 'needed' } });
    const joined = transition(deferred.state, asked({ refuseNewTasks: true }));
    expect(joined.state.phase).toBe('waitingTurn');
    expect(types(joined.effects)).toEqual(['notify:requested', 'cancelDeadlineTimer', 'takeTurn']);
    expect(transition(joined.state, task(T0 + 10)).effects).toEqual([{ type: 'acceptTask' }]);
    const had = transition(joined.state, taken(T0 + 500));
    expect(had.state).toMatchObject({ phase: 'deferred', request: { turn: 'held' } });
    expect(transition(had.state, task(T0 + 600)).effects).toEqual([{ type: 'refuseTask' }]);
  });

  it('deferred with a turn held only while refusing new tasks, and never past TURN_HOLD_MS: any order of events', () => {
    const at = (n: number) => T0 + n * 4_000;
    const pool = (n: number): RestartEvent[] => [
      task(at(n)),
      ended(at(n)),
      taken(at(n)),
      holdEnded(at(n)),
      asked({ refuseNewTasks: n % 2 === 1 }),
      { type: 'deadlineReached', at: T0 + 3_000 + at(n) },
    ];
    // Every sequence of 5 events from the pool (6^5), after a request planned with or without a task.
    let checked = 0;
    const walk = (state: RestartState, depth: number, clock: number): void => {
      const { phase, request } = state;
      if (phase === 'deferred' && request?.turn === 'held') {
        expect(transition(state, task(clock)).effects).toEqual([{ type: 'refuseTask' }]);
        // Its hold timer, due TURN_HOLD_MS after the turn came, gives it back.
        const due = (request.turnTakenAt as number) + TURN_HOLD_MS;
        expect(transition(state, holdEnded(due)).state.request?.turn).toBe('givenBack');
      }
      checked += 1;
      if (depth === 5) return;
      for (const event of pool(depth)) walk(transition(state, event).state, depth + 1, at(depth));
    };
    walk(run(asked({ deadlineMs: null }), planned).state, 0, T0);
    walk(run(task(), asked(), planned).state, 0, T0);
    expect(checked).toBeGreaterThan(15_000);
  });

  it('the wait for the turn does not count against the deadline', () => {
    const waiting = run(task(), asked({ refuseNewTasks: true }), planned, task(T0 + 100));
    const had = transition(waiting.state, taken(T0 + 1_300));
    // Asked at T0 with 3 s: the 1.3 s wait moves the deadline to T0 + 4.3 s, a full 3 s from now.
    expect(had.state.request?.deadlineAt).toBe(T0 + 4_300);
    expect(had.effects).toContainEqual({ type: 'startDeadlineTimer', delayMs: 3_000 });
    const early = transition(had.state, { type: 'deadlineReached', at: T0 + 3_000 });
    expect(early.state).toBe(had.state);
  });

  it('a forcing deadline while deferred takes the turn first, refusing tasks meanwhile (they would be cut)', () => {
    const waiting = run(task(), asked(), planned, { type: 'deadlineReached', at: T0 + 3_000 });
    expect(waiting.state).toMatchObject({ phase: 'waitingTurn', request: { forced: true } });
    expect(transition(waiting.state, task(T0 + 3_100)).effects).toEqual([{ type: 'refuseTask' }]);
    expect(transition(waiting.state, taken(T0 + 3_500)).state.phase).toBe('draining');
  });

  it('a shutdown while waiting for the turn never waits for one', () => {
    const waiting = run(asked(), planned);
    expect(waiting.state.phase).toBe('waitingTurn');
    const shutdown = transition(waiting.state, {
      type: 'shutdownRequested',
      at: T0 + 10,
      wallAt: T0 + 10,
      signal: 'SIGINT',
      budgetMs: 1_300,
      refuseNewTasks: false,
      hooks: [],
      hooksTimeoutMs: 1_000,
      hooksReserveMs: 0,
      recordAs: null,
      fromPm2: true,
    });
    expect(shutdown.state.phase).toBe('draining');
    expect(types(shutdown.effects)).not.toContain('takeTurn');
    expect(transition(shutdown.state, taken(T0 + 20)).state).toBe(shutdown.state);
  });

  it('a turn that fails ends the request (failed, idle); cancelling while waiting works', () => {
    const waiting = run(asked(), planned);
    const failed = transition(waiting.state, {
      type: 'turnFailed',
      at: T0 + 5,
      requestId: 1,
      message: 'EIO',
    });
    expect(failed.state.phase).toBe('idle');
    expect(types(failed.effects)).toEqual(['notify:failed', 'releaseTurn']);
    const cancelled = transition(waiting.state, { type: 'cancelRequested', at: T0 + 5 });
    expect(cancelled.state.phase).toBe('idle');
    expect(types(cancelled.effects)).toEqual(['cancelDeadlineTimer', 'notify:cancelled', 'releaseTurn']);
  });

  it('the machine, not the controller, says when a turn is given back: only by a request that took part in turns', () => {
    // Held, then the exit failed (the daemon refused): the turn goes back with the failure.
    const exiting = run(asked(), planned, taken(T0 + 10), { type: 'drainFinished', at: T0 + 20 });
    expect(exiting.state.phase).toBe('exiting');
    const failed = transition(exiting.state, {
      type: 'restartFailed',
      at: T0 + 30,
      cause: 'daemonRefused',
      message: 'no',
    });
    expect(types(failed.effects)).toEqual(['notify:failed', 'releaseTurn']);
    // A deferred request that gives up at its deadline and never needed a turn gives nothing back.
    const alone = { ...planned, turnsEnabled: false } as RestartEvent;
    const deferred = run(task(), asked({ onDeadline: 'giveUp' }), alone);
    const gaveUp = transition(deferred.state, { type: 'deadlineReached', at: T0 + 3_000 });
    expect(types(gaveUp.effects)).toEqual(['notify:deadlineReached', 'notify:cancelled']);
    // The same with turns on: it held none (deferred), but took part, so the release is asked (a no-op).
    const withTurns = run(task(), asked({ onDeadline: 'giveUp' }), planned);
    const gaveUpToo = transition(withTurns.state, { type: 'deadlineReached', at: T0 + 3_000 });
    expect(types(gaveUpToo.effects)).toEqual(['notify:deadlineReached', 'notify:cancelled', 'releaseTurn']);
  });
});

describe('needsTurn: the machine decides from the plan whether a restart takes a turn', () => {
  const plainExit: PlannedRestart = {
    ...PLANNED,
    plan: { ok: true, strategy: { type: 'plainExit', code: 0 }, why: 'outside pm2' },
  };
  const refused: PlannedRestart = {
    ...PLANNED,
    plan: { ok: false, code: 'ERR_PM2SELF_NOT_UNDER_PM2', why: 'not under pm2' },
  };
  it.each([
    ['2 instances, turns on', PLANNED, true, true],
    ['turns off (no turns port, or maxUnavailable Infinity)', PLANNED, false, false],
    ['a single instance', { ...PLANNED, instances: 1 }, true, false],
    ['the count unknown (the daemon did not say): a turn, to be safe', PLANNED_EXIT, true, true],
    ['a plain exit outside pm2', plainExit, true, false],
    ['a refused plan', refused, true, false],
  ] as const)('%s', (_title, planned, turnsEnabled, expected) => {
    expect(needsTurn(planned, turnsEnabled)).toBe(expected);
  });

  it('a planned event with turns on and one instance drains without a turn', () => {
    const single = { ...planned, planned: { ...PLANNED, instances: 1 } } as RestartEvent;
    const { state, effects } = run(asked(), single);
    expect(state.phase).toBe('draining');
    expect(types(effects)).not.toContain('takeTurn');
  });
});
