/**
 * One drain in flight, as the controller performs the machine's `drain` effect: what is left of
 * `min_uptime` (a restart only), a turn of the event loop (the caller has its outcome first), then the
 * hooks within their budget. Its handle ends the wait early and stops the hooks (`hurryDrain`, exit).
 */
import { setImmediate } from 'node:timers';
import type { Clock } from '../ports/ports.js';
import { debug } from '../common/debug.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import { cancellableDelay } from './cancellable-delay.js';
import { hooksBudgetMs, minUptimeWaitLeft } from './drain-times.js';
import type { PendingRequest } from './request.js';
import { runHooks, type HookFailure } from './run-hooks.js';

/** The handle of a drain in flight. */
export interface DrainRun {
  /** pm2's stop arrived: ends the `min_uptime` wait now, and stops running hooks in `stopHooksInMs`. */
  hurry(stopHooksInMs: number): void;
  /** Stops running hooks now (the process exits). */
  stop(): void;
}

/** What a drain works with. */
export interface DrainParts {
  readonly clock: Clock;
  /** The pending request now (pm2's stop may turn a restart into a shutdown while it drains). */
  readonly request: () => PendingRequest | null;
  /** True once the process has exited: nothing more starts. */
  readonly exited: () => boolean;
  readonly onHookFailure: (reason: string, failure: HookFailure) => void;
  /** Called once the hooks have run (not after an exit). */
  readonly finished: () => void;
  /** The hooks a restart runs, read when they start (the shutdown handler's join it then). */
  readonly exitHooks?: (
    request: Pick<PendingRequest, 'hooks' | 'hooksTimeoutMs'>,
  ) => Pick<PendingRequest, 'hooks' | 'hooksTimeoutMs'>;
}

/** Starts the drain of `request`; returns its handle. */
export function startDrainRun(parts: DrainParts, request: PendingRequest): DrainRun {
  const { clock } = parts;
  let endWait: (() => void) | undefined;
  let hooksStop: AbortController | undefined;

  const run = async () => {
    const waitMs = minUptimeWaitLeft(request, monotonicNow(clock));
    if (waitMs > 0) {
      debug('restart: waiting %d ms for min_uptime', waitMs);
      const wait = cancellableDelay(clock, waitMs);
      endWait = wait.end;
      await wait.done;
      endWait = undefined;
    }
    // Hooks start on a later turn of the event loop: the caller's `await gracefulRestart()` has
    // resumed (with its outcome) before any hook runs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (parts.exited()) return;
    const pending = parts.request() ?? request;
    const current =
      pending.kind === 'restart' && parts.exitHooks !== undefined
        ? { ...pending, ...parts.exitHooks(pending) }
        : pending;
    hooksStop = new AbortController();
    const onFailure = (failure: HookFailure) => {
      if (!parts.exited()) parts.onHookFailure(current.reason, failure);
    };
    const hookContext = {
      reason: current.reason,
      // Read at each hook's start: a pm2 signal during the hooks turns the restart into a shutdown.
      get kind() {
        return parts.request()?.kind ?? current.kind;
      },
    };
    const budget = hooksBudgetMs(current, monotonicNow(clock));
    await runHooks(current.hooks, hookContext, budget, clock, onFailure, hooksStop.signal);
    hooksStop = undefined;
    parts.finished();
  };
  void run();

  return {
    hurry(stopHooksInMs) {
      endWait?.();
      const stop = hooksStop;
      if (stop !== undefined) clock.setTimeout(() => stop.abort(), stopHooksInMs);
    },
    stop() {
      hooksStop?.abort();
    },
  };
}
