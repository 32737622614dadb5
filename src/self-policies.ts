/**
 * `restartWhen()` and `getHealth()` of one pm2-self instance: wires the memory and uptime policy and
 * the health check to the restart controller, and keeps what the health check has shown so far.
 */
import { DEFAULTS, PM2_DEFAULTS } from './common/defaults.js';
import type { DaemonQuery } from './daemon/daemon-query.js';
import type { Pm2HomePaths } from './daemon/pm2-home.js';
import type { RestartSettings } from './pm2/restart-settings.js';
import type { IdentityCache } from './identity/identity-cache.js';
import type { ManagedIdentity } from './identity/identity.js';
import { normalizeRestartOptions, type RestartPolicy } from './options.js';
import { NO_CHECK_YET, planHealth, type HealthWatch } from './policy/health-check.js';
import type { HealthSnapshot } from './policy/health-snapshot.js';
import { hasLimits, planPolicy } from './policy/restart-policy.js';
import { watchPolicy } from './policy/restart-when.js';
import { watchHealth } from './policy/watch-health.js';
import { startWatchdog, type Watchdog } from './policy/watchdog.js';
import { watchdogEnd } from './policy/watchdog-end.js';
import type { WatchdogTarget } from './policy/watchdog-source.js';
import type { Ports } from './ports/ports.js';
import { entryOf, killTimeoutOf, recordTargetOf } from './restart-context.js';
import { restartRecordPath } from './restart/restart-record.js';
import type { RestartController, RestartOutcome } from './restart/controller.js';
import type { RequestOptions } from './restart/request.js';
import { createEventHub, type EventHub } from './restart/events.js';

/** The watchdog's target for a tracked identity; null for any other (the watchdog then only reports). */
export function watchdogTargetOf(
  identity: ManagedIdentity,
  settings: RestartSettings,
  pid: number,
  paths: Pm2HomePaths,
): WatchdogTarget | null {
  const target = recordTargetOf(identity, settings);
  if (target === null) return null;
  const end = watchdogEnd(settings);
  return {
    end,
    pmId: identity.pmId,
    rpcSocket: paths.rpcSocket,
    fallbackAfterMs: killTimeoutOf(identity) + DEFAULTS.daemonRestartGraceMs,
    recordFile: restartRecordPath(paths.recordDir, identity.pmId),
    lifetimeMs: target.lifetimeMs,
    record: {
      initiator: 'self',
      signal: null,
      name: target.name,
      namespace: target.namespace,
      pmId: target.pmId,
      previousPid: pid,
      previousRestarts: target.restarts,
      strategy: end === 'kill' ? 'exit' : 'daemon',
    },
  };
}

/** pm2's `min_uptime` for this app, or its default before the identity is known or when unknown. */
function minUptimeOf(identity: ManagedIdentity | undefined): number {
  const known = identity?.settings.minUptimeMs;
  return typeof known === 'number' ? known : PM2_DEFAULTS.minUptimeMs;
}

/** What {@link createSelfPolicies} wires together. */
export interface SelfPoliciesParts {
  readonly ports: Ports;
  readonly controller: RestartController;
  readonly identities: IdentityCache;
  readonly paths: Pm2HomePaths;
  readonly daemon: DaemonQuery;
  /** Asks the controller for a restart, with the shutdown handler's hooks added. */
  readonly requestRestart: (request: RequestOptions) => Promise<RestartOutcome>;
}

/** The policies of one instance. */
export interface SelfPolicies {
  restartWhen(policy: RestartPolicy): () => void;
  getHealth(): HealthSnapshot;
  /** The hub of the health events (`unhealthy`, `healthy`). */
  readonly events: EventHub;
}

/** Creates the policies of one instance. */
export function createSelfPolicies(parts: SelfPoliciesParts): SelfPolicies {
  const { ports, controller, identities, paths, daemon } = parts;
  const events = createEventHub();
  let health: HealthWatch = NO_CHECK_YET;
  let checks = 0;
  let loopDelayMs: number | null = null;
  let watchdog: { readonly limitMs: number; readonly running: Watchdog } | null = null;

  const startWatching = (limitMs: number): (() => void) => {
    const running = startWatchdog(limitMs, () => controller.state.tasks);
    const mine = { limitMs, running };
    watchdog = mine;
    // First from the env's settings (unknown stop codes: the daemon restarts it), then from the
    // daemon's own settings when it answers (a SIGKILL is enough when pm2 restarts a signal death).
    void identities.get().then(async (identity) => {
      if (!identity.managed) return;
      const target = (settings: RestartSettings) =>
        watchdogTargetOf(identity, settings, ports.process.pid, paths);
      const fromEnv = target(identity.settings);
      if (fromEnv === null) return;
      running.setTarget(fromEnv);
      const live = entryOf(identity, await daemon.list({}));
      const fromDaemon = 'entry' in live && live.entry !== null ? target(live.entry.settings) : null;
      if (fromDaemon !== null) running.setTarget(fromDaemon);
    });
    return () => {
      running.stop();
      if (watchdog === mine) watchdog = null;
    };
  };

  const restartWhen = (policy: RestartPolicy): (() => void) => {
    const plan = planPolicy(policy, Math.random);
    const healthPlan = planHealth(policy, plan.checkEveryMs, plan.jitterMs);
    const restartOptions = normalizeRestartOptions({
      deadlineMs: policy.deadlineMs,
      onDeadline: policy.onDeadline,
      refuseNewTasks: policy.refuseNewTasks,
      beforeExit: policy.beforeExit,
      hooksTimeoutMs: policy.hooksTimeoutMs,
    });
    void identities.get();
    const common = {
      clock: ports.clock,
      uptimeSeconds: () => ports.process.uptimeSeconds(),
      minUptimeMs: () => minUptimeOf(identities.current),
      hasPendingRestart: () => controller.state.phase !== 'idle',
      restart: (reason: string) => parts.requestRestart({ ...restartOptions, reason }),
    };
    const stops: Array<() => void> = [];
    if (policy.eventLoopBlockedForMs !== undefined) stops.push(startWatching(policy.eventLoopBlockedForMs));
    if (hasLimits(plan)) {
      stops.push(
        watchPolicy(plan, {
          ...common,
          residentMemoryBytes: () => ports.process.residentMemoryBytes(),
          heapUsedBytes: () => ports.process.heapUsedBytes(),
        }),
      );
    }
    if (healthPlan !== null) {
      checks += 1;
      stops.push(
        watchHealth(healthPlan, {
          ...common,
          update(watch, change, lateMs, failedForMs) {
            health = watch;
            loopDelayMs = lateMs;
            const at = watch.lastCheckAt ?? ports.clock.now();
            if (change === 'unhealthy')
              events.emit('unhealthy', { type: 'unhealthy', error: watch.lastError ?? '', at });
            if (change === 'healthy')
              events.emit('healthy', { type: 'healthy', failedForMs: failedForMs ?? 0, at });
          },
        }),
      );
      stops.push(() => (checks -= 1));
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      for (const stop of stops) stop();
    };
  };

  return {
    restartWhen,
    getHealth: () => ({
      checking: checks > 0,
      lastCheckAt: health.lastCheckAt,
      lastOk: health.lastOk,
      failingSince: health.failingSince,
      lastError: health.lastError,
      eventLoopBlockedForMs: watchdog?.limitMs ?? null,
      loopDelayMs: watchdog?.running.loopDelayMs() ?? loopDelayMs,
    }),
    events,
  };
}
