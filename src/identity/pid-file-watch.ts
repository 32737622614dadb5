import { parseCount } from '../pm2/parse-values.js';
import type { Clock, FileSystem } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';

/** What {@link createPidFileWatch} works with. */
export interface PidFileWatchOptions {
  readonly fs: Pick<FileSystem, 'readText' | 'modifiedAt'>;
  readonly clock: Clock;
  /** The pid file pm2 keeps for this process's `pm_id` (`pm_pid_path`). */
  readonly file: string;
  /** The file is looked at at most once per this long. */
  readonly everyMs: number;
}

/**
 * Whether pm2 now tracks another process for this `pm_id`, told by its pid file: during a cluster
 * reload the new worker writes its pid there before its own code runs, while pm2 signals the old
 * worker only once the new one is up (seconds later). Looking costs one `lstat` per `everyMs`; the
 * file is read only when its time changed (or without a way to look at its time).
 */
export interface PidFileWatch {
  /** True once the pid file names a pid other than `trackedPid` (and from then on). */
  replaced(trackedPid: number): Promise<boolean>;
  /** What {@link PidFileWatch.replaced} would say without a look; undefined when a look is due. */
  known(): boolean | undefined;
}

/** Creates a {@link PidFileWatch}. */
export function createPidFileWatch(options: PidFileWatchOptions): PidFileWatch {
  const { fs, clock, file } = options;
  let lookedAt = -Infinity;
  let seen: number | null | undefined;
  let replaced = false;
  let looking: Promise<boolean> | undefined;

  const look = async (trackedPid: number): Promise<boolean> => {
    lookedAt = monotonicNow(clock);
    if (fs.modifiedAt !== undefined) {
      const at = await fs.modifiedAt(file);
      if (at === seen) return replaced;
      seen = at;
    }
    const text = await fs.readText(file);
    // A missing or unreadable file (pm2 removes it when the process stops) tells nothing.
    const pid = text === null ? undefined : parseCount(text.trim());
    if (pid !== undefined && pid !== 0 && pid !== trackedPid) replaced = true;
    return replaced;
  };

  const known = (): boolean | undefined => {
    const ageMs = monotonicNow(clock) - lookedAt;
    return replaced || (ageMs >= 0 && ageMs < options.everyMs) ? replaced : undefined;
  };

  return {
    known,
    replaced(trackedPid) {
      const now = known();
      if (now !== undefined) return Promise.resolve(now);
      return (looking ??= look(trackedPid).finally(() => {
        looking = undefined;
      }));
    },
  };
}
