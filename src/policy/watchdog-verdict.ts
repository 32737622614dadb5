/**
 * The event-loop watchdog's pure decisions. Each function here is self-contained (no imports, no
 * outer names): the watchdog thread runs their source text (see `watchdog-source.ts`), and the unit
 * tests call them directly.
 */

/**
 * How long the main loop has been blocked, once that reaches `limitMs`; null otherwise. `lastBeatAt`
 * is the main loop's last heartbeat (epoch ms; 0 before the first, so the watchdog arms only once the
 * main loop has turned once: a long synchronous start-up never fires it). While an inspector is open
 * (a debugger may be paused at a breakpoint) it never fires. Pure.
 */
export function judgeHeartbeat(
  lastBeatAt: number,
  inspectorOpen: boolean,
  now: number,
  limitMs: number,
): number | null {
  if (lastBeatAt === 0 || inspectorOpen) return null;
  const blockedMs = now - lastBeatAt;
  return blockedMs >= limitMs ? blockedMs : null;
}

/**
 * The restart's reason: `event loop blocked for N ms`, then where the main thread was, when known
 * (`; main thread at spin (/app/index.js:12:3) < main (/app/index.js:20:1)`), at most 1024 characters. Pure.
 */
export function blockedReason(blockedMs: number, frames: readonly string[]): string {
  const head = `event loop blocked for ${blockedMs} ms`;
  if (frames.length === 0) return head;
  const text = `${head}; main thread at ${frames.join(' < ')}`;
  return text.length > 1024 ? `${text.slice(0, 1021)}...` : text;
}

/** The heartbeat interval for a limit: a tenth of it, between 10 and 250 ms. Pure. */
export function heartbeatEveryMs(limitMs: number): number {
  return Math.min(250, Math.max(10, Math.floor(limitMs / 10)));
}
