/**
 * Runtime checks for JavaScript callers (issue 19): what strict TypeScript refuses is refused at run
 * time too, with a TypeError that names the key, and nothing happens.
 */
import { describe, expect, it } from 'vitest';
import { nearestKey } from '../../src/common/check-options.js';
import { createPm2Self, type Pm2Self } from '../../src/create-pm2-self.js';
import { OPTION_TABLES } from '../../src/option-tables.js';

/** Calls as plain JavaScript would, past the types. */
const loose = (self: Pm2Self) => self as unknown as Record<string, (...args: unknown[]) => unknown>;

describe('options are checked at run time', () => {
  it('gracefulRestart("deploy") is a TypeError: a string is never taken for the reason, nor dropped', () => {
    const self = createPm2Self();
    expect(() => loose(self).gracefulRestart?.('deploy')).toThrow(
      new TypeError('Expected the options of gracefulRestart() to be an object, got "deploy"'),
    );
    expect(self.hasPendingRestart()).toBe(false);
  });

  it('a misspelt key is refused, naming the nearest known key, and nothing restarts', () => {
    const self = createPm2Self();
    expect(() => loose(self).gracefulRestart?.({ refuseNewTask: true })).toThrow(
      new TypeError('Unknown option `refuseNewTask` of gracefulRestart(): did you mean `refuseNewTasks`?'),
    );
    expect(self.hasPendingRestart()).toBe(false);
    expect(self.restartState.phase).toBe('idle');
  });

  it('a key with no near match lists the known ones', () => {
    const self = createPm2Self();
    expect(() => loose(self).installShutdownHandler?.({ killTimeout: 10_000 })).toThrow(
      new TypeError(
        'Unknown option `killTimeout` of installShutdownHandler(): known options: refuseNewTasks, beforeExit, hooksTimeoutMs, hooksReserveMs, marginMs',
      ),
    );
  });

  it.each([
    ['exposeToPm2', { refuseNewTasks: 'yes' }, 'Expected `refuseNewTasks` to be a boolean, got "yes"'],
    ['getInfo', { live: 'yes' }, 'Expected `live` to be a boolean or \'daemon\', got "yes"'],
    [
      'installShutdownHandler',
      { beforeExit: 5 },
      'Expected `beforeExit` to be a function or an array of functions, got 5',
    ],
    [
      'restartWhen',
      { maxUptimeMs: 60_000, refuseNewTasks: 1 },
      'Expected `refuseNewTasks` to be a boolean, got 1',
    ],
  ])('%s(%j): a wrong type is refused', (method, options, message) => {
    expect(() => loose(createPm2Self())[method]?.(options)).toThrow(new TypeError(message));
  });

  it.each(['gracefulRestart', 'installShutdownHandler', 'exposeToPm2', 'getInfo', 'restartWhen'])(
    '%s(null) is refused with a clear reason',
    (method) => {
      expect(() => loose(createPm2Self())[method]?.(null)).toThrow(
        new TypeError(`Expected the options of ${method}() to be an object, got null`),
      );
    },
  );

  it('createPm2Self(null), an unknown key and a query limit below 100 ms are refused', () => {
    const create = createPm2Self as (options: unknown) => Pm2Self;
    expect(() => create(null)).toThrow(
      new TypeError('Expected the options of createPm2Self() to be an object, got null'),
    );
    expect(() => create({ querytimeoutMs: 1_000 })).toThrow(/did you mean `queryTimeoutMs`\?/);
    expect(() => create({ queryTimeoutMs: 0 })).toThrow(
      new TypeError('Expected `queryTimeoutMs` to be a number of milliseconds from 100 to 600000, got 0'),
    );
    expect(() => create({ queryTimeoutMs: 100 })).not.toThrow();
  });
});

describe('events, listeners and tasks are checked at run time', () => {
  it("on('restarted', fn) is refused, suggesting `restarting`; on('requested', 5) is refused", () => {
    const self = loose(createPm2Self());
    expect(() => self.on?.('restarted', () => undefined)).toThrow(
      new TypeError('Unknown event "restarted" for on(): did you mean `restarting`?'),
    );
    expect(() => self.on?.('requested', 5)).toThrow(
      new TypeError("Expected the listener of on('requested') to be a function, got 5"),
    );
    expect(typeof self.on?.('requested', () => undefined)).toBe('function');
  });

  it('runTask(42) rejects with a TypeError instead of resolving to 42', async () => {
    const self = createPm2Self();
    await expect(loose(self).runTask?.(42)).rejects.toThrow(
      new TypeError('Expected `work` to be a function or a promise, got 42'),
    );
    expect(self.runningTasks()).toEqual([]);
    await expect(self.runTask(Promise.resolve(7))).resolves.toBe(7);
  });
});

describe('nearestKey', () => {
  it('suggests a key within a third of its length, else nothing', () => {
    const keys = Object.keys(OPTION_TABLES.gracefulRestart);
    expect(nearestKey('refuseNewTask', keys)).toBe('refuseNewTasks');
    expect(nearestKey('hookTimeoutMs', keys)).toBe('hooksTimeoutMs');
    expect(nearestKey('deadline', keys)).toBe('deadlineMs');
    expect(nearestKey('killTimeout', keys)).toBeNull();
  });
});

describe('gaps the issue 19 review found (B6)', () => {
  const create = createPm2Self as (options: unknown) => Pm2Self;

  it('a misspelt port name is refused, naming the nearest port', () => {
    expect(() => create({ ports: { clokc: {} } })).toThrow(
      new TypeError('Unknown port `clokc` of createPm2Self(): did you mean `clock`?'),
    );
    expect(() => create({ ports: { network: {} } })).toThrow(
      new TypeError(
        'Unknown port `network` of createPm2Self(): known ports: clock, runner, daemon, fs, process',
      ),
    );
  });

  it('a port that is not an object, or lacks one of its functions, is refused at createPm2Self()', () => {
    expect(() => create({ ports: { clock: 5 } })).toThrow(
      new TypeError('Expected the port `clock` to be an object with now, setTimeout and clearTimeout, got 5'),
    );
    expect(() => create({ ports: { fs: 'x' } })).toThrow(/^Expected the port `fs` to be an object with /);
    expect(() => create({ ports: { clock: { now: () => 0, setTimeout: () => 1 } } })).toThrow(
      new TypeError(
        'Expected the port `clock` to be an object with now, setTimeout and clearTimeout, got an object without clearTimeout',
      ),
    );
    expect(() => create({ ports: 5 })).toThrow(new TypeError('Expected `ports` to be an object, got 5'));
    expect(() => create({ ports: {} })).not.toThrow();
  });

  it("onDeadline 'giveUp' without a deadline is refused: it would mean nothing", () => {
    const self = createPm2Self();
    expect(() => loose(self).gracefulRestart?.({ onDeadline: 'giveUp' })).toThrow(
      new TypeError(
        "Expected `deadlineMs` to be a number of milliseconds when onDeadline is 'giveUp', got none: 'giveUp' drops the request at its deadline, and there is none",
      ),
    );
    expect(() => loose(self).gracefulRestart?.({ onDeadline: 'giveUp', deadlineMs: null })).toThrow(
      /^Expected `deadlineMs` to be a number of milliseconds when onDeadline is 'giveUp', got null/,
    );
    expect(() => loose(self).restartWhen?.({ maxUptimeMs: 60_000, onDeadline: 'giveUp' })).toThrow(
      /^Expected `deadlineMs` to be a number of milliseconds when onDeadline is 'giveUp'/,
    );
    expect(self.hasPendingRestart()).toBe(false);
  });

  it('an options object that is not a plain object (a Map, an object with inherited keys) is refused', () => {
    const self = createPm2Self();
    expect(() => loose(self).gracefulRestart?.(new Map([['reason', 'x']]))).toThrow(
      new TypeError(
        'Expected the options of gracefulRestart() to be an object, got a Map: options are a plain object ({ ... })',
      ),
    );
    expect(() => loose(self).gracefulRestart?.(Object.create({ refuseNewTasks: 1 }))).toThrow(
      /^Expected the options of gracefulRestart\(\) to be an object, got .*: options are a plain object/,
    );
    expect(() => create(new Map())).toThrow(/options are a plain object/);
    expect(self.hasPendingRestart()).toBe(false);
    // A prototype-less object is a plain object.
    expect(() => loose(self).getInfo?.(Object.create(null))).not.toThrow();
  });
});
