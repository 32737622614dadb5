/**
 * Text from apps and the daemon (names, labels, reasons, metrics, replies) made safe for a terminal:
 * control characters and the invisible reordering marks are shown as escapes (`\x1b`, `\u009b`), so
 * no app can retitle, clear or recolour the operator's terminal, or fake a line.
 */

/** C0 and C1 controls, DEL, line and paragraph separators, and bidirectional overrides. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** What JSON leaves raw inside strings (it escapes C0 itself; its own line breaks stay). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (char: string, digits: number) => char.charCodeAt(0).toString(16).padStart(digits, '0');

/** `text` with every control character written as an escape (`\x1b`, `\u009b`). Pure, idempotent. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (char) =>
    char.charCodeAt(0) < 0x80 ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`,
  );
}

/**
 * JSON of `value` for a terminal: the data unchanged, with the characters JSON leaves raw (C1
 * controls, DEL, separators, bidi marks) written as `\u` escapes, so it is still valid JSON. Pure.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (char) => `\\u${hex(char, 4)}`);
}
