import { createRequire } from 'node:module';
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createAmpDecoder, encodeMessage, DEFAULT_MAX_FRAME_BYTES } from '../../src/ports/amp-codec.js';

// The reference implementation pm2's axon sockets use (pm2/modules/pm2-axon requires it).
const require = createRequire(import.meta.url);
const AmpMessage = require('amp-message') as new (args: unknown[] | Buffer) => {
  args: unknown[];
  toBuffer(): Buffer;
};

/** A value as it comes back after the trip: JSON normalises (e.g. -0 to 0). */
const viaJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

const stringArg = fc.string({ unit: 'grapheme', maxLength: 40 });
const jsonArg = fc.jsonValue({ maxDepth: 3 }).map(viaJson);
// A blob that starts with "s:" or "j:" is read back as a string/JSON by amp-message too: not a blob.
const blobArg = fc
  .uint8Array({ maxLength: 40 })
  .map((bytes) => Buffer.from(bytes))
  .filter((buf) => !((buf[0] === 0x73 || buf[0] === 0x6a) && buf[1] === 0x3a));
const argsArb = fc.array(fc.oneof(stringArg, jsonArg, blobArg), { minLength: 1, maxLength: 15 });

function decodeAll(chunks: Uint8Array[]): unknown[][] {
  const decoder = createAmpDecoder();
  const out: unknown[][] = [];
  for (const chunk of chunks) {
    const result = decoder.push(chunk);
    expect(result.ok).toBe(true);
    out.push(...result.messages);
  }
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

describe('encodeMessage', () => {
  it('produces the documented bytes for an axon-rpc request', () => {
    const buf = encodeMessage([{ type: 'call', method: 'ping', args: [{}] }, '42:0']);
    const json = 'j:{"type":"call","method":"ping","args":[{}]}';
    const expected = Buffer.concat([
      Buffer.from([0x12, 0, 0, 0, json.length]),
      Buffer.from(json),
      Buffer.from([0, 0, 0, 6]),
      Buffer.from('s:42:0'),
    ]);
    expect(buf.equals(expected)).toBe(true);
  });

  it('is byte-identical to amp-message for strings, JSON and blobs', () => {
    fc.assert(
      fc.property(argsArb, (args) => {
        expect(encodeMessage(args).equals(new AmpMessage(args).toBuffer())).toBe(true);
      }),
    );
  });

  it('sends undefined and unrepresentable values as null', () => {
    const [a, b] = decodeAll([encodeMessage([undefined, () => 1])])[0] ?? [];
    expect(a).toBeNull();
    expect(b).toBeNull();
  });

  it('refuses 0 or more than 15 arguments and values JSON cannot encode', () => {
    expect(() => encodeMessage([])).toThrow(RangeError);
    expect(() => encodeMessage(new Array(16).fill(1))).toThrow(RangeError);
    expect(() => encodeMessage([10n])).toThrow(TypeError);
  });
});

describe('createAmpDecoder', () => {
  it('round-trips any message, and reads what amp-message writes', () => {
    fc.assert(
      fc.property(argsArb, (args) => {
        expect(decodeAll([encodeMessage(args)])).toEqual([args]);
        expect(decodeAll([new AmpMessage(args).toBuffer()])).toEqual([args]);
        expect(new AmpMessage(encodeMessage(args)).args).toEqual(args);
      }),
    );
  });

  it('decodes several messages split at arbitrary points', () => {
    fc.assert(
      fc.property(
        fc.array(argsArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map((args) => encodeMessage(args)));
          const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let from = 0;
          for (const point of [...points, stream.length]) {
            chunks.push(stream.subarray(from, point));
            from = point;
          }
          expect(decodeAll(chunks)).toEqual(messages);
        },
      ),
    );
  });

  it('decodes byte by byte and keeps a partial frame buffered', () => {
    const frame = encodeMessage([{ args: [{ msg: 'pong' }] }, '1:2']);
    const decoder = createAmpDecoder();
    for (let i = 0; i < frame.length - 1; i++)
      expect(decoder.push(frame.subarray(i, i + 1))).toEqual({ ok: true, messages: [] });
    expect(decoder.bufferedBytes).toBe(frame.length - 1);
    expect(decoder.push(frame.subarray(frame.length - 1))).toEqual({
      ok: true,
      messages: [[{ args: [{ msg: 'pong' }] }, '1:2']],
    });
  });

  it('decodes several frames in one chunk and an empty chunk', () => {
    const decoder = createAmpDecoder();
    expect(decoder.push(new Uint8Array(0))).toEqual({ ok: true, messages: [] });
    const chunk = Buffer.concat([
      encodeMessage(['a']),
      encodeMessage([1, 'b']),
      encodeMessage([Buffer.from([1, 2])]),
    ]);
    expect(decoder.push(chunk)).toEqual({ ok: true, messages: [['a'], [1, 'b'], [Buffer.from([1, 2])]] });
  });

  it('accepts zero-length arguments (empty blob)', () => {
    expect(decodeAll([Buffer.from([0x12, 0, 0, 0, 0, 0, 0, 0, 0])])).toEqual([
      [Buffer.alloc(0), Buffer.alloc(0)],
    ]);
  });

  it('rejects a frame that is not AMP version 1', () => {
    const result = createAmpDecoder().push(Buffer.from('hello garbage\n'));
    expect(result).toMatchObject({ ok: false, reason: 'badVersion', messages: [] });
    expect(createAmpDecoder().push(Buffer.from([0x02]))).toMatchObject({ ok: false, reason: 'badVersion' });
  });

  it('rejects a frame without arguments', () => {
    expect(createAmpDecoder().push(Buffer.from([0x10]))).toMatchObject({ ok: false, reason: 'noArgs' });
  });

  it('rejects absurd lengths as soon as the length is read, without waiting for the body', () => {
    expect(createAmpDecoder().push(Buffer.from([0x11, 0xff, 0xff, 0xff, 0xff]))).toMatchObject({
      ok: false,
      reason: 'tooLarge',
    });
    const small = createAmpDecoder({ maxFrameBytes: 100 });
    expect(small.push(encodeMessage(['x'.repeat(90)]))).toMatchObject({ ok: true });
    expect(small.push(encodeMessage(['x'.repeat(100)]))).toMatchObject({ ok: false, reason: 'tooLarge' });
    // the limit covers the whole frame, not only one argument
    const two = createAmpDecoder({ maxFrameBytes: 100 });
    expect(two.push(encodeMessage(['x'.repeat(60)]))).toMatchObject({ ok: true });
    expect(two.push(encodeMessage(['x'.repeat(60), 'y'.repeat(60)]))).toMatchObject({
      ok: false,
      reason: 'tooLarge',
    });
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(64 * 1024 * 1024);
  });

  it('rejects a j: argument that is not JSON', () => {
    const bad = Buffer.from('j:{nope');
    const frame = Buffer.concat([Buffer.from([0x11, 0, 0, 0, bad.length]), bad]);
    expect(createAmpDecoder().push(frame)).toMatchObject({ ok: false, reason: 'badJson' });
  });

  it('returns the messages decoded before a failure, then stays failed', () => {
    const decoder = createAmpDecoder();
    const result = decoder.push(Buffer.concat([encodeMessage(['first']), Buffer.from([0xff])]));
    expect(result).toMatchObject({ ok: false, reason: 'badVersion', messages: [['first']] });
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.push(encodeMessage(['later']))).toMatchObject({
      ok: false,
      reason: 'badVersion',
      messages: [],
    });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const decoder = createAmpDecoder({ maxFrameBytes: 1024 });
        for (const chunk of chunks) decoder.push(chunk);
      }),
    );
  });
});
