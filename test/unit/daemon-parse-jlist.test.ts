import { describe, expect, it } from 'vitest';
import { parseJlistOutput, readProcessList, type ProcessEntry } from '../../src/pm2/process-list.js';
import { FIXTURE_SECRET, jlistFixture } from '../helpers/fake-ports.js';
import { PM2_DEFAULT_SETTINGS } from '../helpers/expected-settings.js';

const FULL = jlistFixture('full.json');

function entriesOf(text: string): readonly ProcessEntry[] {
  const reading = parseJlistOutput(text);
  if (!reading.ok) throw new Error(`expected a list, got ${reading.problem}`);
  return reading.entries;
}

/** Every string anywhere inside a JSON value. */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out);
  else if (typeof value === 'object' && value !== null)
    for (const item of Object.values(value)) stringsIn(item, out);
  return out;
}

describe('parseJlistOutput over recorded pm2 output', () => {
  it('reads the six processes of full.json', () => {
    const reading = parseJlistOutput(FULL);
    expect(reading).toMatchObject({ ok: true, skipped: 0 });
    const entries = entriesOf(FULL);
    expect(
      entries.map((e) => [e.pid, e.pmId, e.name, e.execMode, e.instance, e.status, e.interpreter]),
    ).toEqual([
      [7417, 0, 'fork-app', 'fork', 0, 'online', 'node'],
      [7454, 1, 'cluster-app', 'cluster', 0, 'online', 'node'],
      [7468, 2, 'cluster-app', 'cluster', 1, 'online', 'node'],
      [7497, 3, 'wrapped-app', 'fork', 0, 'online', 'bash'],
      [7513, 4, 'eco-fork', 'fork', 0, 'online', 'node'],
      [7514, 5, 'eco-cluster', 'cluster', 0, 'online', 'node'],
    ]);
  });

  it('reads counters, metrics and namespace', () => {
    const [fork, cluster0] = entriesOf(FULL);
    expect(fork).toMatchObject({
      namespace: 'default',
      restarts: 0,
      unstableRestarts: 0,
      startedAt: 1795592714362,
      memoryBytes: 54136832,
      cpuPercent: 0,
    });
    expect(cluster0).toMatchObject({ memoryBytes: 54992896, cpuPercent: 1.4, startedAt: 1795592714784 });
  });

  it('reads default settings for apps started without options', () => {
    const fork = entriesOf(FULL)[0];
    expect(fork?.settings).toEqual(PM2_DEFAULT_SETTINGS);
  });

  it.each(['eco-fork', 'eco-cluster'])('reads the ecosystem settings of %s from the daemon', (name) => {
    const entry = entriesOf(FULL).find((e) => e.name === name);
    expect(entry?.settings).toEqual({
      autorestart: false,
      stopExitCodes: [0, 7],
      minUptimeMs: 2000,
      maxRestarts: 5,
      killTimeoutMs: 3000,
      restartDelayMs: 100,
      expBackoffRestartDelayMs: null,
      shutdownWithMessage: false,
      waitReady: false,
    });
  });

  it.each(['banner-prefixed.txt', 'banner-prefixed-plain.txt', 'out-of-date.txt', 'out-of-date-plain.txt'])(
    'skips the text pm2 prints before the JSON in %s',
    (file) => {
      expect(parseJlistOutput(jlistFixture(file))).toEqual(parseJlistOutput(FULL));
    },
  );

  it('tolerates a trailing newline and CRLF line ends before the JSON', () => {
    expect(parseJlistOutput(`${FULL}\n`)).toEqual(parseJlistOutput(FULL));
    expect(parseJlistOutput(`[PM2] notice\r\n${FULL}`)).toEqual(parseJlistOutput(FULL));
  });

  it.each([
    ['malformed-truncated.txt', 'invalidJson'],
    ['malformed-not-array.txt', 'notAList'],
    ['empty.txt', 'empty'],
  ])('reports %s as %s', (file, problem) => {
    expect(parseJlistOutput(jlistFixture(file))).toEqual({ ok: false, problem });
  });

  it('reads an empty list as a list', () => {
    expect(parseJlistOutput(jlistFixture('empty-list.json'))).toEqual({ ok: true, entries: [], skipped: 0 });
  });

  it('reports text without JSON as noJson and whitespace as empty', () => {
    expect(parseJlistOutput('[PM2] Spawning PM2 daemon\n')).toEqual({ ok: false, problem: 'invalidJson' });
    expect(parseJlistOutput('PM2 is out-of-date\n')).toEqual({ ok: false, problem: 'noJson' });
    expect(parseJlistOutput(' \n\t ')).toEqual({ ok: false, problem: 'empty' });
    expect(parseJlistOutput('"a string"')).toEqual({ ok: false, problem: 'notAList' });
  });

  it('never copies an environment value into the entries', () => {
    const raw = JSON.parse(FULL) as Array<{ pm2_env: unknown }>;
    const entries = entriesOf(FULL);
    const json = JSON.stringify(entries);
    // Values the entries carry legitimately (name, namespace, status, interpreter), and JSON literals.
    const allowed = new Set([
      'true',
      'false',
      ...entries.flatMap((e) => [e.name, e.namespace ?? '', e.status, e.interpreter ?? '']),
    ]);
    const values = new Set(
      raw
        .flatMap((entry) => stringsIn(entry.pm2_env))
        .filter((value) => value.length > 3 && !allowed.has(value)),
    );
    expect(values.size).toBeGreaterThan(20);
    expect(values).toContain(FIXTURE_SECRET);
    for (const value of values) expect(json, value).not.toContain(value);
    expect(json).not.toContain('/tmp/');
    expect(json).not.toContain('SECRET_TOKEN');
  });
});

describe('readProcessList', () => {
  const good = { pid: 10, name: 'a', pm_id: 0, monit: { memory: 1, cpu: 2 }, pm2_env: { status: 'online' } };

  it('skips and counts entries without a usable pid, pm_id, name or status', () => {
    const reading = readProcessList([
      good,
      null,
      'x',
      { ...good, pid: -1 },
      { ...good, pid: 1.5 },
      { ...good, pid: '10' },
      { ...good, pm_id: 2 ** 60 },
      { ...good, name: '' },
      { ...good, name: 'a\u0000b' },
      { ...good, pm2_env: { status: 7 } },
      { ...good, pm2_env: null },
      { ...good, pm2_env: [] },
    ]);
    expect(reading.ok && reading.entries.length).toBe(2);
    expect(reading.ok && reading.skipped).toBe(10);
  });

  it('keeps a stopped process (pid 0) and unicode names; drops bad metrics to null', () => {
    const reading = readProcessList([
      { ...good, pid: 0, name: 'añ-🚀', monit: { memory: -1, cpu: Number.NaN } },
      { ...good, monit: 'x' },
    ]);
    expect(reading.ok && reading.entries.map((e) => [e.pid, e.name, e.memoryBytes, e.cpuPercent])).toEqual([
      [0, 'añ-🚀', null, null],
      [10, 'a', null, null],
    ]);
  });

  it('keeps duplicate pids (matching decides what they mean)', () => {
    const reading = readProcessList([good, { ...good, pm_id: 1 }]);
    expect(reading.ok && reading.entries.map((e) => e.pmId)).toEqual([0, 1]);
  });

  it('answers notAList for anything but an array', () => {
    for (const value of [null, undefined, {}, 'x', 3, { length: 1, 0: good }])
      expect(readProcessList(value)).toEqual({ ok: false, problem: 'notAList' });
  });

  it('reads the instance from the variable named by instance_var', () => {
    const reading = readProcessList([
      { ...good, pm2_env: { status: 'online', instance_var: 'WORKER', WORKER: 3, NODE_APP_INSTANCE: 9 } },
    ]);
    expect(reading.ok && reading.entries[0]?.instance).toBe(3);
  });
});
