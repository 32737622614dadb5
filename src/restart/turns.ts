/**
 * Taking and giving back a turn for a restart, over lease files in `$PM2_HOME/pm2-self/turns/` and the
 * daemon's list. Only multi-instance apps (more than one instance of the same name and namespace)
 * with a finite `maxUnavailable` take turns.
 */
import { join } from 'node:path';
import { debug } from '../common/debug.js';
import type { DaemonListResult, DaemonProblem, DaemonQuery } from '../daemon/daemon-query.js';
import type { Pm2HomePaths } from '../daemon/pm2-home.js';
import type { IdentityCache } from '../identity/identity-cache.js';
import type { ManagedIdentity } from '../identity/identity.js';
import type { Ports, TimerHandle } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import { cancellableDelay } from './cancellable-delay.js';
import { createHolderWatch } from './holder-watch.js';
import { nextGeneration, slotFile, slotGenerations } from './turn-slots.js';
import {
  instancesOf,
  leaseOver,
  parseTurnLease,
  turnFolderName,
  type TurnLease,
  TURN_LEASE_MS,
  TURN_POLL_MS,
  TURN_RENEW_MS,
} from './turn-lease.js';

/** How a turn was had: at once, after a wait, not needed, or not at all (the request went away). */
export type TurnResult = { readonly taken: true; readonly waitedMs: number } | { readonly taken: false };

/** What the controller asks of the turns. */
export interface Turns {
  /**
   * Takes a slot, waiting while `maxUnavailable` instances hold one; `onWait` is told once, with how
   * many hold one. Gives up (taken: false) as soon as `stillWanted()` is false.
   */
  take(options: { onWait(holders: number): void; stillWanted(): boolean }): Promise<TurnResult>;
  /** Gives a held slot back (the restart was cancelled or failed). */
  release(): Promise<void>;
  /**
   * Called by a new process once it is ready: gives back the slot its predecessor (the same pm_id,
   * another tracked pid) held for its restart. Resolves how many slots it gave back.
   */
  handBack(identity: ManagedIdentity): Promise<number>;
}

/** What {@link createTurns} works with. */
export interface TurnParts {
  readonly ports: Pick<Ports, 'clock' | 'fs' | 'process'>;
  readonly paths: Pm2HomePaths;
  readonly daemon: DaemonQuery;
  readonly identities: IdentityCache;
  readonly maxUnavailable: number;
}

/** Creates the {@link Turns} of one instance. */
export function createTurns(parts: TurnParts): Turns {
  const { clock, fs, process } = parts.ports;
  let held: { dir: string; name: string; renew: TimerHandle | undefined } | undefined;
  const unreadable = new Set<string>();
  /** The current lease of each slot folder and slot, and its holder's next process, as this process first saw them. */
  const watch = createHolderWatch(clock);

  const lease = (released = false) => {
    const now = clock.now();
    const identity = parts.identities.current;
    return JSON.stringify({
      pmId: identity?.pmId ?? -1,
      pid: process.pid,
      trackedPid: identity?.trackedPid ?? process.pid,
      restarts: identity?.restarts ?? null,
      claimedAt: now,
      expiresAt: now + TURN_LEASE_MS,
      released,
    });
  };

  /** How long the lease at `path` has gone without renewal (lease-age.ts): the file's time, else `claimedAt`. */
  const ageOf = async (slotKey: string, path: string, reading: TurnLease): Promise<number> =>
    watch.leaseAgeMs(slotKey, path, (await fs.modifiedAt?.(path)) ?? reading.claimedAt);

  const renew = () => {
    if (held === undefined) return;
    fs.writeText(join(held.dir, held.name), lease()).catch((error: unknown) =>
      debug('turns: the lease was not renewed: %s', error),
    );
    held.renew = clock.setTimeout(renew, TURN_RENEW_MS);
  };

  /**
   * Claims slot `slot`: its leases are files `slot-<k>-<generation>.json`, the highest generation
   * current. A lease that is over is taken over by creating the next generation exclusively, so of two
   * waiters that judged the same lease over only one wins; the winner removes the older generations.
   * Resolves the lease's name, `held` while a lease holds the slot, or `refused` when the store did
   * not let the lease be written and no other lease is there (the store cannot be used: no holder).
   */
  const claim = async (
    dir: string,
    slot: number,
    entries: Parameters<typeof leaseOver>[1],
  ): Promise<string | 'held' | 'refused'> => {
    const createExclusive = fs.createExclusive?.bind(fs);
    if (createExclusive === undefined) return 'refused';
    const generations = slotGenerations(await fs.list(dir), slot);
    const current = generations.at(-1);
    if (current !== undefined) {
      const path = join(dir, slotFile(slot, current));
      const text = await fs.readText(path);
      const reading = parseTurnLease(text);
      // A file caught between its creation and its content reads as nothing once; twice, it is junk.
      if (reading === null && text !== null && !unreadable.has(path)) {
        unreadable.add(path);
        return 'held';
      }
      unreadable.delete(path);
      const slotKey = join(dir, String(slot));
      const over =
        reading === null
          ? 'unreadable'
          : leaseOver(reading, entries, {
              alive: process.isAlive(reading.pid),
              ageMs: await ageOf(slotKey, path, reading),
              onlineMs: (next) => watch.onlineMs(slotKey, next),
            });
      if (over === null) return 'held';
      debug('turns: %s is over (%s)', path, over);
    }
    const next = nextGeneration(current);
    const name = slotFile(slot, next);
    if (!(await createExclusive(join(dir, name), lease()))) {
      // Another waiter's lease of the same generation (or a later one) is there: the slot is held.
      // Nothing there, or a folder that cannot be listed: the store refused the write.
      const now = slotGenerations(await fs.list(dir), slot);
      return now.some((generation) => generation === next || generation > (current ?? -1))
        ? 'held'
        : 'refused';
    }
    // The slot is ours from here: old generations left behind (a failed remove) only cost a listing.
    await Promise.all(generations.map((old) => fs.remove(join(dir, slotFile(slot, old))))).catch(
      (error: unknown) => debug('turns: old leases not removed: %s', error),
    );
    return name;
  };

  return {
    async take({ onWait, stillWanted }) {
      const identity = parts.identities.current;
      if (identity === undefined || !Number.isFinite(parts.maxUnavailable))
        return { taken: true, waitedMs: 0 };
      const first = await parts.daemon.list({ fresh: true });
      // A single instance has no one to take turns with. A list that did not come (a busy or paused
      // daemon) counts nothing: the plan saw several instances, so the turn is still taken, judged by
      // the leases alone until the list answers again.
      if (first.ok && instancesOf(first.entries, identity).length <= 1) return { taken: true, waitedMs: 0 };
      // A list that can never be had (access denied: pm2 runs the app as another user) would leave a
      // waiter nothing to judge a holder that does not come back by: the restart goes on alone.
      if (!first.ok && NO_LIST_EVER.has(first.problem))
        return alone(`the daemon's list: ${first.problem}`, 0);
      const slots = Math.max(1, Math.floor(parts.maxUnavailable));
      const dir = join(parts.paths.recordDir, 'turns', turnFolderName(identity));
      // The wait is measured inside this process: on the monotonic clock.
      const startedAt = monotonicNow(clock);
      let told = false;
      let list: DaemonListResult = first;
      const waited = () => (told ? Math.max(0, Math.round(monotonicNow(clock) - startedAt)) : 0);
      for (;;) {
        if (!stillWanted()) return { taken: false };
        if (!list.ok && NO_LIST_EVER.has(list.problem))
          return alone(`the daemon's list: ${list.problem}`, waited());
        const entries = list.ok ? list.entries : null;
        let holders = 0;
        for (let slot = 0; slot < slots; slot++) {
          const name = await claim(dir, slot, entries);
          if (name === 'held') holders += 1;
          // A store that cannot be used holds nothing: waiting on it would never end.
          if (name === 'refused') return alone('the store refused the lease', waited());
          if (name === 'held') continue;
          held = { dir, name, renew: undefined };
          if (!stillWanted()) {
            await release();
            return { taken: false };
          }
          held.renew = clock.setTimeout(renew, TURN_RENEW_MS);
          const waitedMs = Math.max(0, Math.round(monotonicNow(clock) - startedAt));
          debug('turns: took %s after %d ms', name, waitedMs);
          // Only a turn that had to be waited for counts as a wait.
          return { taken: true, waitedMs: told ? waitedMs : 0 };
        }
        if (!told) onWait(holders);
        told = true;
        await cancellableDelay(clock, TURN_POLL_MS).done;
        list = await parts.daemon.list({ fresh: true });
      }
    },
    release,
    async handBack(identity) {
      const dir = join(parts.paths.recordDir, 'turns', turnFolderName(identity));
      const names = (await fs.list(dir)) ?? [];
      let given = 0;
      for (const name of names) {
        if (!/^slot-\d{1,6}-\d{1,12}\.json$/.test(name)) continue;
        const path = join(dir, name);
        const reading = parseTurnLease(await fs.readText(path));
        const predecessor =
          reading !== null &&
          !reading.released &&
          reading.pmId === identity.pmId &&
          reading.pid !== process.pid &&
          reading.trackedPid !== identity.trackedPid;
        if (!predecessor) continue;
        await fs.writeText(path, JSON.stringify({ ...reading, released: true }));
        debug('turns: handed back %s, held by predecessor %d', name, reading.pid);
        given += 1;
      }
      return given;
    },
  };

  /** No turn can be had (no store, or no list ever): the restart goes on without one. */
  function alone(why: string, waitedMs: number): TurnResult {
    debug('turns: going on without a turn (%s)', why);
    return { taken: true, waitedMs };
  }

  /** Gives the slot back: the lease stays, released, so the next generation is the next claim. */
  async function release(): Promise<void> {
    if (held === undefined) return;
    const { dir, name, renew: timer } = held;
    held = undefined;
    if (timer !== undefined) clock.clearTimeout(timer);
    await fs.writeText(join(dir, name), lease(true));
  }
}

/**
 * Daemon problems that no later list will cure: pm2 runs the app as another user (`accessDenied`), no
 * daemon, a pm2 this library does not support, no pm2 command. A slow list (`timeout`) is not one.
 */
const NO_LIST_EVER: ReadonlySet<DaemonProblem> = new Set<DaemonProblem>([
  'accessDenied',
  'noDaemon',
  'unsupportedVersion',
  'cliNotFound',
]);
