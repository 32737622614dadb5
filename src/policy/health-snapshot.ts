/** What `getHealth()` shows, and its one-line summary for operators (metrics, `pm2-self status`). */

/** What `getHealth()` shows: the health check's last result, and the watchdog's view of the loop. */
export interface HealthSnapshot {
  /** True while a health check of `restartWhen()` runs. */
  readonly checking: boolean;
  /** When the last check's result was known (epoch ms), or null before the first. */
  readonly lastCheckAt: number | null;
  /** The last check's result, or null before the first. */
  readonly lastOk: boolean | null;
  /** Since when the check has failed without a break (epoch ms), or null while it passes. */
  readonly failingSince: number | null;
  /** Why the last failing check failed, or null. */
  readonly lastError: string | null;
  /** The watchdog's limit (`eventLoopBlockedForMs`), or null when no watchdog runs. */
  readonly eventLoopBlockedForMs: number | null;
  /**
   * How late the last heartbeat of the watchdog (or else the health check's timer) came: the event
   * loop's delay then; null before the first.
   */
  readonly loopDelayMs: number | null;
}

const clockTime = (at: number) => new Date(at).toISOString().slice(11, 19);

/**
 * The health in one line: `ok, checked 14:02:11`, `failing since 14:01:30: returned false`,
 * `not checked yet`, or `watchdog only`; null when neither a check nor a watchdog runs. Times are UTC. Pure.
 */
export function summarizeHealth(health: HealthSnapshot): string | null {
  if (!health.checking) return health.eventLoopBlockedForMs === null ? null : 'watchdog only';
  if (health.lastCheckAt === null) return 'not checked yet';
  if (health.failingSince === null) return `ok, checked ${clockTime(health.lastCheckAt)}`;
  const error = health.lastError ?? 'failing';
  const text = `failing since ${clockTime(health.failingSince)}: ${error}`;
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
