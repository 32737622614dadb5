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

const lease: TurnLease = { pmId: 2, pid: 500, claimedAt: 1_000, expiresAt: 31_000 };
const entry = (overrides: Partial<ProcessEntry>): ProcessEntry =>
  processEntry({ pid: 500, pmId: 2, instance: 1, ...overrides });

describe('leaseOver', () => {
  it.each([
    ['the holder is still the process pm2 lists (restarting)', [entry({})], 2_000, null],
    [
      'the holder exited and pm2 has not respawned it yet',
      [entry({ pid: 0, status: 'launching' })],
      2_000,
      null,
    ],
    [
      'the new process is spawned but not online yet',
      [entry({ pid: 600, status: 'launching' })],
      2_000,
      null,
    ],
    ['the new process is online: the restart is done', [entry({ pid: 600 })], 2_000, 'back online'],
    ['the instance was deleted', [entry({ pmId: 3 })], 2_000, 'deleted'],
    ['the instance was stopped', [entry({ pid: 0, status: 'stopped' })], 2_000, 'stopped'],
    ['the instance errored', [entry({ pid: 0, status: 'errored' })], 2_000, 'errored'],
    ['the lease expired (a holder that hung)', [entry({})], 31_001, 'expired'],
    ['no list, not expired', null, 2_000, null],
    ['no list, expired', null, 40_000, 'expired'],
  ] as const)('%s', (_, entries, now, expected) => {
    expect(leaseOver(lease, entries, now)).toBe(expected);
  });
});

describe('leases, folders and instances', () => {
  it('reads a lease, and nothing else', () => {
    expect(parseTurnLease(JSON.stringify(lease))).toEqual(lease);
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
