/**
 * AMP framing as spoken by pm2's bundled axon sockets (`amp` 0.3.1 + `amp-message` 0.1.2).
 * A frame is one meta byte `(version << 4) | argc` (version 1, argc 1..15), then per argument a
 * uint32 big-endian length and that many bytes. `amp-message` prefixes strings with `s:` and JSON with
 * `j:`; any other argument is an opaque blob. Pure: no I/O, nothing here throws from `push`.
 * @module
 */

const VERSION = 1;
/** Largest frame (header included) a decoder accepts unless told otherwise: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Why a decoder gave up. After a failure the decoder stays failed: close the connection. */
export type AmpDecodeFailureReason = 'badVersion' | 'noArgs' | 'tooLarge' | 'badJson';

/** What one {@link AmpDecoder.push} produced: the complete messages, and a failure if one occurred. */
export type AmpDecodeResult =
  | { ok: true; messages: unknown[][] }
  | { ok: false; messages: unknown[][]; reason: AmpDecodeFailureReason; message: string };

/** A streaming decoder for one connection: feed it every chunk, in order. */
export interface AmpDecoder {
  /** Adds `chunk`; returns every message completed by it (several, or none while a frame is partial). */
  push(chunk: Uint8Array): AmpDecodeResult;
  /** Bytes held for a frame that is not complete yet. */
  readonly bufferedBytes: number;
}

/**
 * Encodes one AMP message exactly like `amp-message`'s `toBuffer()`: a Buffer argument is sent as is, a
 * string as `s:<utf8>`, anything else as `j:<JSON>` (`undefined`, and values JSON cannot represent such as
 * functions, become `null`; `amp-message` would send the invalid `j:undefined` for a function).
 * @throws RangeError when `args` has fewer than 1 or more than 15 entries; TypeError when JSON.stringify
 * throws (BigInt, cyclic structure).
 */
export function encodeMessage(args: readonly unknown[]): Buffer {
  if (args.length < 1 || args.length > 15)
    throw new RangeError(`AMP carries 1..15 arguments, got ${args.length}`);
  const parts = args.map((arg) => {
    if (Buffer.isBuffer(arg)) return arg;
    if (typeof arg === 'string') return Buffer.from(`s:${arg}`, 'utf8');
    return Buffer.from(`j:${JSON.stringify(arg) ?? 'null'}`, 'utf8');
  });
  const out = Buffer.allocUnsafe(1 + parts.reduce((sum, part) => sum + 4 + part.length, 0));
  out[0] = (VERSION << 4) | parts.length;
  let offset = 1;
  for (const part of parts) {
    offset = out.writeUInt32BE(part.length, offset);
    offset += part.copy(out, offset);
  }
  return out;
}

/** Unpacks one argument the way `amp-message` does; JSON that does not parse is a failure, not a throw. */
function unpack(arg: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (arg[0] === 0x73 && arg[1] === 0x3a) return { ok: true, value: arg.toString('utf8', 2) }; // "s:"
  if (arg[0] !== 0x6a || arg[1] !== 0x3a) return { ok: true, value: arg }; // not "j:": a blob
  try {
    return { ok: true, value: JSON.parse(arg.toString('utf8', 2)) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * Creates a streaming decoder. Frames may be split across chunks and a chunk may hold several frames.
 * A frame whose meta byte does not say version 1, that has no arguments, that would exceed
 * `maxFrameBytes`, or whose `j:` argument is not JSON makes the decoder fail with a typed reason.
 */
export function createAmpDecoder(options: { maxFrameBytes?: number } = {}): AmpDecoder {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  let chunks: Buffer[] = [];
  let buffered = 0;
  let needed = 1; // do not look at the buffer again before this many bytes are there
  let failure: { reason: AmpDecodeFailureReason; message: string } | null = null;

  const fail = (messages: unknown[][], reason: AmpDecodeFailureReason, message: string): AmpDecodeResult => {
    failure = { reason, message };
    chunks = [];
    buffered = 0;
    return { ok: false, messages, reason, message };
  };

  const push = (chunk: Uint8Array): AmpDecodeResult => {
    const messages: unknown[][] = [];
    if (failure) return { ok: false, messages, ...failure };
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    buffered += chunk.byteLength;
    while (buffered >= needed) {
      const buf = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, buffered);
      chunks = [buf];
      const meta = buf[0] as number;
      if (meta >> 4 !== VERSION)
        return fail(messages, 'badVersion', `AMP meta byte 0x${meta.toString(16)} is not version ${VERSION}`);
      const argc = meta & 0xf;
      if (argc === 0) return fail(messages, 'noArgs', 'AMP frame with no arguments');
      // Walk the argument headers present so far: each one needs 4 length bytes, then its body.
      let end = 1;
      let complete = true;
      for (let i = 0; i < argc; i++) {
        if (buffered < end + 4) {
          needed = end + 4;
          complete = false;
          break;
        }
        end += 4 + buf.readUInt32BE(end);
        if (end > maxFrameBytes)
          return fail(messages, 'tooLarge', `AMP frame larger than ${maxFrameBytes} bytes`);
        if (buffered < end) {
          needed = end;
          complete = false;
          break;
        }
      }
      if (!complete) break;
      const args: unknown[] = [];
      for (let off = 1; off < end;) {
        const len = buf.readUInt32BE(off);
        const arg = unpack(buf.subarray(off + 4, off + 4 + len));
        if (!arg.ok) return fail(messages, 'badJson', `AMP argument ${args.length} is not valid JSON`);
        args.push(arg.value);
        off += 4 + len;
      }
      messages.push(args);
      chunks = end < buffered ? [buf.subarray(end)] : [];
      buffered -= end;
      needed = 1;
    }
    return { ok: true, messages };
  };

  return {
    push,
    get bufferedBytes() {
      return buffered;
    },
  };
}
