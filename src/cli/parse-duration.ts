const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Reads a duration as operators type it: `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds.
 * Returns milliseconds, or null when the text is not a duration. Pure.
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) return null;
  const ms = Math.round(Number(match[1]) * (UNITS[match[2] ?? 's'] as number));
  return Number.isSafeInteger(ms) && ms <= 2_147_483_647 ? ms : null;
}

/** A duration for people: `850 ms`, `4.2 s`, `2 min 5 s`. Pure. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
