/**
 * When pm2's daemon logged an app instance `online`, read from the daemon's own log
 * (`$PM2_HOME/pm2.log`): pm2 keeps no online time in its list, and for a `wait_ready` app that line is
 * written when pm2 had the app's `'ready'` (or at `listen_timeout` without it). The lines carry pm2's
 * default date prefix, `YYYY-MM-DDTHH:mm:ss:` in the daemon's local time, whole seconds. Pure.
 * @module
 */

const LINE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2}): PM2 log: App \[(.*):(\d+)\] online$/;

/**
 * The times (epoch ms, whole seconds in this process's local time) at which the log says
 * `App [<name>:<pmId>] online`, oldest first. Lines in another format (a `PM2_LOG_DATE_FORMAT` of
 * the user's, a cut first line) are skipped.
 */
export function onlineTimesInDaemonLog(text: string, name: string, pmId: number): number[] {
  const times: number[] = [];
  for (const line of text.split('\n')) {
    const match = LINE.exec(line.trimEnd());
    if (match === null || match[7] !== name || Number(match[8]) !== pmId) continue;
    const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    times.push(new Date(year, month - 1, day, hour, minute, second).getTime());
  }
  return times;
}

/**
 * True when one of the logged `online` seconds proves pm2 listed the process online before its
 * `listen_timeout`: the whole logged second lies after the spawn (`startedAt`, pm2's `pm_uptime`) began
 * and ends no later than `startedAt + listenTimeoutMs`. A line in the last second before the timeout,
 * or a daemon in another time zone, does not count (the turn then waits for the app's own `'ready'`).
 */
export function onlineBeforeListenTimeout(
  onlineTimes: readonly number[],
  startedAt: number,
  listenTimeoutMs: number,
): boolean {
  return onlineTimes.some(
    (second) => second + 1000 > startedAt && second + 1000 <= startedAt + listenTimeoutMs,
  );
}
