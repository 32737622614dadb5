/** When a turn's lease holds its slot, as a pure function of the lease, the daemon's list and the time. */
import { describe, expect, it } from 'vitest';
import type { ProcessEntry } from '../../src/pm2/process-list.js';
import {
  instancesOf,
  leaseOver,
  parseTurnLease,
  turnFolderName,
  type TurnLease,
} from '../../src/restart/turn-lease.js';
import { processEntry } from '../helpers/process-entry.js';

/** Instance 2, started by npm: pm2 tracks npm (499), the app is 500. */
const lease: TurnLease = {
  pmId: 2,
  pid: 500,
  trackedPid: 499,
  restarts: 0,
  claimedAt: 1_000,
  expiresAt: 31_000,
  released: false,
};
const entry = (overrides: Partial<ProcessEntry>): ProcessEntry =>
  processEntry({ pid: 499, pmId: 2, instance: 1, startedAt: 0, ...overrides });
const ALIVE = { alive: true };
const GONE = { alive: false };

describe('leaseOver', () => {
  it.each([
    ['the holder still runs: pm2 lists its launcher (npm), not the app', [entry({})], 2_000, ALIVE, null],
    [
      'the holder exited and pm2 has not respawned it yet',
      [entry({ pid: 0, status: 'launching' })],
      2_000,
      GONE,
      null,
    ],
    [
      'the new process is spawned but not online yet',
      [entry({ pid: 600, status: 'launching', restarts: 1 })],
      2_000,
      GONE,
      null,
    ],
    [
      'the new process is online but has not handed the slot back (a cluster worker before its code ran)',
      [entry({ pid: 600, restarts: 1, startedAt: 1_900 })],
      2_000,
      GONE,
      null,
    ],
    [
      'past the lease, the holder is waiting restart (restart_delay 40 s): no clock frees it',
      [entry({ pid: 0, status: 'waiting restart' })],
      40_000,
      GONE,
      null,
    ],
    [
      'past the lease, the new process is launching (a slow wait_ready app)',
      [entry({ pid: 600, status: 'launching', restarts: 1 })],
      40_000,
      GONE,
      null,
    ],
    ['given back (by the holder or its next process)', [entry({})], 2_000, ALIVE, 'given back'],
    [
      'past the lease, the holder is alive (it hung)',
      [entry({})],
      31_001,
      ALIVE,
      'expired (the holder hung)',
    ],
    [
      'the new process has run online for 30 s without a hand-back',
      [entry({ pid: 600, restarts: 1, startedAt: 2_000 })],
      32_000,
      GONE,
      'back online without a hand-back',
    ],
    [
      'pm2 restarted it twice since the claim (a crash loop)',
      [entry({ pid: 601, restarts: 2, startedAt: 5_000 })],
      6_000,
      GONE,
      'restarted again (a crash loop)',
    ],
    ['the instance was deleted', [entry({ pmId: 3 })], 2_000, GONE, 'deleted'],
    [
      'pm2 lists the exited holder stopped, pid kept, until its restart timer fires',
      [entry({ status: 'stopped' })],
      2_000,
      GONE,
      null,
    ],
    [
      'the restart timer has fired (restart count up) and the new process is not forked yet',
      [entry({ status: 'stopped', restarts: 1 })],
      2_000,
      GONE,
      null,
    ],
    [
      'the instance was stopped (pm2 cleared its pid)',
      [entry({ pid: 0, status: 'stopped' })],
      2_000,
      GONE,
      'stopped',
    ],
    ['the instance errored', [entry({ pid: 0, status: 'errored' })], 2_000, GONE, 'errored'],
    ['no list, not expired', null, 2_000, ALIVE, null],
    ['no list, expired, the holder exited', null, 40_000, GONE, null],
    ['no list, expired, the holder alive', null, 40_000, ALIVE, 'expired (the holder hung)'],
  ] as const)('%s', (title, entries, now, holder, expected) => {
    const reading = title.startsWith('given back') ? { ...lease, released: true } : lease;
    // The lease has gone unrenewed since its claim and the next process has been online since pm2
    // spawned it (the reader's ages, holder-watch.ts, with the clock never stepped).
    const facts = {
      ...holder,
      ageMs: now - lease.claimedAt,
      onlineMs: (next: ProcessEntry) => (next.startedAt === null ? null : now - next.startedAt),
    };
    expect(leaseOver(reading, entries, facts)).toBe(expected);
  });
});

describe('leases, folders and instances', () => {
  it('reads a lease, and nothing else', () => {
    expect(parseTurnLease(JSON.stringify(lease))).toEqual(lease);
    // A lease of an older release (no trackedPid, restarts or released) names its holder as tracked.
    expect(parseTurnLease('{"pmId":1,"pid":7,"claimedAt":1,"expiresAt":2}')).toEqual({
      pmId: 1,
      pid: 7,
      trackedPid: 7,
      restarts: null,
      claimedAt: 1,
      expiresAt: 2,
      released: false,
    });
    for (const text of [null, '', '{', '[]', '{"pmId":"x","pid":1,"claimedAt":1,"expiresAt":2}']) {
      expect(parseTurnLease(text)).toBeNull();
    }
  });

  it("names an app's folder safely, namespace first", () => {
    expect(turnFolderName({ name: 'web', namespace: 'default' })).toBe('default--web');
    expect(turnFolderName({ name: '../x y', namespace: null })).toBe('default--..%2fx%20y');
  });

  it('counts the instances of one app by name and namespace', () => {
    const list = [
      entry({}),
      entry({ pmId: 3 }),
      entry({ pmId: 4, namespace: 'other' }),
      entry({ pmId: 5, name: 'api' }),
    ];
    expect(instancesOf(list, { name: 'web', namespace: 'default' }).map((e) => e.pmId)).toEqual([2, 3]);
  });
});
