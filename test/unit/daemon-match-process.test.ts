import { describe, expect, it } from 'vitest';
import { matchProcess } from '../../src/identity/match-process.js';
import { parseJlistOutput, type ProcessEntry } from '../../src/pm2/process-list.js';
import { jlistFixture } from '../helpers/fake-ports.js';

const reading = parseJlistOutput(jlistFixture('full.json'));
const ENTRIES: readonly ProcessEntry[] = reading.ok ? reading.entries : [];
const DAEMON = 7381;

function named(match: ReturnType<typeof matchProcess>) {
  return match.ok ? { name: match.entry.name, pmId: match.entry.pmId, relation: match.relation } : match;
}

describe('matchProcess over the recorded list', () => {
  it('has the fixture list', () => {
    expect(ENTRIES).toHaveLength(6);
  });

  it('finds this pid: tracked', () => {
    expect(named(matchProcess(ENTRIES, [7417, DAEMON]))).toEqual({
      name: 'fork-app',
      pmId: 0,
      relation: 'tracked',
    });
    expect(named(matchProcess(ENTRIES, [7468, DAEMON]))).toEqual({
      name: 'cluster-app',
      pmId: 2,
      relation: 'tracked',
    });
  });

  it('finds the parent run by a non-node interpreter: wrapper', () => {
    expect(named(matchProcess(ENTRIES, [7499, 7497, DAEMON]))).toEqual({
      name: 'wrapped-app',
      pmId: 3,
      relation: 'wrapper',
    });
  });

  it('finds a node parent: descendant', () => {
    expect(named(matchProcess(ENTRIES, [7433, 7417, DAEMON]))).toEqual({
      name: 'fork-app',
      pmId: 0,
      relation: 'descendant',
    });
  });

  it('finds a deeper ancestor: descendant, even under a wrapper', () => {
    expect(named(matchProcess(ENTRIES, [7455, 7434, 7417, DAEMON]))).toEqual({
      name: 'fork-app',
      pmId: 0,
      relation: 'descendant',
    });
    expect(named(matchProcess(ENTRIES, [8000, 7499, 7497, DAEMON]))).toEqual({
      name: 'wrapped-app',
      pmId: 3,
      relation: 'descendant',
    });
  });

  it('prefers the nearest match', () => {
    expect(named(matchProcess(ENTRIES, [7454, 7417]))).toMatchObject({ pmId: 1, relation: 'tracked' });
  });

  it('answers notFound when no pid of the lineage is listed', () => {
    expect(matchProcess(ENTRIES, [1234, 1233, DAEMON])).toEqual({ ok: false, problem: 'notFound' });
    expect(matchProcess([], [7417])).toEqual({ ok: false, problem: 'notFound' });
    expect(matchProcess(ENTRIES, [])).toEqual({ ok: false, problem: 'notFound' });
  });

  it('never matches stopped processes (pid 0) or non-positive lineage pids', () => {
    const stopped = ENTRIES.map((entry) => ({ ...entry, pid: 0 }));
    expect(matchProcess(stopped, [0, -1, 1234])).toEqual({ ok: false, problem: 'notFound' });
  });

  it('answers ambiguous when several entries claim the matching pid', () => {
    const fork = ENTRIES[0] as ProcessEntry;
    const duplicated = [...ENTRIES, { ...fork, pmId: 9, name: 'impostor' }];
    expect(matchProcess(duplicated, [7417, DAEMON])).toEqual({ ok: false, problem: 'ambiguous' });
    expect(matchProcess(duplicated, [7433, 7417, DAEMON])).toEqual({ ok: false, problem: 'ambiguous' });
    // A duplicate further up does not matter when a nearer pid matches uniquely.
    expect(named(matchProcess(duplicated, [7454, 7417]))).toMatchObject({ pmId: 1, relation: 'tracked' });
  });
});
