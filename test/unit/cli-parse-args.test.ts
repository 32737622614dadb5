/**
 * The `pm2-self` command line, durations, and the 80-column layout: pure functions.
 */
import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/cli/help-text.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { readPackageVersion } from '../../src/cli/package-version.js';
import { formatDuration, parseDuration } from '../../src/cli/parse-duration.js';
import { renderTable, wrap } from '../../src/cli/render-table.js';
import { paint } from '../../src/cli/style.js';

describe('parseArgs', () => {
  it('reads restart with every option, in both spellings', () => {
    expect(
      parseArgs([
        'restart',
        'web',
        '--reason',
        'deploy v2',
        '--deadline=30s',
        '--on-deadline',
        'giveUp',
        '--parallel',
        '2',
        '--timeout',
        '2m',
        '--settle=10s',
        '--pm2-home',
        '/srv/pm2',
      ]),
    ).toEqual({
      kind: 'restart',
      target: 'web',
      reason: 'deploy v2',
      deadlineMs: 30_000,
      onDeadline: 'giveUp',
      parallel: 2,
      timeoutMs: 120_000,
      settleMs: 10_000,
      pm2Home: '/srv/pm2',
    });
  });

  it('fills the defaults of restart, status and cancel', () => {
    expect(parseArgs(['restart', 'all'])).toEqual({
      kind: 'restart',
      target: 'all',
      reason: 'pm2-self restart',
      deadlineMs: null,
      onDeadline: 'force',
      parallel: 1,
      timeoutMs: 120_000,
      settleMs: 5_000,
      pm2Home: null,
    });
    expect(parseArgs(['status'])).toEqual({ kind: 'status', target: null, json: false, pm2Home: null });
    expect(parseArgs(['status', 'web', '--json'])).toEqual({
      kind: 'status',
      target: 'web',
      json: true,
      pm2Home: null,
    });
    expect(parseArgs(['cancel', '3'])).toEqual({ kind: 'cancel', target: '3', pm2Home: null });
  });

  it.each([
    [[], { kind: 'help', topic: null }],
    [['--help'], { kind: 'help', topic: null }],
    [['help', 'restart'], { kind: 'help', topic: 'restart' }],
    [['restart', '--help'], { kind: 'help', topic: 'restart' }],
    [['status', 'web', '-h'], { kind: 'help', topic: 'status' }],
  ])('asks for help: %j', (args, expected) => {
    expect(parseArgs(args)).toEqual(expected);
  });

  it.each([['--version'], ['-v'], ['version']])('asks for the version: %s', (flag) => {
    expect(parseArgs([flag])).toEqual({ kind: 'version' });
  });

  it('reads the version of a package.json text, and refuses text without one', () => {
    expect(
      ['{"name":"pm2-self","version":"0.2.0"}', '{"version":3}', '{}', 'null', 'not json'].map(
        readPackageVersion,
      ),
    ).toEqual(['0.2.0', null, null, null, null]);
  });

  it.each([
    [['reboot'], 'unknown command "reboot"'],
    [['constructor'], 'unknown command "constructor"'],
    [['restart'], 'restart needs an app name, a pm_id or "all"'],
    [['restart', 'web', 'api'], 'unexpected argument "api"'],
    [['restart', 'web', '--deadline', 'soon'], '--deadline: "soon" is not a duration'],
    [['restart', 'web', '--timeout', '0s'], '--timeout: "0s" is not a positive duration'],
    [['restart', 'web', '--settle', 'later'], '--settle: "later" is not a duration'],
    [['restart', 'web', '--parallel', '0'], '--parallel: "0" is not a whole number of at least 1'],
    [['restart', 'web', '--on-deadline', 'wait'], '--on-deadline: "wait" is neither "force" nor "giveUp"'],
    [['restart', 'web', '--reason'], '--reason needs a value'],
    [['status', '--verbose'], 'unknown option --verbose'],
    [['status', '--json=yes'], '--json takes no value'],
    [['cancel'], 'cancel needs an app name, a pm_id or "all"'],
    [['help', 'deploy'], 'no help for "deploy"'],
  ])('refuses %j: %s', (args, message) => {
    expect(parseArgs(args)).toMatchObject({ kind: 'usage', message });
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['45', 45_000],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 's', '-1s', '1d', '1e3', '99999999h'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeNull(),
  );

  it('prints them for people', () => {
    expect([formatDuration(850), formatDuration(4234), formatDuration(125_000)]).toEqual([
      '850 ms',
      '4.2 s',
      '2 min 5 s',
    ]);
  });
});

describe('layout', () => {
  it('every help text fits 80 columns', () => {
    for (const topic of [null, 'status', 'restart', 'cancel'] as const)
      for (const line of helpText(topic).split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('wraps at spaces with an indent, and cuts a word longer than the line', () => {
    expect(wrap('one two three four', 9, 2)).toEqual(['one two', '  three', '  four']);
    expect(wrap('x'.repeat(12), 8)).toEqual(['xxxxxxx~']);
  });

  it('gives the last column what is left of 80, and colours only when asked', () => {
    const lines = renderTable(
      [
        { title: 'a', max: 40 },
        { title: 'b', max: 80 },
      ],
      [[{ text: 'x'.repeat(40) }, { text: 'y'.repeat(60), style: 'red' }]],
      false,
    );
    expect(lines[1]).toBe(`${'x'.repeat(40)}  ${'y'.repeat(37)}~`);
    expect(lines[1]?.length).toBe(80);
    expect(paint('ok', 'green', false)).toBe('ok');
    expect(paint('ok', 'green', true)).toBe('\u001B[32mok\u001B[39m');
  });
});
