/**
 * Runtime checks of an options object against a table of its known keys and their kinds, for callers
 * that TypeScript does not check (plain JavaScript): `null` or a non-object, an unknown key (with the
 * nearest known one suggested), a value of the wrong kind and a duration outside its range all throw a
 * `TypeError` in the house's wording.
 */
import { describeReceived } from './describe-received.js';
import type { DurationName } from './duration-ranges.js';
import { invalidOption } from './errors.js';
import { checkDuration, hookList } from './option-checks.js';

/**
 * What a key holds. `duration`: milliseconds within the key's range (duration-ranges.ts); `hooks`: a function or an
 * array of functions; `object`: a non-null object; `checked`: a value the function checks itself (a
 * union such as `'force' | 'giveUp'`, or a number with its own rule).
 */
export type OptionKind = 'boolean' | 'string' | 'function' | 'duration' | 'hooks' | 'object' | 'checked';

/** The known keys of one function's options, with their kinds. */
export type OptionTable = Readonly<Record<string, OptionKind>>;

/** Edit distance between two short strings, case-insensitive (Levenshtein). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      next[j] = Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + cost);
    }
    row = next;
  }
  return row[y.length] as number;
}

/** The known key nearest to `key` when it is close enough to be a slip (a third of its length), else null. */
export function nearestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function checkValue(key: string, kind: OptionKind, value: unknown): void {
  if (value === undefined) return;
  switch (kind) {
    case 'boolean':
      if (typeof value !== 'boolean') invalidOption(key, 'a boolean', value);
      return;
    case 'string':
      if (typeof value !== 'string') invalidOption(key, 'a string', value);
      return;
    case 'function':
      if (typeof value !== 'function') invalidOption(key, 'a function', value);
      return;
    case 'object':
      if (typeof value !== 'object' || value === null) invalidOption(key, 'an object', value);
      return;
    case 'hooks':
      hookList(value as never, key);
      return;
    case 'duration':
      checkDuration(key as DurationName, value);
      return;
    case 'checked':
      return;
  }
}

/**
 * Checks `options` of the function `fn` against `table`: `undefined` passes (the defaults apply). The
 * options are a plain object (its prototype `Object.prototype` or null): a `Map`'s entries or inherited
 * keys would be silently ignored.
 * @throws TypeError naming the key and what was expected.
 */
export function checkOptions(fn: string, options: unknown, table: OptionTable): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const why = Array.isArray(options) ? ': an array is not an options object' : '';
    throw new TypeError(
      `Expected the options of ${fn}() to be an object, got ${describeReceived(options)}${why}`,
    );
  }
  const proto: unknown = Object.getPrototypeOf(options);
  if (proto !== null && Object.getPrototypeOf(proto) !== null) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    const got = typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object with inherited keys';
    throw new TypeError(
      `Expected the options of ${fn}() to be an object, got ${got}: options are a plain object ({ ... })`,
    );
  }
  const known = Object.keys(table);
  for (const [key, value] of Object.entries(options)) {
    const kind = table[key];
    if (kind === undefined) {
      const near = nearestKey(key, known);
      const help = near === null ? `known options: ${known.join(', ')}` : `did you mean \`${near}\`?`;
      throw new TypeError(`Unknown option \`${key}\` of ${fn}(): ${help}`);
    }
    checkValue(key, kind, value);
  }
}
