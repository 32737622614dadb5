/**
 * A value a caller passed, as the words of a misuse message: never `[object Object]` nor an empty
 * string for an array, so the message says what was given.
 */

const MAX_SHOWN_KEYS = 5;

/**
 * `"deploy"` for a string, `an array` / `an empty array`, `an object with keys a, b`, `an empty
 * object`, `a function`, `5n`, else `String(value)` (`42`, `null`, `undefined`, `NaN`).
 */
export function describeReceived(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty object';
    const shown = keys.slice(0, MAX_SHOWN_KEYS).join(', ');
    return `an object with keys ${shown}${keys.length > MAX_SHOWN_KEYS ? ', ...' : ''}`;
  }
  return String(value);
}
