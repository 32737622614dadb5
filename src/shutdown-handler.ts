/**
 * The shutdown handler: drains on pm2's SIGINT/SIGTERM or `'shutdown'` message. One set of listeners
 * per instance however often it is installed, so one signal is one shutdown: a second one is a second
 * delivery (and exits at once), never an echo of a second installation. Its hooks also join every
 * restart this instance performs itself (`gracefulRestart()`, `restartWhen()`, the operator's
 * restart): an app's goodbye runs on every exit pm2-self performs, once.
 */
import { DEFAULTS, PM2_DEFAULTS } from './common/defaults.js';
import type { Warn } from './common/warnings.js';
import type { IdentityCache } from './identity/identity-cache.js';
import { checkDuration, hookList } from './common/option-checks.js';
import type { ShutdownHandlerOptions } from './options.js';
import type { ProcessPort } from './ports/ports.js';
import type { RestartController } from './restart/controller.js';
import type { ExitHooks } from './restart/controller-context.js';
import { mergeHooks } from './restart/request.js';
import type { ExitHook } from './restart/run-hooks.js';
import { killTimeoutOf, recordTargetOf } from './restart-context.js';

interface Registration {
  readonly hooks: readonly ExitHook[];
  readonly refuseNewTasks: boolean;
  readonly hooksTimeoutMs: number;
  readonly hooksReserveMs: number;
  readonly marginMs: number;
}

/** What the handler works with. */
export interface ShutdownHandlerParts {
  readonly process: Pick<ProcessPort, 'onShutdown'>;
  readonly controller: Pick<RestartController, 'shutdown' | 'tasks'>;
  readonly identities: IdentityCache;
  /** Told of each delivery, before the controller. */
  readonly onSignal?: () => void;
  /** Told when the handler starts listening (true) and when its last installation is removed (false). */
  readonly onInstalled?: (installed: boolean) => void;
  readonly warn: Warn;
}

/** `installShutdownHandler`, and what the instance tells it. */
export interface ShutdownHandler {
  (options?: ShutdownHandlerOptions): () => void;
  /** A task was begun: warns once when pm2's kill_timeout is at its default while the handler is installed. */
  taskBegun(): void;
  /**
   * A self-restart's hooks with the installed handlers' hooks added after its own (each function once)
   * and the largest `hooksTimeoutMs` of both; as they are when none is installed. Read when the hooks
   * start, so a handler installed while the restart waited says goodbye too.
   */
  withHandlerHooks(request: ExitHooks): ExitHooks;
}

/** Returns `installShutdownHandler` for one instance. */
export function createShutdownHandler(parts: ShutdownHandlerParts): ShutdownHandler {
  const registrations = new Set<Registration>();
  let stopListening: (() => void) | undefined;

  const handlerHooks = (): readonly ExitHook[] =>
    [...registrations].reduce<readonly ExitHook[]>((hooks, r) => mergeHooks(hooks, r.hooks), []);
  const handlerHooksTimeoutMs = (): number => Math.max(...[...registrations].map((r) => r.hooksTimeoutMs));

  const withHandlerHooks = (request: ExitHooks): ExitHooks => {
    const hooks = handlerHooks();
    if (hooks.length === 0) return request;
    return {
      ...request,
      hooks: mergeHooks(request.hooks, hooks),
      hooksTimeoutMs: Math.max(request.hooksTimeoutMs, handlerHooksTimeoutMs()),
    };
  };

  const onShutdown = (signal: string) => {
    parts.onSignal?.();
    const all = [...registrations];
    const identity = parts.identities.current;
    const recordAs = identity === undefined ? null : recordTargetOf(identity, identity.settings);
    const marginMs = Math.max(...all.map((r) => r.marginMs));
    parts.controller.shutdown({
      signal,
      budgetMs: Math.max(0, killTimeoutOf(identity) - marginMs),
      refuseNewTasks: all.some((r) => r.refuseNewTasks),
      hooks: handlerHooks(),
      hooksTimeoutMs: handlerHooksTimeoutMs(),
      hooksReserveMs: Math.max(...all.map((r) => r.hooksReserveMs)),
      recordAs,
      fromPm2: recordAs !== null,
    });
  };

  const onOtherListener = (signal: string) =>
    parts.warn(
      'PM2SELF_SHUTDOWN_LISTENER',
      `A ${signal} listener other than pm2-self's is installed (process.on('${signal}', ...)); remove it, or move its work into a beforeExit hook.`,
    );

  const taskBegun = () => {
    const identity = parts.identities.current;
    if (registrations.size === 0 || identity?.settings.killTimeoutMs !== PM2_DEFAULTS.killTimeoutMs) return;
    parts.warn('PM2SELF_KILL_TIMEOUT_DEFAULT', `(app ${identity.name})`);
  };

  const install = (options: ShutdownHandlerOptions = {}): (() => void) => {
    checkDuration('hooksTimeoutMs', options.hooksTimeoutMs);
    checkDuration('marginMs', options.marginMs);
    checkDuration('hooksReserveMs', options.hooksReserveMs);
    const registration: Registration = {
      hooks: hookList(options.beforeExit, 'beforeExit'),
      refuseNewTasks: options.refuseNewTasks === true,
      hooksTimeoutMs: options.hooksTimeoutMs ?? DEFAULTS.hooksTimeoutMs,
      hooksReserveMs: options.hooksReserveMs ?? DEFAULTS.hooksReserveMs,
      marginMs: options.marginMs ?? DEFAULTS.killTimeoutMarginMs,
    };
    registrations.add(registration);
    // Resolve the identity now, so pm2's kill_timeout is known when the signal comes.
    void parts.identities.get().then(
      () => parts.controller.tasks().length > 0 && taskBegun(),
      () => undefined,
    );
    stopListening ??= parts.process.onShutdown(onShutdown, onOtherListener);
    parts.onInstalled?.(true);
    return () => {
      if (!registrations.delete(registration) || registrations.size > 0) return;
      stopListening?.();
      stopListening = undefined;
      parts.onInstalled?.(false);
    };
  };
  return Object.assign(install, { taskBegun, withHandlerHooks });
}
