/**
 * Task labels travel to operators in status replies: they are strings of at most 200 characters, and
 * anything else is a TypeError before a task begins.
 */
import { describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';

type Loose = { [K in 'beginTask' | 'tryBeginTask' | 'runTask']: (...args: unknown[]) => unknown };

describe('task labels', () => {
  it.each([
    ['a BigInt', 1n, 'Expected the task label to be a string, got bigint'],
    ['a number', 5, 'Expected the task label to be a string, got number'],
    ['201 characters', 'x'.repeat(201), 'Expected the task label to be at most 200 characters, got 201'],
    [
      '50 MB',
      'x'.repeat(50 * 1024 * 1024),
      `Expected the task label to be at most 200 characters, got ${50 * 1024 * 1024}`,
    ],
  ])(
    '%s is refused by beginTask, tryBeginTask and runTask, and no task begins',
    async (_name, label, message) => {
      const self = createPm2Self();
      const loose = self as unknown as Loose;
      expect(() => loose.beginTask(label)).toThrow(new TypeError(message));
      expect(() => loose.tryBeginTask(label)).toThrow(new TypeError(message));
      await expect(loose.runTask(() => 1, label)).rejects.toThrow(new TypeError(message));
      expect(self.runningTasks()).toEqual([]);
      expect(self.restartState.tasks).toBe(0);
    },
  );

  it('a label of 200 characters, or none, is accepted', () => {
    const self = createPm2Self();
    const task = self.beginTask('x'.repeat(200));
    const bare = self.beginTask();
    expect(self.runningTasks().map((t) => t.label)).toEqual(['x'.repeat(200), null]);
    task.end();
    bare.end();
  });
});
