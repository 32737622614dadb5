/**
 * How many processes of an app were up, over time, from the apps' own `started` / `exit` timestamps.
 */

/** A process's own record of its life: started at, exited at (null while it runs). */
export interface ProcessLife {
  readonly pid: number;
  readonly startedAt: number;
  readonly exitedAt: number | null;
}

/** The fewest processes up at once within the window, and the longest stretch with fewer than `floor`. */
export interface OnlineSummary {
  readonly minOnline: number;
  readonly longestBelowFloorMs: number;
}

/** Sweeps the lives over `[from, to]`. Pure. */
export function summarizeOnline(
  lives: readonly ProcessLife[],
  from: number,
  to: number,
  floor: number,
): OnlineSummary {
  const alive = (at: number) =>
    lives.filter((life) => life.startedAt <= at && (life.exitedAt === null || life.exitedAt > at)).length;
  const moments = [
    from,
    ...lives.flatMap((life) => [life.startedAt, life.exitedAt ?? to]).filter((at) => at > from && at < to),
  ].sort((a, b) => a - b);
  let minOnline = Number.POSITIVE_INFINITY;
  let longestBelowFloorMs = 0;
  let belowSince: number | null = null;
  for (const at of moments) {
    const count = alive(at);
    minOnline = Math.min(minOnline, count);
    if (count < floor) belowSince ??= at;
    else if (belowSince !== null) {
      longestBelowFloorMs = Math.max(longestBelowFloorMs, at - belowSince);
      belowSince = null;
    }
  }
  if (belowSince !== null) longestBelowFloorMs = Math.max(longestBelowFloorMs, to - belowSince);
  return { minOnline, longestBelowFloorMs };
}

/** The lives recorded in an app's events (`started` and `exit` lines with `pid` and `at`). Pure. */
export function livesOf(events: readonly { pid: number; event: string; at: number }[]): ProcessLife[] {
  return events
    .filter((e) => e.event === 'started')
    .map((started) => ({
      pid: started.pid,
      startedAt: started.at,
      exitedAt: events.find((e) => e.pid === started.pid && e.event === 'exit')?.at ?? null,
    }));
}

/**
 * Each pm_id's down time in a rollout, from the apps' own timestamps: from its old process's exit to
 * its new process's start (null where either is missing). Pure.
 */
export function downTimesOf(
  lives: readonly ProcessLife[],
  oldPids: readonly number[],
  newPids: readonly number[],
): (number | null)[] {
  return oldPids.map((oldPid, index) => {
    const exitedAt = lives.find((life) => life.pid === oldPid)?.exitedAt ?? null;
    const startedAt = lives.find((life) => life.pid === newPids[index])?.startedAt ?? null;
    return exitedAt === null || startedAt === null ? null : startedAt - exitedAt;
  });
}

/** The largest number of intervals that overlap at one moment (an end and a start at once do not). Pure. */
export function mostAtOnce(intervals: ReadonlyArray<{ from: number; to: number }>): number {
  const edges = intervals.flatMap((i) => [
    { at: i.from, step: 1 },
    { at: i.to, step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let now = 0;
  let most = 0;
  for (const edge of edges) {
    now += edge.step;
    most = Math.max(most, now);
  }
  return most;
}
