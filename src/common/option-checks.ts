/**
 * Option checks shared by every part that takes options: a failed check throws a `TypeError` in the
 * house's wording (``Expected `name` to be ..., got ...``).
 */
import { invalidOption } from './errors.js';

/** Checks a duration in milliseconds (a non-negative number that fits a timer); `undefined` passes. */
export function checkDuration(name: string, value: unknown, allowNull = false): void {
  if (value === undefined || (allowNull && value === null)) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 2_147_483_647) {
    const expected = allowNull
      ? 'a non-negative number of milliseconds or null'
      : 'a non-negative number of milliseconds';
    invalidOption(name, expected, value);
  }
}

function asArray(value: unknown, name: string): unknown[] {
  if (value === undefined) return [];
  if (typeof value === 'function') return [value];
  if (Array.isArray(value)) return [...value];
  return invalidOption(name, 'a function or an array of functions', value);
}

/** A function or an array of functions (hooks, say) as an array; anything else throws. */
export function hookList<F extends (...args: never[]) => unknown>(
  value: F | readonly F[] | undefined,
  name: string,
): F[] {
  const list = asArray(value, name);
  for (const item of list) {
    if (typeof item !== 'function') invalidOption(name, 'a function or an array of functions', item);
  }
  return list as F[];
}
