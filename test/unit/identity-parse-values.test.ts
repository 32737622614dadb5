import { describe, expect, it } from 'vitest';
import {
  parseBoolean,
  parseCount,
  parseDurationMs,
  parseExitCodes,
  parseName,
} from '../../src/pm2/parse-values.js';

describe('parseCount', () => {
  it.each([
    [0, 0],
    [7, 7],
    ['12', 12],
    [' 12\n', 12],
    ['007', 7],
    ['999999999999999', 999999999999999],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])('reads %j as %j', (value, expected) => {
    expect(parseCount(value)).toBe(expected);
  });

  it.each([
    -1,
    1.5,
    Number.NaN,
    Infinity,
    2 ** 53,
    '',
    ' ',
    '-1',
    '+1',
    '1.0',
    '1e3',
    '0x10',
    '1 2',
    '1,2',
    '١٢',
    '1234567890123456',
    null,
    undefined,
    true,
    [1],
    {},
  ])('rejects %j', (value) => {
    expect(parseCount(value)).toBeUndefined();
  });
});

describe('parseDurationMs', () => {
  it.each([
    [1500, 1500],
    ['1500', 1500],
    ['500ms', 500],
    ['2s', 2000],
    ['1.5s', 1500],
    ['2 s', 2000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['0.0004s', 0],
  ])('reads %j as %j', (value, expected) => {
    expect(parseDurationMs(value)).toBe(expected);
  });

  it.each(['2x', 's', '1.5', '-2s', '1d', '2S', '1e3ms', '999999999999h', '', 1.5, -1, null, false, ['2s']])(
    'rejects %j',
    (value) => {
      expect(parseDurationMs(value)).toBeUndefined();
    },
  );
});

describe('parseBoolean', () => {
  it('reads only real booleans and their exact text', () => {
    expect([true, false, 'true', 'false'].map(parseBoolean)).toEqual([true, false, true, false]);
    for (const value of ['TRUE', 'yes', '1', 1, 0, '', ' true', null, undefined])
      expect(parseBoolean(value)).toBeUndefined();
  });
});

describe('parseExitCodes', () => {
  it.each([
    [
      [0, 7],
      [0, 7],
    ],
    [0, [0]],
    ['0', [0]],
    ['0,7', [0, 7]],
    [' 0 , 7 ', [0, 7]],
    ['', []],
    ['  ', []],
    [[], []],
    ['7,7,0', [7, 0]],
    ['-1', [-1]],
    [
      ['0', 7],
      [0, 7],
    ],
  ])('reads %j as %j', (value, expected) => {
    expect(parseExitCodes(value)).toEqual(expected);
  });

  it.each([
    '[object Object]',
    '0,,7',
    '0;7',
    '1.5',
    '1234567',
    'x',
    [0.5],
    [null],
    [[0]],
    null,
    undefined,
    {},
    Number.NaN,
    1.5,
    true,
  ])('rejects %j as a whole', (value) => {
    expect(parseExitCodes(value)).toBeUndefined();
  });
});

describe('parseName', () => {
  it('accepts printable text up to the limit, unicode included', () => {
    expect(parseName('app')).toBe('app');
    expect(parseName('名前 🚀')).toBe('名前 🚀');
    expect(parseName('x'.repeat(256))).toHaveLength(256);
    expect(parseName('abcd', 4)).toBe('abcd');
  });

  it.each([
    '',
    'x'.repeat(257),
    'a\nb',
    'a\tb',
    '\u0000',
    'a\u001b[31m',
    '\u007f',
    1,
    null,
    undefined,
    ['a'],
  ])('rejects %j', (value) => {
    expect(parseName(value)).toBeUndefined();
  });

  it('applies a custom limit', () => {
    expect(parseName('abcde', 4)).toBeUndefined();
  });
});
