import type { ManagedIdentity, NameSource } from '../identity/identity.js';
import type { RestartSettings } from '../pm2/restart-settings.js';
import type { Pm2Info, SelfFacts, StoreUse } from './info.js';

/** What the daemon last said of this process: its settings and restart counters. */
export interface DaemonSaid {
  readonly settings: RestartSettings;
  readonly restarts: number | null;
  readonly unstableRestarts: number | null;
}

/**
 * The parts of a local answer that stay the same from one call to the next while nothing changed: what
 * the daemon last said (settings, counters), where each group of values came from, and the heartbeat's
 * outcome.
 */
export interface LocalParts {
  readonly settings: RestartSettings;
  readonly restarts: number | null;
  readonly unstableRestarts: number | null;
  readonly sources: Pm2Info['sources'];
  readonly daemon: Pm2Info['daemon'];
}

/**
 * The {@link LocalParts} of a local answer, frozen, so that answers built until the next heartbeat can
 * share them. Settings and counters are the daemon's: from its answer that confirmed this process online
 * (settings complete where the env is not), or a later one (counters after `pm2 reset`, which no signal
 * tells). Pure.
 */
export function localParts(
  identity: ManagedIdentity,
  name: { source: NameSource },
  said: DaemonSaid,
  heartbeatAt: number,
  store: StoreUse,
): LocalParts {
  const { settings } = said;
  if (Array.isArray(settings.stopExitCodes)) Object.freeze(settings.stopExitCodes);
  return Object.freeze({
    settings: Object.freeze(settings),
    restarts: said.restarts,
    unstableRestarts: said.unstableRestarts,
    sources: Object.freeze({
      name: name.source,
      identity: identity.source,
      counters: 'daemon',
      metrics: 'process',
      settings: identity.settingsOrigin,
      status: 'local',
    } as const),
    daemon: Object.freeze({ ok: true, via: 'heartbeat', at: heartbeatAt, store } as const),
  });
}

/**
 * A live answer built by this process itself, without asking the daemon: it runs (so `online`, as the
 * daemon once confirmed), its pm_id and start time arrived in its environment at spawn (uptime counts
 * from pm2's spawn time, as the daemon's does), its counters are the daemon's last. Memory is its own; `cpuPercent`,
 * which only the daemon measures, is null. The caller vouches that no signal of pm2 has come since and
 * that the heartbeat in `parts` is recent. Pure; the answer is frozen (its parts already are).
 */
export function buildLocalInfo(
  identity: ManagedIdentity,
  name: { value: string; source: NameSource },
  self: SelfFacts,
  parts: LocalParts,
  now: number,
): Pm2Info {
  // As the daemon counts it for the process it tracks: since pm2 spawned it.
  const spawnedAt = identity.relation === 'tracked' ? identity.startedAt : null;
  return Object.freeze({
    name: name.value,
    pmId: identity.pmId,
    pid: self.pid,
    trackedPid: identity.trackedPid,
    relation: identity.relation,
    instance: identity.instance,
    namespace: identity.namespace,
    execMode: identity.execMode,
    status: 'online',
    restarts: parts.restarts,
    unstableRestarts: parts.unstableRestarts,
    uptimeMs: spawnedAt === null ? self.uptimeMs : Math.max(0, now - spawnedAt),
    memoryBytes: self.memoryBytes,
    cpuPercent: null,
    settings: parts.settings,
    sources: parts.sources,
    daemon: parts.daemon,
  });
}
