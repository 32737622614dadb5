/**
 * Strict parsers for values pm2 hands over as text (env) or loosely typed JSON (its list).
 * Each returns `undefined` for anything it cannot read with certainty.
 */

/** A non-negative safe integer from a number or a decimal string. */
export function parseCount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number.parseInt(value.trim(), 10);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration in milliseconds from a number, `"1500"`, or pm2's `"2s"` / `"500ms"` / `"1m"` / `"1h"` forms. */
export function parseDurationMs(value: unknown): number | undefined {
  const plain = parseCount(value);
  if (plain !== undefined) return plain;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,12}(?:\.\d{1,6})?)\s*(ms|s|m|h)$/.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : undefined;
}

/** A boolean from `true`/`false` or `"true"`/`"false"`. */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** The items of an exit-code list in any of pm2's forms; undefined for anything else. */
function exitCodeItems(value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'number') return [value];
  if (typeof value !== 'string') return undefined;
  return value.trim() === '' ? [] : value.split(',');
}

/** One exit code, as pm2's `parseInt` would read it; undefined when unsure. */
function parseExitCode(item: unknown): number | undefined {
  if (typeof item === 'number') return Number.isInteger(item) ? item : undefined;
  if (typeof item === 'string' && /^\s*-?\d{1,6}\s*$/.test(item)) return Number.parseInt(item, 10);
  return undefined;
}

/**
 * Exit codes from pm2's forms: a number, an array, `"0"`, or cluster mode's `"0,7"` (`""` = none).
 * Codes pm2 would read with `parseInt` are accepted; anything else makes the whole list unreadable.
 */
export function parseExitCodes(value: unknown): number[] | undefined {
  const items = exitCodeItems(value);
  if (items === undefined) return undefined;
  const codes: number[] = [];
  for (const item of items) {
    const code = parseExitCode(item);
    if (code === undefined) return undefined;
    if (!codes.includes(code)) codes.push(code);
  }
  return codes;
}

/**
 * A non-empty string of at most `maxLength` characters, control characters kept but NUL (which no
 * command line or file name carries): data from pm2 (an app's name in the daemon's list) that is shown,
 * escaped where it meets a terminal, never dropped.
 */
export function parseText(value: unknown, maxLength = 256): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) return undefined;
  return value.includes('\u0000') ? undefined : value;
}

/** A non-empty string of at most `maxLength` characters with no control characters. */
export function parseName(value: unknown, maxLength = 256): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) return undefined;
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(value) ? undefined : value;
}
