/**
 * Issue 20: the daemon's restart counters shared through `$PM2_HOME/pm2-self/counters-v1.json`, so that
 * `pm2 reset` (which sends no signal) reaches local answers. Written only when a count changed; read
 * only when the file's time changed; never believed for another pid, nor when listed before the
 * answer the reader already has.
 */
import { describe, expect, it } from 'vitest';
import type { DaemonListAnswer } from '../../src/daemon/daemon-list.js';
import {
  createCountersBeat,
  createSharedCounters,
  encodeCounters,
  findCounters,
} from '../../src/daemon/shared-counters.js';
import { createFakeClock, createFakeFileSystem } from '../helpers/fake-ports.js';
import { processEntry } from '../helpers/process-entry.js';

const FILE = '/h/pm2-self/counters-v1.json';

function listOf(
  askedAt: number,
  rows: Array<[pmId: number, pid: number, restarts: number]>,
): DaemonListAnswer {
  return {
    ok: true,
    entries: rows.map(([pmId, pid, restarts]) => processEntry({ pmId, pid, restarts, unstableRestarts: 0 })),
    skipped: 0,
    via: 'rpc',
    at: askedAt + 5,
    askedAt,
  };
}

function setup() {
  const clock = createFakeClock();
  const fs = createFakeFileSystem({}, clock);
  const counters = createSharedCounters({ fs, clock, file: FILE, lookEveryMs: 5000 });
  return { clock, fs, counters };
}

describe('shared counters', () => {
  it('finds the counters of one pm_id and pid; another pid, junk or another format is null', () => {
    const text = encodeCounters(
      listOf(1000, [
        [0, 11, 2],
        [1, 12, 0],
      ]),
    );
    expect(findCounters(text, 0, 11)).toEqual({ restarts: 2, unstableRestarts: 0, askedAt: 1000 });
    expect(findCounters(text, 0, 99)).toBeNull();
    expect(findCounters('junk', 0, 11)).toBeNull();
    expect(
      findCounters(JSON.stringify({ format: 'other', askedAt: 1, rows: [[0, 11, 2, 0]] }), 0, 11),
    ).toBeNull();
    expect(
      findCounters(
        JSON.stringify({ format: 'pm2-self/counters@1', askedAt: 1, rows: [[0, 11, -1, 0]] }),
        0,
        11,
      ),
    ).toBeNull();
  });

  it('is written only when a count changed, not when only the time of the list did', async () => {
    const { fs, counters } = setup();
    await counters.publish(listOf(1000, [[0, 11, 2]]));
    const first = fs.files.get(FILE);
    await counters.publish(listOf(2000, [[0, 11, 2]]));
    expect(fs.files.get(FILE)).toBe(first);
    await counters.publish(listOf(3000, [[0, 11, 0]]));
    expect(findCounters(fs.files.get(FILE) ?? null, 0, 11)).toMatchObject({ restarts: 0, askedAt: 3000 });
  });

  it('a reader looks once per interval, reads only a changed file, and believes only a newer list', async () => {
    const { clock, fs, counters } = setup();
    await counters.publish(listOf(clock.now() - 10, [[0, 11, 0]]));
    // Listed before the answer this process has (asked at now): not believed.
    expect(await counters.changed(0, 11, clock.now())).toBeNull();
    clock.advance(1000);
    expect(counters.due()).toBe(false);
    expect(await counters.changed(0, 11, 0)).toBeNull(); // within the interval: not even looked at
    expect(fs.looks).toHaveLength(1);
    clock.advance(5000);
    expect(await counters.changed(0, 11, 0)).toBeNull(); // looked at, unchanged: not read
    expect(fs.looks).toHaveLength(2);
    expect(fs.reads.filter((path) => path === FILE)).toHaveLength(2); // publish's read and the first look's
    await counters.publish(
      listOf(clock.now(), [
        [0, 11, 0],
        [1, 12, 4],
      ]),
    );
    clock.advance(5000);
    expect(await counters.changed(0, 11, clock.now() - 6000)).toMatchObject({ restarts: 0 });
  });

  it('a listing dated in the future is refused, and a real one later still replaces what was believed', async () => {
    const { clock, fs, counters } = setup();
    // Forged (or written before the clock was stepped back): asked an hour from now.
    await fs.writeText(FILE, encodeCounters(listOf(clock.now() + 3_600_000, [[0, 11, 99]])));
    expect(await counters.changed(0, 11, clock.now() - 1000)).toBeNull();
    clock.advance(5000);
    await counters.publish(listOf(clock.now() - 10, [[0, 11, 1]]));
    clock.advance(5000);
    expect(await counters.changed(0, 11, clock.now() - 20_000)).toMatchObject({ restarts: 1 });
    // An answer this process holds dated after now (the clock stepped back since) is no bound either.
    await counters.publish(listOf(clock.now() - 10, [[0, 11, 0]]));
    clock.advance(5000);
    expect(await counters.changed(0, 11, clock.now() + 3_600_000)).toMatchObject({ restarts: 0 });
  });

  it('the heartbeat lists the daemon once per period (the first beat too) and pings otherwise', async () => {
    const clock = createFakeClock(1_800_000_000_000);
    const asked: string[] = [];
    const published: DaemonListAnswer[] = [];
    const beat = createCountersBeat({
      clock,
      everyMs: 30_000,
      ping: async () => (asked.push('ping'), { ok: true }),
      list: async () => (asked.push('list'), listOf(clock.now(), [[0, 11, 1]])),
      counters: { publish: async (list) => void published.push(list) },
    });
    let last: number | null = null;
    for (let i = 0; i < 13; i += 1) {
      expect(await beat(1000, last)).toEqual({ ok: true });
      last = clock.now();
      clock.advance(5000);
    }
    // Beats at 0, 5, ..., 60 s: the first, and the first of each 30 s period (30 s, 60 s), list.
    expect(asked.filter((a) => a === 'list')).toHaveLength(3);
    expect(published).toHaveLength(3);
    const failing = createCountersBeat({
      clock,
      everyMs: 30_000,
      ping: async () => ({ ok: true }),
      list: async () => ({ ok: false, problem: 'timeout', message: 'no answer' }),
      counters: { publish: async () => undefined },
    });
    expect(await failing(1000, null)).toEqual({ ok: false, problem: 'timeout', message: 'no answer' });
  });
});
