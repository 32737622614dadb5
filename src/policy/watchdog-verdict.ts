/**
 * The event-loop watchdog's pure decisions. Each function here is self-contained (no imports, no
 * outer names): the watchdog thread runs their source text (see `watchdog-source.ts`), and the unit
 * tests call them directly.
 */

/**
 * How long the main loop has been blocked, once that reaches `limitMs`; null otherwise. Times are
 * monotonic milliseconds (`process.hrtime`, one clock for every thread of the process), so a step of
 * the wall clock neither fires nor silences the watchdog. `lastBeatAt` is the main loop's last
 * heartbeat (0 before the first, so the watchdog arms only once the main loop has turned once: a long
 * synchronous start-up never fires it). `awakeSince` is when the watchdog thread itself last resumed
 * after a freeze of the whole process (SIGSTOP, a paused container, a suspended machine; 0 if never):
 * the main loop is judged from then on, not for the time nobody ran. While an inspector is open (a
 * debugger may be paused at a breakpoint) it never fires. Pure.
 */
export function judgeHeartbeat(
  lastBeatAt: number,
  inspectorOpen: boolean,
  now: number,
  limitMs: number,
  awakeSince = 0,
): number | null {
  if (lastBeatAt === 0 || inspectorOpen) return null;
  const blockedMs = now - Math.max(lastBeatAt, awakeSince);
  return blockedMs >= limitMs ? blockedMs : null;
}

/**
 * Whether the watchdog thread itself was frozen between two of its polls: its own poll, due every
 * `pollMs`, came `limitMs` or more late. Then the whole process was stopped, not the main loop alone. Pure.
 */
export function wasFrozen(previousPollAt: number, now: number, limitMs: number): boolean {
  return previousPollAt !== 0 && now - previousPollAt >= limitMs;
}

/** Monotonic milliseconds, the same clock in every thread of the process. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000000n);
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
