/**
 * Property tests: random schedules of tasks, restart requests, cancels, signals, hook completions and
 * clock advances drive the REAL controller (and the default machine) on a simulated clock, with a fake
 * plan (always the `exit` strategy) and an exit spy. The spy does not end anything, so the properties
 * also check that nothing in flight acts after the exit.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  createRestartController,
  type RestartOutcome,
  type TaskHandle,
} from '../../src/restart/controller.js';
import type { RestartEventName, RestartEvents } from '../../src/restart/events.js';
import { RESTART_EVENT_NAMES } from '../../src/restart/events.js';
import { DEFAULTS } from '../../src/common/defaults.js';
import { restartMachine, type DeadlinePolicy } from '../../src/restart/machine.js';
import type { ExitHook } from '../../src/restart/run-hooks.js';
import { createSimClock, flush } from '../helpers/sim-clock.js';

type HookKind = 'none' | 'instant' | 'manual' | 'never' | 'throws';

type Op =
  | { readonly type: 'begin' }
  | { readonly type: 'end'; readonly index: number }
  | {
      readonly type: 'request';
      readonly deadlineMs: number | null;
      readonly onDeadline: DeadlinePolicy;
      readonly refuseNewTasks: boolean;
      readonly hook: HookKind;
    }
  | { readonly type: 'cancel' }
  | { readonly type: 'advance'; readonly ms: number }
  | {
      readonly type: 'shutdown';
      readonly budgetMs: number;
      readonly refuseNewTasks: boolean;
      readonly hook: HookKind;
    }
  | { readonly type: 'finishHook' }
  | { readonly type: 'flush' };

const hookKind = fc.constantFrom<HookKind>('none', 'none', 'instant', 'manual', 'never', 'throws');

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Op>({ type: 'begin' }) },
  { weight: 4, arbitrary: fc.nat(20).map((index): Op => ({ type: 'end', index })) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('request' as const),
      deadlineMs: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: null }),
      onDeadline: fc.constantFrom<DeadlinePolicy>('force', 'giveUp'),
      refuseNewTasks: fc.boolean(),
      hook: hookKind,
    }),
  },
  { weight: 2, arbitrary: fc.constant<Op>({ type: 'cancel' }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2_000 }).map((ms): Op => ({ type: 'advance', ms })) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('shutdown' as const),
      budgetMs: fc.integer({ min: 0, max: 3_000 }),
      refuseNewTasks: fc.boolean(),
      hook: hookKind,
    }),
  },
  { weight: 2, arbitrary: fc.constant<Op>({ type: 'finishHook' }) },
  { weight: 2, arbitrary: fc.constant<Op>({ type: 'flush' }) },
);

const configArb = fc.record({
  minUptimeWaitMs: fc.constantFrom(0, 0, 50, 900),
  hooksTimeoutMs: fc.constantFrom(0, 100, 1_000),
});

type Entry =
  | {
      readonly type: 'event';
      readonly name: RestartEventName;
      readonly event: RestartEvents[RestartEventName];
    }
  | {
      readonly type: 'exit';
      readonly code: number;
      readonly tasks: number;
      readonly duringSignal: number;
      readonly at: number;
    }
  | { readonly type: 'signal'; readonly at: number; readonly budgetMs: number }
  | { readonly type: 'cancelAccepted' }
  | { readonly type: 'hookStarted' }
  | { readonly type: 'outcome'; readonly outcome: RestartOutcome };

const EVENT_NAMES = RESTART_EVENT_NAMES;

async function simulate(config: { minUptimeWaitMs: number; hooksTimeoutMs: number }, ops: readonly Op[]) {
  const clock = createSimClock();
  const log: Entry[] = [];
  const running: TaskHandle[] = [];
  const manual: Array<() => void> = [];
  let signals = 0;
  let inSignal = 0;

  const exitSpy = (code: number) =>
    log.push({ type: 'exit', code, tasks: running.length, duringSignal: inSignal, at: clock.now() });
  const exits = () => log.filter((entry) => entry.type === 'exit');

  const controller = createRestartController({
    machine: restartMachine,
    clock,
    process: { pid: 4242, exit: exitSpy, keepAlive: () => () => undefined },
    plan: async () => ({
      plan: { ok: true, strategy: { type: 'exit', code: 0 }, why: 'test' },
      minUptimeWaitMs: config.minUptimeWaitMs,
      target: { name: 'app', namespace: 'default', pmId: 0, restarts: 0, lifetimeMs: 11_600 },
    }),
    stillTracked: async () => true,
    discardRecord: async () => {},
    requestDaemonRestart: async () => ({ ok: true }),
    writeRecord: async () => true,
    daemonRestartGraceMs: () => 10_000,
  });
  for (const name of EVENT_NAMES) controller.on(name, (event) => log.push({ type: 'event', name, event }));

  const hooksOf = (kind: HookKind): ExitHook[] => {
    const started = (): void => {
      log.push({ type: 'hookStarted' });
    };
    switch (kind) {
      case 'none':
        return [];
      case 'instant':
        return [started];
      case 'manual':
        return [() => (started(), new Promise<void>((resolve) => manual.push(resolve)))];
      case 'never':
        return [() => (started(), new Promise<void>(() => undefined))];
      case 'throws':
        return [
          () => {
            started();
            throw new Error('hook failed');
          },
        ];
    }
  };

  for (const op of ops) {
    if (exits().length > 0) break; // The process is gone: the app does nothing more.
    switch (op.type) {
      case 'begin':
        try {
          running.push(controller.beginTask());
        } catch {
          // Refused: the harness checks refusals only through the task count.
        }
        break;
      case 'end': {
        const [task] = running.length === 0 ? [] : running.splice(op.index % running.length, 1);
        task?.end();
        break;
      }
      case 'request':
        void controller
          .request({
            reason: 'prop',
            deadlineMs: op.deadlineMs,
            onDeadline: op.onDeadline,
            refuseNewTasks: op.refuseNewTasks,
            hooks: hooksOf(op.hook),
            hooksTimeoutMs: config.hooksTimeoutMs,
            allowPlainExit: false,
          })
          .then((outcome) => log.push({ type: 'outcome', outcome }));
        break;
      case 'cancel':
        if (controller.cancel()) log.push({ type: 'cancelAccepted' });
        break;
      case 'advance':
        await clock.advance(op.ms);
        break;
      case 'shutdown':
        signals += 1;
        inSignal = signals;
        log.push({ type: 'signal', at: clock.now(), budgetMs: op.budgetMs });
        controller.shutdown({
          signal: 'SIGINT',
          budgetMs: op.budgetMs,
          refuseNewTasks: op.refuseNewTasks,
          hooks: hooksOf(op.hook),
          hooksTimeoutMs: config.hooksTimeoutMs,
          hooksReserveMs: DEFAULTS.hooksReserveMs,
          recordAs: null,
          fromPm2: true,
        });
        inSignal = 0;
        break;
      case 'finishHook':
        manual.shift()?.();
        break;
      case 'flush':
        await flush();
        break;
    }
  }

  // Quiescence: every task ends, every manual hook finishes, and plenty of simulated time passes.
  if (exits().length === 0) {
    while (running.length > 0) running.pop()?.end();
  }
  for (let round = 0; round < 5; round++) {
    while (manual.length > 0) manual.shift()?.();
    await clock.runAll(60_000);
  }
  await flush(3);
  return { log, state: controller.state };
}

const indexOfLast = (
  log: readonly Entry[],
  match: (entry: Entry) => boolean,
  before = log.length,
): number => {
  for (let i = before - 1; i >= 0; i--) if (match(log[i] as Entry)) return i;
  return -1;
};

const isEvent =
  (name: RestartEventName) =>
  (entry: Entry): boolean =>
    entry.type === 'event' && entry.name === name;

const schedules = fc.array(opArb, { minLength: 1, maxLength: 40, size: 'medium' });

describe('restart controller properties (simulated clock, exit spy)', () => {
  test.prop([configArb, schedules], { numRuns: 200 })(
    'exit is called at most once, and nothing acts after it',
    async (config, ops) => {
      const { log } = await simulate(config, ops);
      const exitAt = log.findIndex((entry) => entry.type === 'exit');
      if (exitAt === -1) return;
      const after = log
        .slice(exitAt + 1)
        .filter((entry) => entry.type !== 'outcome' && entry.type !== 'signal');
      expect(after).toEqual([]);
    },
  );

  test.prop([configArb, schedules], { numRuns: 200 })(
    'no exit while a task runs, unless a deadline forced it or a second signal asked',
    async (config, ops) => {
      const { log } = await simulate(config, ops);
      const exitAt = log.findIndex((entry) => entry.type === 'exit');
      const exit = log[exitAt];
      if (exit?.type !== 'exit' || exit.tasks === 0) return;
      const secondSignal = exit.duringSignal >= 2;
      const draining = log[indexOfLast(log, isEvent('draining'), exitAt)];
      const forced = draining?.type === 'event' && (draining.event as RestartEvents['draining']).forced;
      expect(secondSignal || forced).toBe(true);
    },
  );

  test.prop([configArb, schedules], { numRuns: 200 })(
    'after a pm2 signal the exit comes within the signal budget',
    async (config, ops) => {
      const { log } = await simulate(config, ops);
      const hardStops = log.flatMap((entry) => (entry.type === 'signal' ? [entry.at + entry.budgetMs] : []));
      if (hardStops.length === 0) return;
      const exit = log.find((entry) => entry.type === 'exit');
      expect(exit).toBeDefined();
      expect((exit as { at: number }).at).toBeLessThanOrEqual(Math.min(...hardStops));
    },
  );

  test.prop([configArb, schedules], { numRuns: 200 })(
    'an accepted cancel prevents the exit of the request it cancelled',
    async (config, ops) => {
      const { log } = await simulate(config, ops);
      const exitAt = log.findIndex((entry) => entry.type === 'exit');
      if (exitAt === -1) return;
      const cancelAt = indexOfLast(log, (entry) => entry.type === 'cancelAccepted', exitAt);
      if (cancelAt === -1) return;
      // After an accepted cancel nothing is pending: an exit needs a new request (or signal) after it.
      const renewed = log
        .slice(cancelAt + 1, exitAt)
        .some((entry) => entry.type === 'event' && entry.name === 'requested');
      expect(renewed).toBe(true);
    },
  );

  test.prop([configArb, schedules], { numRuns: 200 })(
    'no request is lost: once tasks end, a standing request exits',
    async (config, ops) => {
      const { log, state } = await simulate(config, ops);
      const exitAt = log.findIndex((entry) => entry.type === 'exit');
      if (exitAt !== -1) return;
      const droppedAt = indexOfLast(log, isEvent('cancelled'));
      const standing = log.slice(droppedAt + 1).some(isEvent('requested'));
      expect({ standing, phase: state.phase }).toEqual({ standing: false, phase: 'idle' });
    },
  );

  // Guards against vacuous properties: the schedules do reach the cases the properties are about.
  it('the generated schedules reach exits, forced drains, second signals, cancels and give-ups', async () => {
    const samples = fc.sample(fc.tuple(configArb, schedules), { numRuns: 200, seed: 42 });
    const seen = {
      exit: 0,
      exitWithTasks: 0,
      forced: 0,
      secondSignal: 0,
      cancelAccepted: 0,
      gaveUp: 0,
      hookFailed: 0,
      deferred: 0,
    };
    for (const [config, ops] of samples) {
      const { log } = await simulate(config, ops);
      const exit = log.find((entry) => entry.type === 'exit');
      if (exit?.type === 'exit') {
        seen.exit += 1;
        if (exit.tasks > 0) seen.exitWithTasks += 1;
        if (exit.duringSignal >= 2) seen.secondSignal += 1;
      }
      if (
        log.some(
          (entry) =>
            entry.type === 'event' &&
            entry.name === 'draining' &&
            (entry.event as RestartEvents['draining']).forced,
        )
      )
        seen.forced += 1;
      if (log.some((entry) => entry.type === 'cancelAccepted')) seen.cancelAccepted += 1;
      if (
        log.some(
          (entry) =>
            entry.type === 'event' &&
            entry.name === 'cancelled' &&
            (entry.event as RestartEvents['cancelled']).cause === 'deadline',
        )
      )
        seen.gaveUp += 1;
      if (log.some(isEvent('hookFailed'))) seen.hookFailed += 1;
      if (log.some(isEvent('deferred'))) seen.deferred += 1;
    }
    for (const [name, count] of Object.entries(seen))
      expect({ name, reached: count > 0 }).toEqual({ name, reached: true });
  });

  test.prop([configArb, schedules], { numRuns: 200 })(
    'outcomes agree with the machine: restarting/deferred only for fresh requests',
    async (config, ops) => {
      const { log } = await simulate(config, ops);
      for (const entry of log) {
        if (entry.type !== 'outcome') continue;
        expect(['restarting', 'deferred', 'alreadyPending', 'cancelled']).toContain(entry.outcome.status);
      }
      const fresh = log.filter(
        (entry) =>
          entry.type === 'event' &&
          entry.name === 'requested' &&
          !(entry.event as RestartEvents['requested']).coalesced &&
          (entry.event as RestartEvents['requested']).kind === 'restart',
      ).length;
      const firstOutcomes = log.filter(
        (entry) => entry.type === 'outcome' && entry.outcome.status !== 'alreadyPending',
      ).length;
      expect(firstOutcomes).toBeLessThanOrEqual(fresh);
    },
  );
});
