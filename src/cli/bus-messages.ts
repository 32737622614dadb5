import { RESTART_DROPPED_EVENT, type OperatorActionName } from '../operator/action-protocol.js';
import type { OperatorReply } from '../operator/operator-target.js';
import type { BusMessage } from '../ports/bus-subscriber.js';
import { isRecord } from '../common/json-values.js';

/** The pm_id and payload of a bus message from an app: `{ process: { pm_id }, data }`. */
function fromApp(
  message: BusMessage,
  event: string,
): { pmId: unknown; data: Record<string, unknown> } | null {
  if (message.event !== event || !isRecord(message.data)) return null;
  const { process, data } = message.data;
  return isRecord(process) && isRecord(data) ? { pmId: process.pm_id, data } : null;
}

/**
 * The reply of `pmId` to `action` carrying `requestId` (an `axm:reply` on the bus), or undefined when
 * `message` is anything else. Pure.
 */
export function operatorReplyOf(
  message: BusMessage,
  pmId: number,
  action: OperatorActionName,
  requestId: string,
): OperatorReply | undefined {
  const reply = fromApp(message, 'axm:reply');
  if (reply === null || reply.pmId !== pmId || reply.data.action_name !== action) return undefined;
  const value = reply.data.return;
  return isRecord(value) && value.requestId === requestId && value.action === action
    ? (value as unknown as OperatorReply)
    : undefined;
}

/** Why a restart the process `pid` of `pmId` accepted was dropped, or undefined for any other message. Pure. */
export function restartDroppedOf(
  message: BusMessage,
  pmId: number,
  pid: number,
): { cause: string; message: string | null } | undefined {
  const dropped = fromApp(message, RESTART_DROPPED_EVENT);
  if (dropped === null || dropped.pmId !== pmId || dropped.data.pid !== pid) return undefined;
  const { cause, message: text } = dropped.data;
  return {
    cause: typeof cause === 'string' ? cause : 'unknown',
    message: typeof text === 'string' ? text : null,
  };
}
