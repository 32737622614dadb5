/**
 * Option checks shared by every part that takes options: a failed check throws a `TypeError` in the
 * house's wording (``Expected `name` to be ..., got ...``).
 */
import { DURATION_RANGES_MS, describeRange, type DurationName } from './duration-ranges.js';
import { invalidOption } from './errors.js';

/**
 * Checks a duration option against its range in {@link DURATION_RANGES_MS} (a finite number of
 * milliseconds from its minimum to its maximum); `undefined` passes, and `null` too with `allowNull`.
 */
export function checkDuration(name: DurationName, value: unknown, allowNull = false): void {
  if (value === undefined || (allowNull && value === null)) return;
  const range = DURATION_RANGES_MS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < range.minMs || value > range.maxMs) {
    invalidOption(name, `${describeRange(range)}${allowNull ? ', or null' : ''}`, value);
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
