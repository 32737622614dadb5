import { isRecord, parseJson } from '../common/json-values.js';
import { parseCount } from '../pm2/parse-values.js';
import type { Clock, FileSystem } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { DaemonListAnswer, DaemonListResult } from './daemon-list.js';
import type { PingResult } from './daemon-liveness.js';

/** Name of the counters file in `$PM2_HOME/pm2-self/`. */
export const COUNTERS_FILE = 'counters-v1.json';

/** Tag of the counters file's format; another tag is ignored. */
const FORMAT = 'pm2-self/counters@1';

/** One process's counters as the daemon listed them. */
export interface ListedCounters {
  readonly restarts: number;
  readonly unstableRestarts: number;
  /** When the daemon was asked (epoch ms): the counters reflect everything it did before this. */
  readonly askedAt: number;
}

/** The counters of every listed process, as the file holds them: `[pmId, pid, restarts, unstable]`. */
type Rows = readonly (readonly [number, number, number, number])[];

const rowsOf = (list: DaemonListAnswer): Rows =>
  list.entries
    .filter((entry) => entry.pid > 0 && entry.restarts !== null)
    .map((entry) => [entry.pmId, entry.pid, entry.restarts ?? 0, entry.unstableRestarts ?? 0] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);

/** The counters file's text for a daemon list. Pure. */
export function encodeCounters(list: DaemonListAnswer): string {
  return JSON.stringify({ format: FORMAT, askedAt: list.askedAt, rows: rowsOf(list) });
}

/** The rows part of a counters text, to tell whether anything but the time changed. Pure. */
const rowsText = (text: string | null): string | null => {
  const fields = text === null ? undefined : parseJson(text);
  return isRecord(fields) && fields.format === FORMAT ? JSON.stringify(fields.rows) : null;
};

/** The counters of the process `pid` at `pmId` in a counters text; null when absent or malformed. Pure. */
export function findCounters(text: string | null, pmId: number, pid: number): ListedCounters | null {
  const fields = text === null ? undefined : parseJson(text);
  if (!isRecord(fields) || fields.format !== FORMAT || !Array.isArray(fields.rows)) return null;
  const askedAt = parseCount(fields.askedAt);
  if (askedAt === undefined) return null;
  for (const row of fields.rows as unknown[]) {
    if (!Array.isArray(row) || row[0] !== pmId || row[1] !== pid) continue;
    const restarts = parseCount(row[2]);
    const unstableRestarts = parseCount(row[3]);
    if (restarts === undefined || unstableRestarts === undefined) return null;
    return { restarts, unstableRestarts, askedAt };
  }
  return null;
}

/** What {@link createSharedCounters} works with. */
export interface SharedCountersOptions {
  readonly fs: Pick<FileSystem, 'readText' | 'writeText' | 'modifiedAt'>;
  readonly clock: Clock;
  /** The counters file. */
  readonly file: string;
  /** A process looks at the file's time at most once per this long. */
  readonly lookEveryMs: number;
}

/**
 * The daemon's restart counters shared by the processes of one `PM2_HOME`, so that a change no signal
 * tells a process of (`pm2 reset`) reaches its local answers: the process that refreshes the heartbeat
 * now and then lists the daemon and writes the counters of every process, only when they changed; each
 * process looks at the file's time once per `lookEveryMs` (nothing opened) and reads it only when it
 * changed.
 */
export interface SharedCounters {
  /** Writes the counters of a daemon list, unless the file already holds the same. */
  publish(list: DaemonListAnswer): Promise<void>;
  /** Whether a look is due: the last was `lookEveryMs` ago or more (no promise, nothing read). */
  due(): boolean;
  /**
   * The counters of the process `pid` at `pmId` when the file changed since the last look and was listed
   * after `after` (epoch ms; an `after` later than now is no bound); else null. A listing dated after
   * now or after the file's own time is refused. Looks at most once per `lookEveryMs`.
   */
  changed(pmId: number, pid: number, after: number): Promise<ListedCounters | null>;
}

/** Creates the {@link SharedCounters} of one `PM2_HOME`; without `modifiedAt`, `changed` is always null. */
export function createSharedCounters(options: SharedCountersOptions): SharedCounters {
  const { fs, clock, file } = options;
  let lookedAt = -Infinity;
  let seen: number | null = null;
  const due = () => fs.modifiedAt !== undefined && monotonicNow(clock) - lookedAt >= options.lookEveryMs;
  return {
    due,
    async publish(list) {
      const text = encodeCounters(list);
      if (rowsText(await fs.readText(file)) !== rowsText(text)) await fs.writeText(file, text);
    },
    async changed(pmId, pid, after) {
      if (!due() || fs.modifiedAt === undefined) return null;
      lookedAt = monotonicNow(clock);
      const at = await fs.modifiedAt(file);
      if (at === null || at === seen) return null;
      seen = at;
      // A listing dated after now, or after the file was written, is invalid: believed, it would
      // outrank every real listing until the clock caught up with it.
      const now = clock.now();
      const found = findCounters(await fs.readText(file), pmId, pid);
      if (found === null || found.askedAt > now || found.askedAt > at) return null;
      // So is an answer of this process's own dated after now (the clock was stepped back since).
      return found.askedAt > after || after > now ? found : null;
    },
  };
}

/** What {@link createCountersBeat} works with. */
export interface CountersBeatOptions {
  readonly clock: Clock;
  /** The daemon is listed (and the counters shared) once per this long, by the clock's wall time. */
  readonly everyMs: number;
  readonly ping: (timeoutMs: number) => Promise<PingResult>;
  readonly list: () => Promise<DaemonListResult>;
  readonly counters: Pick<SharedCounters, 'publish'>;
}

/**
 * What the process that refreshes the heartbeat asks the daemon: a ping, except for the first heartbeat
 * of each `everyMs` (or the first at all), which lists the daemon and shares its counters; the list
 * proves as well as a ping that the daemon answers.
 */
export function createCountersBeat(
  options: CountersBeatOptions,
): (timeoutMs: number, lastBeatAt: number | null) => Promise<PingResult> {
  const { everyMs } = options;
  return async (timeoutMs, lastBeatAt) => {
    const now = options.clock.now();
    const due = lastBeatAt === null || Math.floor(now / everyMs) !== Math.floor(lastBeatAt / everyMs);
    if (!due) return options.ping(timeoutMs);
    const list = await options.list();
    if (!list.ok) return list;
    await options.counters.publish(list);
    return { ok: true };
  };
}
