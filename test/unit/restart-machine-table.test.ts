import { describe, expect, it } from 'vitest';
import {
  mergeDeadlines,
  restartMachine,
  transition,
  type MachineNotice,
  type PendingRequest,
  type RequestOptions,
  type RestartEffect,
  type RestartEvent,
  type RestartPhase,
  type RestartState,
  type Transition,
} from '../../src/restart/machine.js';
import type { PlannedRestart } from '../../src/restart/plan-restart.js';
import { openRequest } from '../../src/restart/request.js';
import { PLANNED_EXIT, REQUEST_OPTIONS } from '../helpers/machine-fixtures.js';

type EventType = RestartEvent['type'];
type EffectType = RestartEffect['type'] | `notify:${MachineNotice['type']}`;

// Exhaustive by type: adding a phase or an event to the machine's unions fails `tsc` here until the
// lists (and the table below, typed as a full Record) have it; the runtime check then sees the new row.
const PHASES = {
  idle: true,
  planning: true,
  deferred: true,
  waitingTurn: true,
  draining: true,
  exiting: true,
} as const satisfies Record<RestartPhase, true>;
const EVENT_TYPES = {
  restartRequested: true,
  planned: true,
  turnTaken: true,
  turnHoldEnded: true,
  turnFailed: true,
  shutdownRequested: true,
  taskStarted: true,
  taskEnded: true,
  cancelRequested: true,
  deadlineReached: true,
  drainFinished: true,
  restartFailed: true,
} as const satisfies Record<EventType, true>;

const T0 = 1_000_000;

const OPTIONS = REQUEST_OPTIONS;

/** A plan that exits with code 0, made for request `id`. */
const PLANNED = PLANNED_EXIT;

const restartRequest = (overrides: Partial<PendingRequest> = {}): PendingRequest => ({
  ...openRequest(1, T0, T0, OPTIONS),
  ...overrides,
});

/** One representative state per phase. */
const STATES: Record<RestartPhase, RestartState> = {
  idle: { phase: 'idle', tasks: 1, request: null, nextId: 2 },
  planning: { phase: 'planning', tasks: 1, request: restartRequest(), nextId: 2 },
  deferred: { phase: 'deferred', tasks: 2, request: restartRequest({ plan: PLANNED }), nextId: 2 },
  waitingTurn: {
    phase: 'waitingTurn',
    tasks: 1,
    request: restartRequest({ plan: PLANNED, turn: 'needed', waitingTurnSince: T0 }),
    nextId: 2,
  },
  // Forced past one running task, so `taskEnded` has something to count down.
  draining: {
    phase: 'draining',
    tasks: 1,
    request: restartRequest({ forced: true, plan: PLANNED }),
    nextId: 2,
  },
  exiting: { phase: 'exiting', tasks: 0, request: restartRequest({ plan: PLANNED }), nextId: 2 },
};

const AT = T0 + 1_000;

/** One event of each type; `deadlineReached` comes exactly at the deferred request's deadline. */
const EVENTS: { [K in EventType]: Extract<RestartEvent, { type: K }> } = {
  restartRequested: {
    type: 'restartRequested',
    at: AT,
    wallAt: AT,
    options: { ...OPTIONS, reason: 'config', deadlineMs: 3_000 },
  },
  planned: {
    type: 'planned',
    at: AT,
    requestId: 1,
    allowPlainExit: false,
    planned: PLANNED,
    turnsEnabled: false,
  },
  turnTaken: { type: 'turnTaken', at: AT, requestId: 1 },
  // Only a deferred request holding its turn for TURN_HOLD_MS answers it (restart-machine-turns.test.ts).
  turnHoldEnded: { type: 'turnHoldEnded', at: T0 + 20_000, requestId: 1 },
  turnFailed: { type: 'turnFailed', at: AT, requestId: 1, message: 'disk gone' },
  shutdownRequested: {
    type: 'shutdownRequested',
    at: AT,
    wallAt: AT,
    signal: 'SIGINT',
    budgetMs: 1_300,
    refuseNewTasks: false,
    hooks: [],
    hooksTimeoutMs: 5_000,
    hooksReserveMs: 500,
    recordAs: null,
    fromPm2: true,
  },
  taskStarted: { type: 'taskStarted', at: AT },
  taskEnded: { type: 'taskEnded', at: AT },
  cancelRequested: { type: 'cancelRequested', at: AT },
  deadlineReached: { type: 'deadlineReached', at: T0 + 5_000 },
  drainFinished: { type: 'drainFinished', at: AT },
  restartFailed: { type: 'restartFailed', at: AT, cause: 'daemonRefused', message: 'daemon refused' },
};

/** `null`: no transition (the very same state back, no effects). */
type Expected = { phase: RestartPhase; tasks: number; effects: EffectType[] } | null;

const TABLE: Record<RestartPhase, Record<EventType, Expected>> = {
  idle: {
    restartRequested: { phase: 'planning', tasks: 1, effects: ['notify:requested', 'plan'] },
    planned: null,
    turnTaken: null,
    turnHoldEnded: null,
    turnFailed: null,
    shutdownRequested: {
      phase: 'deferred',
      tasks: 1,
      effects: ['notify:requested', 'startDeadlineTimer', 'notify:deferred'],
    },
    taskStarted: { phase: 'idle', tasks: 2, effects: ['acceptTask'] },
    taskEnded: { phase: 'idle', tasks: 0, effects: [] },
    cancelRequested: null,
    deadlineReached: null,
    drainFinished: null,
    restartFailed: null,
  },
  planning: {
    restartRequested: { phase: 'planning', tasks: 1, effects: ['notify:requested'] },
    planned: {
      phase: 'deferred',
      tasks: 1,
      effects: ['startDeadlineTimer', 'notify:deferred'],
    },
    turnTaken: null,
    turnHoldEnded: null,
    turnFailed: null,
    shutdownRequested: {
      phase: 'deferred',
      tasks: 1,
      effects: ['notify:requested', 'startDeadlineTimer', 'notify:deferred'],
    },
    taskStarted: { phase: 'planning', tasks: 2, effects: ['acceptTask'] },
    taskEnded: { phase: 'planning', tasks: 0, effects: [] },
    cancelRequested: { phase: 'idle', tasks: 1, effects: ['cancelDeadlineTimer', 'notify:cancelled'] },
    deadlineReached: null,
    drainFinished: null,
    restartFailed: null,
  },
  deferred: {
    restartRequested: { phase: 'deferred', tasks: 2, effects: ['notify:requested', 'startDeadlineTimer'] },
    planned: null,
    turnTaken: null,
    turnHoldEnded: null,
    turnFailed: null,
    shutdownRequested: {
      phase: 'deferred',
      tasks: 2,
      effects: ['notify:requested', 'startDeadlineTimer', 'notify:deferred'],
    },
    taskStarted: { phase: 'deferred', tasks: 3, effects: ['acceptTask'] },
    taskEnded: { phase: 'deferred', tasks: 1, effects: [] },
    cancelRequested: { phase: 'idle', tasks: 2, effects: ['cancelDeadlineTimer', 'notify:cancelled'] },
    deadlineReached: {
      phase: 'draining',
      tasks: 2,
      effects: ['notify:deadlineReached', 'notify:draining', 'drain'],
    },
    drainFinished: null,
    restartFailed: null,
  },
  waitingTurn: {
    restartRequested: { phase: 'waitingTurn', tasks: 1, effects: ['notify:requested'] },
    planned: null,
    // Had its turn after 1 s with a task running: it keeps the turn, takes no new task and waits
    // for the running one (TURN_HOLD_MS at most), its deadline moved by the wait.
    turnTaken: {
      phase: 'deferred',
      tasks: 1,
      effects: ['startTurnHoldTimer', 'startDeadlineTimer', 'notify:deferred'],
    },
    turnHoldEnded: null,
    turnFailed: { phase: 'idle', tasks: 1, effects: ['notify:failed', 'releaseTurn'] },
    shutdownRequested: {
      phase: 'deferred',
      tasks: 1,
      effects: ['notify:requested', 'startDeadlineTimer', 'notify:deferred'],
    },
    taskStarted: { phase: 'waitingTurn', tasks: 2, effects: ['acceptTask'] },
    taskEnded: { phase: 'waitingTurn', tasks: 0, effects: [] },
    cancelRequested: {
      phase: 'idle',
      tasks: 1,
      effects: ['cancelDeadlineTimer', 'notify:cancelled', 'releaseTurn'],
    },
    deadlineReached: null,
    drainFinished: null,
    restartFailed: null,
  },
  draining: {
    restartRequested: { phase: 'draining', tasks: 1, effects: ['notify:requested'] },
    planned: null,
    turnTaken: null,
    turnHoldEnded: null,
    turnFailed: null,
    shutdownRequested: { phase: 'draining', tasks: 1, effects: ['notify:requested', 'hurryDrain'] },
    taskStarted: { phase: 'draining', tasks: 1, effects: ['refuseTask'] },
    taskEnded: { phase: 'draining', tasks: 0, effects: [] },
    cancelRequested: null,
    deadlineReached: null,
    drainFinished: { phase: 'exiting', tasks: 1, effects: ['exit'] },
    restartFailed: null,
  },
  exiting: {
    restartRequested: { phase: 'exiting', tasks: 0, effects: ['notify:requested'] },
    planned: null,
    turnTaken: null,
    turnHoldEnded: null,
    turnFailed: null,
    shutdownRequested: { phase: 'exiting', tasks: 0, effects: ['exitNow'] },
    taskStarted: { phase: 'exiting', tasks: 0, effects: ['refuseTask'] },
    taskEnded: null,
    cancelRequested: null,
    deadlineReached: null,
    drainFinished: null,
    restartFailed: { phase: 'idle', tasks: 0, effects: ['notify:failed'] },
  },
};

const effectType = (effect: RestartEffect): EffectType =>
  effect.type === 'notify' ? `notify:${effect.notice.type}` : effect.type;
const notices = (effects: readonly RestartEffect[]): MachineNotice[] =>
  effects.flatMap((effect) => (effect.type === 'notify' ? [effect.notice] : []));
const timers = (effects: readonly RestartEffect[]) =>
  effects.flatMap((effect) => (effect.type === 'startDeadlineTimer' ? [effect.delayMs] : []));

const ROWS = (Object.keys(TABLE) as RestartPhase[]).flatMap((phase) =>
  (Object.keys(TABLE[phase]) as EventType[]).map((event) => ({
    phase,
    event,
    expected: TABLE[phase][event],
  })),
);

describe('restart machine transition table', () => {
  it('has exactly one row per phase x event', () => {
    const phases = Object.keys(PHASES);
    const events = Object.keys(EVENT_TYPES);
    const keys = ROWS.map((row) => `${row.phase}/${row.event}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(phases.flatMap((phase) => events.map((event) => `${phase}/${event}`)).sort());
    expect(Object.keys(STATES).sort()).toEqual([...phases].sort());
    expect(Object.keys(EVENTS).sort()).toEqual([...events].sort());
    expect(restartMachine.initialState).toEqual({ phase: 'idle', tasks: 0, request: null, nextId: 1 });
  });

  it.each(ROWS)('$phase + $event', ({ phase, event, expected }) => {
    const before = STATES[phase];
    const snapshot = structuredClone(before);
    const next = transition(before, EVENTS[event]);
    expect(before).toEqual(snapshot);
    if (expected === null) {
      expect(next.state).toBe(before);
      expect(next.effects).toEqual([]);
      return;
    }
    expect({
      phase: next.state.phase,
      tasks: next.state.tasks,
      effects: next.effects.map(effectType),
    }).toEqual(expected);
    if (next.state.phase === 'idle') expect(next.state.request).toBeNull();
    else expect(next.state.request).not.toBeNull();
  });

  it('the default machine uses the default transition', () => {
    expect(restartMachine.transition).toBe(transition);
  });
});

describe('restart machine: focused cases', () => {
  const idle = restartMachine.initialState;
  const request = (at: number, extra: Partial<RequestOptions> = {}): RestartEvent => ({
    type: 'restartRequested',
    at,
    wallAt: at,
    options: { ...OPTIONS, deadlineMs: null, ...extra },
  });
  const shutdown = (at: number, budgetMs = 1_300, refuseNewTasks = false): RestartEvent => ({
    type: 'shutdownRequested',
    at,
    wallAt: at,
    signal: 'SIGINT',
    budgetMs,
    refuseNewTasks,
    hooks: [],
    hooksTimeoutMs: 5_000,
    hooksReserveMs: 500,
    recordAs: null,
    fromPm2: true,
  });
  /** A request from idle, planned at once (the plan exits with code 0): both transitions' effects. */
  const ask = (state: RestartState, event: RestartEvent): Transition => {
    const first = transition(state, event);
    if (state.phase !== 'idle' || first.state.phase !== 'planning') return first;
    const requestId = (first.state.request as PendingRequest).id;
    const planned: RestartEvent = {
      type: 'planned',
      at: event.at,
      requestId,
      allowPlainExit: false,
      planned: PLANNED,
      turnsEnabled: false,
    };
    const second = transition(first.state, planned);
    return { state: second.state, effects: [...first.effects, ...second.effects] };
  };
  const run = (state: RestartState, ...events: RestartEvent[]): RestartState =>
    events.reduce((current, event) => ask(current, event).state, state);
  const busy = run(idle, { type: 'taskStarted', at: T0 });

  it('an idle request with no task drains at once, and cancels any deadline timer', () => {
    const next = ask(idle, request(T0, { deadlineMs: 1_000 }));
    expect(next.state.phase).toBe('draining');
    expect(next.effects.map(effectType)).toEqual([
      'notify:requested',
      'plan',
      'cancelDeadlineTimer',
      'notify:draining',
      'drain',
    ]);
    expect(notices(next.effects)).toContainEqual({
      type: 'draining',
      kind: 'restart',
      reason: 'update',
      forced: false,
      tasks: 0,
    });
  });

  it('a busy request defers with a timer for its deadline', () => {
    const next = ask(busy, request(T0, { deadlineMs: 2_500 }));
    expect(next.state).toMatchObject({
      phase: 'deferred',
      tasks: 1,
      request: { deadlineAt: T0 + 2_500, requestedAt: T0, kind: 'restart' },
    });
    expect(timers(next.effects)).toEqual([2_500]);
    expect(notices(next.effects)).toContainEqual({ type: 'deferred', reason: 'update', tasks: 1 });
  });

  it('a request without deadline defers without a timer', () => {
    const next = ask(busy, request(T0));
    expect(next.state.phase).toBe('deferred');
    expect(timers(next.effects)).toEqual([]);
  });

  it('coalesces a second request: alreadyPending notice, no second drain', () => {
    const deferred = run(busy, request(T0, { deadlineMs: 1_000 }));
    const second = ask(deferred, request(T0 + 10, { reason: 'again', deadlineMs: 5_000 }));
    expect(second.state).toEqual(deferred);
    expect(second.effects).toEqual([
      { type: 'notify', notice: { type: 'requested', kind: 'restart', reason: 'again', coalesced: true } },
    ]);

    const draining = run(idle, request(T0));
    const third = ask(draining, request(T0 + 10));
    expect(third.effects.map(effectType)).toEqual(['notify:requested']);
    expect(third.effects.some((effect) => effect.type === 'drain')).toBe(false);
    expect(notices(third.effects)[0]).toMatchObject({ coalesced: true });
  });

  it('coalesced deadlines never drop a request early: force beats giveUp, no deadline beats giveUp, giveUps keep the latest', () => {
    expect(
      mergeDeadlines({ deadlineAt: null, onDeadline: 'force' }, { deadlineAt: 100, onDeadline: 'giveUp' }),
    ).toEqual({ deadlineAt: null, onDeadline: 'force' });
    expect(
      mergeDeadlines({ deadlineAt: 200, onDeadline: 'giveUp' }, { deadlineAt: 1_000, onDeadline: 'force' }),
    ).toEqual({ deadlineAt: 1_000, onDeadline: 'force' });
    expect(
      mergeDeadlines({ deadlineAt: 300, onDeadline: 'force' }, { deadlineAt: 100, onDeadline: 'force' }),
    ).toEqual({ deadlineAt: 100, onDeadline: 'force' });
    expect(
      mergeDeadlines({ deadlineAt: 300, onDeadline: 'giveUp' }, { deadlineAt: 100, onDeadline: 'giveUp' }),
    ).toEqual({ deadlineAt: 300, onDeadline: 'giveUp' });
    expect(
      mergeDeadlines({ deadlineAt: 300, onDeadline: 'force' }, { deadlineAt: null, onDeadline: 'giveUp' }),
    ).toEqual({ deadlineAt: 300, onDeadline: 'force' });

    // A deferred request without deadline survives a coalesced 100 ms give-up.
    const waiting = run(busy, request(T0));
    const withGiveUp = ask(waiting, request(T0 + 10, { deadlineMs: 100, onDeadline: 'giveUp' }));
    expect(withGiveUp.state).toEqual(waiting);
    const atDeadline = transition(withGiveUp.state, { type: 'deadlineReached', at: T0 + 500 });
    expect(atDeadline.state.phase).toBe('deferred');
  });

  it('a tighter deadline replaces the timer; a looser one is ignored', () => {
    const deferred = run(busy, request(T0, { deadlineMs: 10_000 }));
    const tighter = ask(deferred, request(T0 + 1_000, { deadlineMs: 2_000 }));
    expect(timers(tighter.effects)).toEqual([2_000]);
    expect(tighter.state.request).toMatchObject({
      deadlineAt: T0 + 3_000,
      reason: 'update',
      requestedAt: T0,
    });
    const looser = ask(tighter.state, request(T0 + 1_500, { deadlineMs: 60_000 }));
    expect(timers(looser.effects)).toEqual([]);
    expect(looser.state).toEqual(tighter.state);

    const noDeadline = run(busy, request(T0));
    const first = ask(noDeadline, request(T0 + 5, { deadlineMs: 100 }));
    expect(timers(first.effects)).toEqual([100]);
  });

  it('deadline with giveUp: back to idle, cancelled with cause deadline', () => {
    const deferred = run(busy, request(T0, { deadlineMs: 1_000, onDeadline: 'giveUp' }));
    const next = transition(deferred, { type: 'deadlineReached', at: T0 + 1_000 });
    expect(next.state).toEqual({ phase: 'idle', tasks: 1, request: null, nextId: 2 });
    expect(notices(next.effects)).toEqual([
      { type: 'deadlineReached', reason: 'update', policy: 'giveUp', tasks: 1 },
      { type: 'cancelled', reason: 'update', cause: 'deadline' },
    ]);
    expect(next.effects.some((effect) => effect.type === 'drain')).toBe(false);
  });

  it('deadline with force: draining with forced, tasks still counted', () => {
    const deferred = run(busy, request(T0, { deadlineMs: 1_000 }));
    const next = transition(deferred, { type: 'deadlineReached', at: T0 + 1_200 });
    expect(next.state).toMatchObject({ phase: 'draining', tasks: 1, request: { forced: true } });
    expect(notices(next.effects)).toContainEqual({
      type: 'draining',
      kind: 'restart',
      reason: 'update',
      forced: true,
      tasks: 1,
    });
    expect(next.effects.at(-1)).toEqual({ type: 'drain' });
  });

  it('a stale deadline (before the current deadlineAt) is ignored', () => {
    const deferred = run(busy, request(T0, { deadlineMs: 1_000 }));
    const next = transition(deferred, { type: 'deadlineReached', at: T0 + 999 });
    expect(next.state).toBe(deferred);
    expect(next.effects).toEqual([]);
    const noDeadline = run(busy, request(T0));
    expect(transition(noDeadline, { type: 'deadlineReached', at: T0 + 1e9 }).state).toBe(noDeadline);
  });

  it('a shutdown during a deferred restart upgrades the kind and keeps the earlier deadline', () => {
    const deferred = run(busy, request(T0, { deadlineMs: 10_000, refuseNewTasks: false }));
    const next = transition(deferred, shutdown(T0 + 500, 1_300, true));
    expect(next.state).toMatchObject({
      phase: 'deferred',
      request: {
        kind: 'shutdown',
        reason: 'update',
        requestedAt: T0,
        deadlineAt: T0 + 1_800,
        onDeadline: 'force',
        refuseNewTasks: true,
      },
    });
    expect(notices(next.effects)[0]).toEqual({
      type: 'requested',
      kind: 'shutdown',
      reason: 'update',
      coalesced: true,
    });
    expect(next.state.request).toMatchObject({ signal: 'SIGINT' });
    expect(timers(next.effects)).toEqual([1_300]);

    const tight = run(busy, request(T0, { deadlineMs: 200, onDeadline: 'giveUp' }));
    const upgraded = transition(tight, shutdown(T0 + 100, 5_000));
    expect(upgraded.state.request).toMatchObject({
      kind: 'shutdown',
      deadlineAt: T0 + 200,
      onDeadline: 'force',
    });
    // A shutdown is never given up: its deadline forces the exit.
    const reached = transition(upgraded.state, { type: 'deadlineReached', at: T0 + 200 });
    expect(reached.state).toMatchObject({ phase: 'draining', request: { forced: true, kind: 'shutdown' } });
  });

  it('a shutdown while idle and busy defers until the budget, then forces', () => {
    const next = transition(busy, shutdown(T0));
    expect(next.state).toMatchObject({
      phase: 'deferred',
      request: {
        kind: 'shutdown',
        reason: 'pm2 SIGINT',
        signal: 'SIGINT',
        deadlineAt: T0 + 1_300,
        onDeadline: 'force',
      },
    });
    expect(notices(next.effects)[0]).toEqual({
      type: 'requested',
      kind: 'shutdown',
      reason: 'pm2 SIGINT',
      coalesced: false,
    });
    // pm2's shutdown cannot be cancelled.
    expect(transition(next.state, { type: 'cancelRequested', at: T0 + 1 }).state).toBe(next.state);
  });

  it('a second shutdown exits now, whatever the phase', () => {
    const deferred = run(busy, shutdown(T0));
    expect(transition(deferred, shutdown(T0 + 1)).effects).toEqual([
      { type: 'exitNow', signal: 'SIGINT', fromPm2: true, reason: 'second SIGINT', second: true },
    ]);
    const draining = run(idle, shutdown(T0));
    expect(draining.phase).toBe('draining');
    expect(transition(draining, shutdown(T0 + 1)).effects).toEqual([
      { type: 'exitNow', signal: 'SIGINT', fromPm2: true, reason: 'second SIGINT', second: true },
    ]);
  });

  it('a shutdown during a restart drain switches the kind without exitNow, and hurries the drain', () => {
    const draining = run(idle, request(T0));
    const next = transition(draining, shutdown(T0 + 5));
    expect(next.state).toMatchObject({
      phase: 'draining',
      request: { kind: 'shutdown', reason: 'update', hardStopAt: T0 + 5 + 1_300 },
    });
    // The min_uptime wait ends now; running hooks stop at the end of pm2's budget.
    expect(next.effects).toEqual([
      { type: 'notify', notice: { type: 'requested', kind: 'shutdown', reason: 'update', coalesced: true } },
      { type: 'hurryDrain', stopHooksInMs: 1_300 },
    ]);
    // ... and the next signal is a second one.
    expect(transition(next.state, shutdown(T0 + 6)).effects).toEqual([
      { type: 'exitNow', signal: 'SIGINT', fromPm2: true, reason: 'second SIGINT', second: true },
    ]);
  });

  it('refuseNewTasks refuses tasks while deferred; otherwise they are accepted', () => {
    const refusing = run(busy, request(T0, { refuseNewTasks: true }));
    const next = transition(refusing, { type: 'taskStarted', at: T0 + 1 });
    expect(next).toEqual({ state: refusing, effects: [{ type: 'refuseTask' }] });
    const accepting = run(busy, request(T0));
    expect(transition(accepting, { type: 'taskStarted', at: T0 + 1 })).toEqual({
      state: { ...accepting, tasks: 2 },
      effects: [{ type: 'acceptTask' }],
    });
  });

  it('tasks are refused while draining and exiting', () => {
    const draining = run(idle, request(T0));
    const exiting = run(draining, { type: 'drainFinished', at: T0 + 1 });
    expect(exiting.phase).toBe('exiting');
    for (const state of [draining, exiting])
      expect(transition(state, { type: 'taskStarted', at: T0 + 2 })).toEqual({
        state,
        effects: [{ type: 'refuseTask' }],
      });
  });

  it('taskEnded at 0 tasks is ignored in every phase', () => {
    for (const phase of Object.keys(PHASES) as RestartPhase[]) {
      const state = { ...STATES[phase], tasks: 0 };
      const next = transition(state, { type: 'taskEnded', at: AT });
      expect(next.state).toBe(state);
      expect(next.effects).toEqual([]);
    }
  });

  it('the last task end drains a deferred request and cancels its timer', () => {
    const deferred = run(busy, request(T0, { deadlineMs: 1_000 }));
    const next = transition(deferred, { type: 'taskEnded', at: T0 + 10 });
    expect(next.state).toMatchObject({ phase: 'draining', tasks: 0 });
    expect(next.effects.map(effectType)).toEqual(['cancelDeadlineTimer', 'notify:draining', 'drain']);
  });

  it('restartFailed returns an exiting restart to idle, but not an exiting shutdown', () => {
    const exitingShutdown = run(idle, shutdown(T0), { type: 'drainFinished', at: T0 + 1 });
    expect(exitingShutdown).toMatchObject({ phase: 'exiting', request: { kind: 'shutdown' } });
    expect(
      transition(exitingShutdown, { type: 'restartFailed', at: T0 + 2, cause: 'daemonRefused', message: 'x' })
        .state,
    ).toBe(exitingShutdown);
  });

  const refusedPlan: PlannedRestart = {
    plan: { ok: false, code: 'ERR_PM2SELF_NOT_UNDER_PM2', why: 'no pm2 variables' },
    minUptimeWaitMs: 0,
    target: null,
  };

  it('a request is pending from the moment it is made: planning, and cancellable there', () => {
    const planning = transition(idle, request(T0)).state;
    expect(planning).toMatchObject({ phase: 'planning', request: { id: 1, kind: 'restart' }, nextId: 2 });
    const cancelled = transition(planning, { type: 'cancelRequested', at: T0 + 1 });
    expect(cancelled.state).toEqual({ phase: 'idle', tasks: 0, request: null, nextId: 2 });
    expect(notices(cancelled.effects)).toEqual([{ type: 'cancelled', reason: 'update', cause: 'cleared' }]);
    // The plan that arrives after the cancel changes nothing.
    const late = transition(cancelled.state, {
      type: 'planned',
      at: T0 + 2,
      requestId: 1,
      allowPlainExit: false,
      planned: PLANNED,
      turnsEnabled: false,
    });
    expect(late.state).toBe(cancelled.state);
    expect(late.effects).toEqual([]);
  });

  it("a plan for another request is ignored: only the pending request's plan counts", () => {
    const first = transition(idle, request(T0)).state;
    const cancelled = transition(first, { type: 'cancelRequested', at: T0 + 1 }).state;
    const second = transition(cancelled, request(T0 + 2)).state;
    expect(second.request?.id).toBe(2);
    const stale = transition(second, {
      type: 'planned',
      at: T0 + 3,
      requestId: 1,
      allowPlainExit: false,
      planned: PLANNED,
      turnsEnabled: false,
    });
    expect(stale.state).toBe(second);
  });

  it('a refused plan returns to idle with a refused notice', () => {
    const planning = transition(busy, request(T0)).state;
    const next = transition(planning, {
      type: 'planned',
      at: T0 + 1,
      requestId: 1,
      allowPlainExit: false,
      planned: refusedPlan,
      turnsEnabled: false,
    });
    expect(next.state).toEqual({ phase: 'idle', tasks: 1, request: null, nextId: 2 });
    expect(notices(next.effects)).toEqual([
      { type: 'refused', reason: 'update', code: 'ERR_PM2SELF_NOT_UNDER_PM2', why: 'no pm2 variables' },
    ]);
  });

  it('a caller that joins during planning with allowPlainExit gets a new plan, not a refusal', () => {
    const planning = transition(idle, request(T0)).state;
    const joined = transition(planning, request(T0 + 1, { allowPlainExit: true })).state;
    expect(joined.request).toMatchObject({ allowPlainExit: true });
    const next = transition(joined, {
      type: 'planned',
      at: T0 + 2,
      requestId: 1,
      allowPlainExit: false,
      planned: refusedPlan,
      turnsEnabled: false,
    });
    expect(next.state).toBe(joined);
    expect(next.effects).toEqual([{ type: 'plan', requestId: 1, allowPlainExit: true }]);
  });

  it('merges the options of a second request: any refuseNewTasks, largest hooks budget, each hook once', () => {
    const hookA = () => undefined;
    const hookB = () => undefined;
    const first = run(busy, request(T0, { hooks: [hookA], hooksTimeoutMs: 1_000 }));
    const merged = transition(
      first,
      request(T0 + 1, { hooks: [hookA, hookB, hookB], hooksTimeoutMs: 3_000, refuseNewTasks: true }),
    );
    expect(merged.state.request).toMatchObject({
      reason: 'update',
      refuseNewTasks: true,
      hooksTimeoutMs: 3_000,
      hooks: [hookA, hookB],
    });
    // 100 repeated requests with the same hook run it once.
    const repeated = Array.from({ length: 100 }, (_, i) => request(T0 + 2 + i, { hooks: [hookA] }));
    expect(run(first, ...repeated).request?.hooks).toEqual([hookA]);
  });

  it('hooks given while the hooks run or the exit is under way are rejected, with a notice', () => {
    const known = () => undefined;
    const late = () => undefined;
    const draining = run(idle, request(T0, { hooks: [known] }));
    expect(draining.phase).toBe('draining');
    const next = transition(draining, request(T0 + 1, { hooks: [known, late], reason: 'again' }));
    expect(next.state).toBe(draining);
    expect(notices(next.effects)).toEqual([
      { type: 'requested', kind: 'restart', reason: 'again', coalesced: true },
      { type: 'hooksRejected', reason: 'again', phase: 'draining', count: 1 },
    ]);
    const exiting = run(draining, { type: 'drainFinished', at: T0 + 2 });
    expect(notices(transition(exiting, request(T0 + 3, { hooks: [late] })).effects)).toContainEqual({
      type: 'hooksRejected',
      reason: 'update',
      phase: 'exiting',
      count: 1,
    });
  });

  it('a shutdown while planning takes the request over: the plan that follows is ignored', () => {
    const planning = transition(busy, request(T0)).state;
    const stopping = transition(planning, shutdown(T0 + 1)).state;
    expect(stopping).toMatchObject({ phase: 'deferred', request: { kind: 'shutdown', id: 1 } });
    const after = transition(stopping, {
      type: 'planned',
      at: T0 + 2,
      requestId: 1,
      allowPlainExit: false,
      planned: PLANNED,
      turnsEnabled: false,
    });
    expect(after.state).toBe(stopping);
  });

  it('refuseNewTasks applies once the request waits for tasks, not while it is planned', () => {
    const planning = transition(busy, request(T0, { refuseNewTasks: true })).state;
    expect(planning.phase).toBe('planning');
    const during = transition(planning, { type: 'taskStarted', at: T0 + 1 });
    expect(during.effects).toEqual([{ type: 'acceptTask' }]);
    const deferred = transition(during.state, {
      type: 'planned',
      at: T0 + 2,
      requestId: 1,
      allowPlainExit: false,
      planned: PLANNED,
      turnsEnabled: false,
    });
    expect(deferred.state).toMatchObject({ phase: 'deferred', tasks: 2 });
    expect(transition(deferred.state, { type: 'taskStarted', at: T0 + 3 }).effects).toEqual([
      { type: 'refuseTask' },
    ]);
  });
});
