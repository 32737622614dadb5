import type { OperatorReply } from './operator-target.js';

/** Largest reply sent over the IPC channel (its JSON text, in bytes). */
export const MAX_REPLY_BYTES = 64 * 1024;

/**
 * The reply itself when pm2 can carry it, else a small error reply for the same action and request:
 * every action gets exactly one reply, even when the real one holds a BigInt or a cycle, or is huge.
 * Pure.
 */
export function sendableReply(reply: OperatorReply): OperatorReply {
  let text: string | undefined;
  try {
    text = JSON.stringify(reply);
  } catch {
    text = undefined;
  }
  if (text !== undefined && Buffer.byteLength(text, 'utf8') <= MAX_REPLY_BYTES) return reply;
  const { action, pid, requestId } = reply;
  return { action, pid, requestId, error: text === undefined ? 'invalid reply' : 'reply too large' };
}
