import type { OperatorActionName } from '../operator/action-protocol.js';
import type { OperatorReply } from '../operator/operator-target.js';
import { operatorReplyOf } from './bus-messages.js';
import type { CliPorts, DaemonLink, LinkResult } from './daemon-link.js';

/** Longest wait for an instance's reply to an operator action (it answers before it drains). */
export const REPLY_TIMEOUT_MS = 10_000;

/**
 * Sends `action` to one pm_id with `param` plus a fresh request id, and waits (at most `timeoutMs`)
 * for that instance's reply on the bus: the reply, null when none came, or why the send failed.
 */
export async function askInstance(
  ports: CliPorts,
  link: DaemonLink,
  pmId: number,
  action: OperatorActionName,
  param: object,
  timeoutMs = REPLY_TIMEOUT_MS,
): Promise<LinkResult<OperatorReply | null>> {
  const requestId = ports.newRequestId();
  const wait = link.waitForEvent((message) => operatorReplyOf(message, pmId, action, requestId), timeoutMs);
  const sent = await link.trigger(pmId, action, { ...param, requestId });
  if (!sent.ok) {
    wait.cancel();
    return sent;
  }
  return { ok: true, value: await wait.promise };
}
