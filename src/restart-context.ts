/**
 * The restart controller's side of the world, wired from the identity cache, the daemon query and the
 * ports: how a restart is planned, re-checked before the exit, and recorded for the next generation.
 */
import { DEFAULTS, PM2_DEFAULTS } from './common/defaults.js';
import type { DaemonListResult, DaemonQuery } from './daemon/daemon-query.js';
import type { Pm2HomePaths } from './daemon/pm2-home.js';
import type { IdentityCache } from './identity/identity-cache.js';
import type { ManagedIdentity } from './identity/identity.js';
import { isTrackedByPm2 } from './identity/relation.js';
import type { ProcessEntry } from './pm2/process-list.js';
import type { RestartSettings } from './pm2/restart-settings.js';
import type { Ports } from './ports/ports.js';
import type { ControllerContext } from './restart/controller.js';
import type { RestartMachine } from './restart/machine.js';
import { planRestart } from './restart/plan-restart.js';
import { instancesOf } from './restart/turn-lease.js';
import { createTurns } from './restart/turns.js';
import {
  recordLifetimeMs,
  restartRecordPath,
  staleTemporaryFiles,
  type RecordTarget,
} from './restart/restart-record.js';

/** This process's entry in a daemon list, or why there is no list. */
export type LiveEntry =
  | { readonly entry: ProcessEntry | null; readonly via: 'rpc' | 'cli'; readonly at: number }
  | { readonly problem: Extract<DaemonListResult, { ok: false }>['problem'] };

/**
 * This process's entry in the daemon's list, matched on the tracked pid too: during a cluster reload
 * the pm_id's entry already shows the NEW worker.
 */
export function entryOf(identity: ManagedIdentity, list: DaemonListResult): LiveEntry {
  if (!list.ok) return { problem: list.problem };
  const matches = (entry: ProcessEntry) => entry.pmId === identity.pmId && entry.pid === identity.trackedPid;
  return { entry: list.entries.find(matches) ?? null, via: list.via, at: list.at };
}

/** The record target of a tracked identity: its app, generation and the record's lifetime. */
export function recordTargetOf(identity: ManagedIdentity, settings: RestartSettings): RecordTarget | null {
  if (!isTrackedByPm2(identity.relation)) return null;
  const { name, namespace, pmId, restarts } = identity;
  return { name, namespace, pmId, restarts, lifetimeMs: recordLifetimeMs(settings) };
}

/** pm2's kill budget for this app, or its default when unknown (or no identity is known yet). */
export function killTimeoutOf(identity: ManagedIdentity | undefined): number {
  const known = identity?.settings.killTimeoutMs;
  return known === undefined || known === 'unknown' ? PM2_DEFAULTS.killTimeoutMs : known;
}

/** What {@link createRestartContext} wires together. */
export interface RestartContextParts {
  readonly machine: RestartMachine;
  readonly ports: Ports;
  readonly paths: Pm2HomePaths;
  readonly daemon: DaemonQuery;
  readonly identities: IdentityCache;
  readonly maxUnavailable: number;
}

/** Creates the {@link ControllerContext} of one pm2-self instance. */
export function createRestartContext(parts: RestartContextParts): ControllerContext {
  const { ports, paths, daemon, identities } = parts;
  const recordFile = (pmId: number) => restartRecordPath(paths.recordDir, pmId);

  /** Removes temporary files of record writers that died between writing and renaming. */
  const sweepTemporaryFiles = async () => {
    const names = await ports.fs.list(paths.recordDir);
    if (names === null) return;
    const stale = staleTemporaryFiles(names, (pid) => ports.process.isAlive(pid));
    await Promise.all(stale.map((name) => ports.fs.remove(`${paths.recordDir}/${name}`)));
  };

  return {
    machine: parts.machine,
    turns: createTurns({ ports, paths, daemon, identities, maxUnavailable: parts.maxUnavailable }),
    clock: ports.clock,
    process: ports.process,
    async plan(allowPlainExit) {
      const identity = await identities.refresh();
      const list = identity.managed ? await daemon.list({ fresh: true }) : null;
      const live = identity.managed && list !== null ? entryOf(identity, list) : null;
      const planned = planRestart({
        identity,
        entry: live !== null && 'entry' in live ? live.entry : undefined,
        daemonProblem: live !== null && 'problem' in live ? live.problem : undefined,
        allowPlainExit,
        now: ports.clock.now(),
        uptimeMs: ports.process.uptimeSeconds() * 1000,
      });
      if (!identity.managed || list === null || !list.ok) return planned;
      return { ...planned, instances: instancesOf(list.entries, identity).length };
    },
    async stillTracked() {
      const identity = await identities.refresh();
      if (!identity.managed || !isTrackedByPm2(identity.relation)) return false;
      // A reload renames the old worker in the daemon before the new one rewrites the pid file: the
      // daemon's list (when it answers) must still show our pid under our pm_id.
      const live = entryOf(identity, await daemon.list({ fresh: true }));
      return 'problem' in live || live.entry !== null;
    },
    async requestDaemonRestart(pmId) {
      const sent = await daemon.requestRestart(pmId);
      return sent.ok ? { ok: true } : { ok: false, message: sent.message };
    },
    async writeRecord(record) {
      await sweepTemporaryFiles();
      return ports.fs.writeText(recordFile(record.pmId), JSON.stringify(record));
    },
    async discardRecord(pmId) {
      await ports.fs.remove(recordFile(pmId));
    },
    daemonRestartGraceMs() {
      return killTimeoutOf(identities.current) + DEFAULTS.daemonRestartGraceMs;
    },
  };
}
