import { OPERATOR_ACTIONS } from '../operator/action-protocol.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { DeadlinePolicy } from '../restart/machine.js';
import type { RestartOutcome } from '../restart/restart-outcome.js';
import { describeNotExposed, type AppInstance } from './app-instances.js';
import { askInstance, REPLY_TIMEOUT_MS } from './ask-instance.js';
import { restartDroppedOf } from './bus-messages.js';
import type { CliPorts, DaemonLink } from './daemon-link.js';
import { followLook, startFollow } from './rollout-follow.js';

/** How one instance's restart ended. `back` is success; the rest say why not. */
export type InstanceResult =
  | { readonly kind: 'back'; readonly newPid: number; readonly afterMs: number; readonly exposed: boolean }
  | { readonly kind: 'notExposed'; readonly why: string }
  | { readonly kind: 'notOnline'; readonly status: string }
  | { readonly kind: 'gone' }
  | { readonly kind: 'triggerFailed'; readonly why: string }
  | { readonly kind: 'noReply' }
  | { readonly kind: 'invalid'; readonly why: string }
  | { readonly kind: 'refused'; readonly code: string; readonly why: string }
  | { readonly kind: 'dropped'; readonly cause: string; readonly message: string | null }
  | { readonly kind: 'notBack'; readonly status: string }
  | { readonly kind: 'crashed'; readonly why: string }
  | {
      readonly kind: 'timedOut';
      readonly status: string;
      /** The new process seen online; null when the old one had not restarted yet. */
      readonly newPid: number | null;
      /** True when that new process said it is ready (it had not stayed up the settle time). */
      readonly ready: boolean;
      readonly timeoutMs: number;
    };

/** What the instance answered before it went down (restarting, deferred, alreadyPending). */
export type AcceptedOutcome = Exclude<RestartOutcome, { status: 'refused' } | { status: 'cancelled' }>;

/** A restart to ask of each instance. */
export interface RestartAsk {
  readonly reason: string;
  readonly deadlineMs: number | null;
  readonly onDeadline: DeadlinePolicy;
  readonly timeoutMs: number;
  /** How long a ready new process must stay up, unrestarted, to count as back. */
  readonly settleMs: number;
}

/** How often the daemon's list is read while an instance comes back. */
export const POLL_MS = 200;

const sleep = (ports: CliPorts, ms: number) =>
  new Promise<void>((resolve) => ports.clock.setTimeout(resolve, ms));

/**
 * Asks one instance to restart through `pm2-self:restart` and follows it (see rollout-follow.ts) until
 * it is back (a new process, online, exposed again or past a bounded grace, then up and unrestarted
 * for `settleMs`), it crashed or did not come back, the restart is dropped, or `timeoutMs` runs out.
 * `report` hears when it is asked and its answer as soon as it comes.
 */
export async function restartInstance(
  ports: CliPorts,
  link: DaemonLink,
  pmId: number,
  ask: RestartAsk,
  report: {
    asking(instance: AppInstance): void;
    accepted(outcome: AcceptedOutcome): void;
  },
): Promise<InstanceResult> {
  const listed = await link.list();
  if (!listed.ok) return { kind: 'triggerFailed', why: listed.why };
  const instance = listed.value.find((i) => i.entry.pmId === pmId);
  if (instance === undefined) return { kind: 'gone' };
  if (instance.entry.status !== 'online') return { kind: 'notOnline', status: instance.entry.status };
  if (!instance.exposed) return { kind: 'notExposed', why: describeNotExposed(instance) };

  report.asking(instance);
  // Every wait here is on the monotonic clock: a wall clock stepped meanwhile neither times the
  // instance out at once nor an hour late, nor changes its settle time.
  const clockNow = () => monotonicNow(ports.clock);
  const startedAt = clockNow();
  const oldPid = instance.entry.pid;
  const dropWait = link.waitForEvent((message) => restartDroppedOf(message, pmId, oldPid), ask.timeoutMs);
  const { timeoutMs, reason, deadlineMs, onDeadline } = ask;
  const request = { reason, deadlineMs, onDeadline };
  const asked = await askInstance(
    ports,
    link,
    pmId,
    OPERATOR_ACTIONS.restart,
    request,
    Math.min(REPLY_TIMEOUT_MS, timeoutMs),
  );
  if (!asked.ok || asked.value === null || !('outcome' in asked.value)) {
    dropWait.cancel();
    return asked.ok ? { kind: 'noReply' } : { kind: 'triggerFailed', why: asked.why };
  }
  const { outcome } = asked.value;
  if (outcome.status === 'invalid' || outcome.status === 'refused') {
    dropWait.cancel();
    return outcome.status === 'invalid'
      ? { kind: 'invalid', why: outcome.why }
      : { kind: 'refused', code: outcome.code, why: outcome.why };
  }
  if (outcome.status === 'cancelled') {
    dropWait.cancel();
    return { kind: 'dropped', cause: 'cancelled', message: null };
  }
  report.accepted(outcome);

  let dropped: { cause: string; message: string | null } | null = null;
  void dropWait.promise.then((value) => (dropped = value));
  let status = instance.entry.status;
  let follow = startFollow(oldPid, instance.entry.restarts);
  while (clockNow() - startedAt < timeoutMs) {
    await sleep(ports, POLL_MS);
    if (dropped !== null)
      return { kind: 'dropped', ...(dropped as { cause: string; message: string | null }) };
    const now = await link.list();
    if (!now.ok) continue;
    const fresh = now.value.find((i) => i.entry.pmId === pmId);
    if (fresh === undefined) {
      dropWait.cancel();
      return { kind: 'gone' };
    }
    const { entry } = fresh;
    status = entry.status;
    const { exposed, ready } = fresh;
    const seen = { pid: entry.pid, status: entry.status, restarts: entry.restarts, exposed, ready };
    const look = followLook(follow, seen, clockNow(), ask.settleMs);
    follow = look.state;
    const { verdict } = look;
    if (verdict.kind === 'waiting') continue;
    dropWait.cancel();
    if (verdict.kind !== 'back') return verdict;
    return { ...verdict, afterMs: Math.round(clockNow() - startedAt) };
  }
  dropWait.cancel();
  return { kind: 'timedOut', status, newPid: follow.newPid, ready: follow.readySince !== null, timeoutMs };
}
