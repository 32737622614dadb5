/**
 * Every duration option has a range (issue 19 review): below its sane minimum or above its maximum it
 * is refused by every function that takes it, with words that give the allowed range; misuse messages
 * say what was given (an array, an object's keys), never `[object Object]`.
 */
import { describe, expect, it } from 'vitest';
import { DURATION_RANGES_MS, LONGEST_TIMER_MS } from '../../src/common/duration-ranges.js';
import { describeReceived } from '../../src/common/describe-received.js';
import { createPm2Self, type Pm2Self } from '../../src/create-pm2-self.js';
import { OPTION_TABLES } from '../../src/option-tables.js';
import { createFakePorts } from '../helpers/fake-ports.js';

/** Calls as plain JavaScript would, past the types. */
const loose = (self: Pm2Self) => self as unknown as Record<string, (options: unknown) => unknown>;
const fresh = () => createPm2Self({ ports: createFakePorts() });

/** Options that make each call valid apart from the duration under test. */
const VALID_BESIDE: Record<string, Record<string, unknown>> = {
  restartWhen: { maxUptimeMs: 3_600_000 },
};

/** [function, duration option] for every duration option of every function. */
const DURATION_OPTIONS = Object.entries(OPTION_TABLES).flatMap(([fn, table]) =>
  Object.keys(table)
    .filter((key) => key in DURATION_RANGES_MS)
    .map((key) => [fn, key as keyof typeof DURATION_RANGES_MS] as const),
);

function call(fn: string, options: Record<string, unknown>): unknown {
  if (fn === 'createPm2Self') return createPm2Self({ ports: createFakePorts(), ...options });
  return loose(fresh())[fn]?.({ ...VALID_BESIDE[fn], ...options });
}

describe('duration ranges', () => {
  it('every option whose name ends in Ms has a range, and every range belongs to an option', () => {
    const durationKeys = new Set(
      Object.values(OPTION_TABLES).flatMap((table) => Object.keys(table).filter((key) => key.endsWith('Ms'))),
    );
    expect([...durationKeys].sort()).toEqual(Object.keys(DURATION_RANGES_MS).sort());
    for (const [, range] of Object.entries(DURATION_RANGES_MS)) {
      expect(range.minMs).toBeGreaterThanOrEqual(0);
      expect(range.maxMs).toBeLessThanOrEqual(LONGEST_TIMER_MS);
    }
  });

  it.each(DURATION_OPTIONS)(
    '%s({ %s }) below its minimum or above its maximum is refused, naming the range',
    (fn, key) => {
      const { minMs, maxMs } = DURATION_RANGES_MS[key];
      const words = `Expected \`${key}\` to be a number of milliseconds from ${minMs} to ${maxMs}`;
      if (minMs > 0) expect(() => call(fn, { [key]: minMs - 1 })).toThrow(`${words}`);
      expect(() => call(fn, { [key]: -1 })).toThrow(`${words}`);
      expect(() => call(fn, { [key]: maxMs + 1 })).toThrow(`${words}`);
    },
  );

  it.each([
    [
      'createPm2Self',
      { staleTaskMs: 0 },
      'Expected `staleTaskMs` to be a number of milliseconds from 1000 to 2147483647, got 0',
    ],
    [
      'gracefulRestart',
      { hooksTimeoutMs: 0 },
      'Expected `hooksTimeoutMs` to be a number of milliseconds from 100 to 2147483647, got 0',
    ],
    [
      'installShutdownHandler',
      { hooksTimeoutMs: 0 },
      'Expected `hooksTimeoutMs` to be a number of milliseconds from 100 to 2147483647, got 0',
    ],
    [
      'exposeToPm2',
      { hooksTimeoutMs: 50 },
      'Expected `hooksTimeoutMs` to be a number of milliseconds from 100 to 2147483647, got 50',
    ],
    [
      'createPm2Self',
      { queryTimeoutMs: 1e12 },
      'Expected `queryTimeoutMs` to be a number of milliseconds from 100 to 600000, got 1000000000000',
    ],
    [
      'restartWhen',
      { maxUptimeMs: 10 },
      'Expected `maxUptimeMs` to be a number of milliseconds from 1000 to 2147483647, got 10',
    ],
    [
      'installShutdownHandler',
      { marginMs: 1e9 },
      'Expected `marginMs` to be a number of milliseconds from 0 to 60000, got 1000000000',
    ],
    [
      'installShutdownHandler',
      { hooksReserveMs: 1e9 },
      'Expected `hooksReserveMs` to be a number of milliseconds from 0 to 600000, got 1000000000',
    ],
    [
      'gracefulRestart',
      { deadlineMs: -5 },
      'Expected `deadlineMs` to be a number of milliseconds from 0 to 2147483647, or null, got -5',
    ],
  ])('%s(%j) is refused: %s', (fn, options, message) => {
    expect(() => call(fn, options)).toThrow(new TypeError(message));
  });

  it('the smallest and largest allowed values are accepted', () => {
    const smallest = { queryTimeoutMs: 100, staleTaskMs: 1_000, livenessIntervalMs: 100, cacheTtlMs: 0 };
    expect(() => createPm2Self({ ports: createFakePorts(), ...smallest })).not.toThrow();
    expect(() => createPm2Self({ ports: createFakePorts(), queryTimeoutMs: 600_000 })).not.toThrow();
    const stop = fresh().restartWhen({ maxUptimeMs: 1_000, checkEveryMs: 100, hooksTimeoutMs: 100 });
    stop();
    const uninstall = fresh().installShutdownHandler({ hooksTimeoutMs: 100, hooksReserveMs: 0, marginMs: 0 });
    uninstall();
    fresh().installShutdownHandler({ hooksReserveMs: 600_000, marginMs: 60_000 })();
  });
});

describe('misuse messages say what was given', () => {
  it('gracefulRestart([]) says that an array is not an options object, and nothing restarts', () => {
    const self = fresh();
    expect(() => loose(self).gracefulRestart?.([])).toThrow(
      new TypeError(
        'Expected the options of gracefulRestart() to be an object, got an empty array: an array is not an options object',
      ),
    );
    expect(self.hasPendingRestart()).toBe(false);
  });

  it('restartWhen({ unhealthyForMs }) without a check names the missing healthCheck', () => {
    expect(() => loose(fresh()).restartWhen?.({ unhealthyForMs: 1_500 })).toThrow(
      new TypeError(
        'Expected `healthCheck` to be a function when unhealthyForMs is given, got none: unhealthyForMs times the health check, and restartWhen() was given no check',
      ),
    );
    expect(() =>
      loose(fresh()).restartWhen?.({ maxUptimeMs: 60_000, checkTimeoutMs: 500, unhealthyForMs: 1_500 }),
    ).toThrow(
      /^Expected `healthCheck` to be a function when unhealthyForMs and checkTimeoutMs are given, got none/,
    );
  });

  it('restartWhen() with no limit names the limits and what it was given', () => {
    expect(() => loose(fresh()).restartWhen?.({ sustainedForMs: 1_000 })).toThrow(
      new TypeError(
        'Expected the policy of restartWhen() to set a limit (rssAboveBytes, heapUsedAboveBytes, maxUptimeMs, healthCheck or eventLoopBlockedForMs), got an object with keys sustainedForMs',
      ),
    );
  });

  it.each([
    ['text', '"text"'],
    [[], 'an empty array'],
    [[1, 2], 'an array of 2'],
    [{}, 'an empty object'],
    [{ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }, 'an object with keys a, b, c, d, e, ...'],
    [() => 1, 'a function'],
    [5n, '5n'],
    [null, 'null'],
    [Number.NaN, 'NaN'],
  ])('describeReceived(%s) is %s', (value, words) => {
    expect(describeReceived(value)).toBe(words);
  });

  it('a wrong option of an object kind is shown by its keys, not [object Object]', () => {
    expect(() => loose(fresh()).installShutdownHandler?.({ beforeExit: { leave: true } })).toThrow(
      new TypeError(
        'Expected `beforeExit` to be a function or an array of functions, got an object with keys leave',
      ),
    );
  });
});
