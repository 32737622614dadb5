/**
 * The shared snapshot stores the daemon's list in pm2's shape with only the keys pm2-self reads:
 * reading it back must give exactly the entries it was made from, and no environment value.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compactProcessList } from '../../src/pm2/compact-list.js';
import { parseName } from '../../src/pm2/parse-values.js';
import { readProcessList, type ProcessEntry } from '../../src/pm2/process-list.js';
import type { RestartSettings } from '../../src/pm2/restart-settings.js';
import { FIXTURE_SECRET, jlistFixture } from '../helpers/fake-ports.js';

const SEED = Number(process.env.FC_SEED ?? 20_261_202);
const FULL = jlistFixture('full.json');

const roundTrip = (entries: readonly ProcessEntry[]) =>
  readProcessList(JSON.parse(JSON.stringify(compactProcessList(entries))));

const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const orNull = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const orUnknown = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.constant('unknown' as const));
/** Names as pm2-self reads them: non-empty, no control characters. */
const name = (maxLength: number) =>
  fc
    .string({ minLength: 1, maxLength: Math.min(maxLength, 24) })
    .filter((s) => parseName(s, maxLength) !== undefined);

// Typed as the entry itself: a field added to ProcessEntry and not generated here fails to compile.
const settingsArb: fc.Arbitrary<RestartSettings> = fc.record({
  autorestart: orUnknown(fc.boolean()),
  stopExitCodes: orUnknown(fc.uniqueArray(fc.integer({ min: -999_999, max: 999_999 }), { maxLength: 4 })),
  minUptimeMs: orUnknown(count),
  maxRestarts: orUnknown(count),
  killTimeoutMs: orUnknown(count),
  restartDelayMs: orUnknown(count),
  expBackoffRestartDelayMs: orUnknown(orNull(count)),
  shutdownWithMessage: orUnknown(fc.boolean()),
  waitReady: orUnknown(fc.boolean()),
});
const entryArb: fc.Arbitrary<ProcessEntry> = fc.record({
  pid: count,
  pmId: count,
  name: name(256),
  namespace: orNull(name(256)),
  execMode: orNull(fc.constantFrom('fork' as const, 'cluster' as const)),
  instance: orNull(count),
  status: name(64),
  restarts: orNull(count),
  unstableRestarts: orNull(count),
  startedAt: orNull(count),
  memoryBytes: orNull(count),
  cpuPercent: orNull(fc.double({ min: 0, max: 6400, noNaN: true })),
  interpreter: orNull(name(4096)),
  settings: settingsArb,
});

describe('compactProcessList', () => {
  it('reads back as the very entries it was made from', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 5 }), (entries) => {
        expect(roundTrip(entries)).toEqual({ ok: true, entries, skipped: 0 });
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('keeps every entry of a real pm2 list, without its environment, at a fraction of its size', () => {
    const reading = readProcessList(JSON.parse(FULL));
    if (!reading.ok) throw new Error('fixture unreadable');
    expect(reading.entries.length).toBeGreaterThan(3);
    expect(roundTrip(reading.entries)).toEqual({ ok: true, entries: reading.entries, skipped: 0 });
    const text = JSON.stringify(compactProcessList(reading.entries));
    expect(FULL).toContain(FIXTURE_SECRET);
    expect(text).not.toContain(FIXTURE_SECRET);
    expect(text).not.toContain('PATH');
    expect(text.length).toBeLessThan(FULL.length / 5);
  });
});
