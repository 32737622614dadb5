/**
 * pm2's action protocol as exposeToPm2() reads it: the messages the daemon delivers and the
 * parameter an operator passes. Pure functions, table-driven.
 */
import { describe, expect, it } from 'vitest';
import {
  parseRequestId,
  parseRestartParameter,
  readActionMessage,
  requestIdOf,
} from '../../src/operator/action-protocol.js';

describe('readActionMessage', () => {
  it.each([
    [
      'the bare name (pm2 trigger without a parameter)',
      'pm2-self:restart',
      { action: 'pm2-self:restart', param: undefined },
    ],
    [
      'the object form with a parameter',
      { id: 3, msg: 'pm2-self:cancel', opts: '{"requestId":"a"}' },
      { action: 'pm2-self:cancel', param: '{"requestId":"a"}' },
    ],
    [
      'the object form with a null parameter',
      { msg: 'pm2-self:status', opts: null },
      { action: 'pm2-self:status', param: undefined },
    ],
  ])('reads %s', (_, message, expected) => {
    expect(readActionMessage(message)).toEqual(expected);
  });

  it.each([
    ['pm2 shutdown message', 'shutdown'],
    ['another action', 'graceful-restart'],
    ['another action, object form', { msg: 'km:heapdump', opts: {} }],
    ['a log reload', { type: 'log:reload' }],
    ['a data packet', { type: 'process:msg', data: { msg: 'pm2-self:restart' } }],
    ['a prefix only', 'pm2-self:'],
    ['null', null],
    ['a number', 42],
    ['an inherited name', { msg: 'toString' }],
  ])('ignores %s', (_, message) => {
    expect(readActionMessage(message)).toBeNull();
  });
});

describe('parseRestartParameter', () => {
  const defaults = { reason: 'pm2 trigger', deadlineMs: null, onDeadline: 'force', requestId: null };

  it.each([
    ['no parameter', undefined, defaults],
    ['an empty text', '  ', defaults],
    ['a plain reason', 'deploy v2', { ...defaults, reason: 'deploy v2' }],
    ['a plain reason that mentions braces later', 'deploy {v2}', { ...defaults, reason: 'deploy {v2}' }],
    ['a plain reason in brackets', '[hotfix] pool', { ...defaults, reason: '[hotfix] pool' }],
    [
      'the JSON object',
      '{"reason":"deploy","deadlineMs":30000,"onDeadline":"giveUp","requestId":"r1"}',
      { reason: 'deploy', deadlineMs: 30000, onDeadline: 'giveUp', requestId: 'r1' },
    ],
    ['a JSON object with a null deadline', '{"deadlineMs":null}', defaults],
    ['an object already parsed (API callers)', { reason: 'api' }, { ...defaults, reason: 'api' }],
  ])('accepts %s', (_, param, expected) => {
    expect(parseRestartParameter(param)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['broken JSON', '{"reason":', 'is not a JSON object'],
    ['an array (API callers)', [1], 'must be text or a JSON object'],
    ['an unknown key', '{"deadline":30}', 'unknown key "deadline"'],
    ['an empty reason', '{"reason":""}', '"reason" must be'],
    [
      'a negative deadline',
      '{"deadlineMs":-1}',
      '"deadlineMs" must be a number of milliseconds from 0 to 2147483647, or null',
    ],
    ['a deadline past the longest timer', '{"deadlineMs":2147483648}', 'from 0 to 2147483647'],
    ['a deadline as text', '{"deadlineMs":"30s"}', '"deadlineMs" must be'],
    ['an unknown policy', '{"onDeadline":"wait"}', '"onDeadline" must be'],
    ['an overlong request id', `{"requestId":"${'x'.repeat(129)}"}`, '"requestId" must be'],
    ['a reason over 1024 characters', 'x'.repeat(1025), 'longer than 1024'],
    ['a number', 42, 'must be text or a JSON object'],
    ['a JSON array as text (issue 19 review B6)', '[]', 'the parameter is a JSON array'],
    ['a JSON array of strings as text', ' ["deploy"] ', 'the parameter is a JSON array'],
  ])('refuses %s, saying why', (_, param, why) => {
    const read = parseRestartParameter(param);
    expect(read.ok).toBe(false);
    expect(read.ok ? '' : read.why).toContain(why);
  });
});

describe('parseRequestId and requestIdOf', () => {
  it('reads an optional request id, ignores plain text, refuses other keys', () => {
    expect(parseRequestId(undefined)).toEqual({ ok: true, value: null });
    expect(parseRequestId('anything')).toEqual({ ok: true, value: null });
    expect(parseRequestId('{"requestId":"r2"}')).toEqual({ ok: true, value: 'r2' });
    expect(parseRequestId('{"reason":"x"}')).toMatchObject({ ok: false });
  });

  it('finds the request id of a refused parameter, so the refusal reaches its caller', () => {
    expect(requestIdOf('{"requestId":"r3","deadline":30}')).toBe('r3');
    expect(requestIdOf('{"reason":')).toBeNull();
    expect(requestIdOf('plain')).toBeNull();
  });
});
