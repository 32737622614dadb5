import type { ManagedIdentity, NameSource } from '../identity/identity.js';
import type { Pm2Info, SelfFacts } from './info.js';

/**
 * A live answer built by this process itself, without asking the daemon: it runs (so `online`, as the
 * daemon once confirmed), and its pm_id, restart counts, start time and settings arrived in its
 * environment at spawn (the caller passes the settings the daemon gave; uptime counts from pm2's spawn time, as the daemon's does). Memory is its own;
 * `cpuPercent`, which only the daemon measures, is null. The
 * caller vouches that no signal of pm2 has come since and that `heartbeatAt` is recent. Pure.
 */
export function buildLocalInfo(
  identity: ManagedIdentity,
  name: { value: string; source: NameSource },
  self: SelfFacts,
  heartbeatAt: number,
  now: number,
): Pm2Info {
  // As the daemon counts it for the process it tracks: since pm2 spawned it.
  const spawnedAt = identity.relation === 'tracked' ? identity.startedAt : null;
  return {
    name: name.value,
    pmId: identity.pmId,
    pid: self.pid,
    trackedPid: identity.trackedPid,
    relation: identity.relation,
    instance: identity.instance,
    namespace: identity.namespace,
    execMode: identity.execMode,
    status: 'online',
    restarts: identity.restarts,
    unstableRestarts: identity.unstableRestarts,
    uptimeMs: spawnedAt === null ? self.uptimeMs : Math.max(0, now - spawnedAt),
    memoryBytes: self.memoryBytes,
    cpuPercent: null,
    settings: identity.settings,
    sources: {
      name: name.source,
      identity: identity.source,
      counters: identity.source,
      metrics: 'process',
      settings: identity.settingsOrigin,
      status: 'local',
    },
    daemon: { ok: true, via: 'heartbeat', at: heartbeatAt },
  };
}
