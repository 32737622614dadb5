import type { DaemonQuery } from '../daemon/daemon-query.js';
import { matchProcess } from './match-process.js';
import type { ProcessPort, FileSystem } from '../ports/ports.js';
import type { Identity, ManagedIdentity } from './identity.js';
import { readPm2Env } from '../pm2/pm2-env.js';
import { classifyRelation } from './relation.js';

/** What {@link resolveIdentity} works with. */
export interface ResolveIdentityContext {
  readonly process: ProcessPort;
  readonly fs: FileSystem;
  /** The daemon of this process's `PM2_HOME`. */
  readonly daemon: DaemonQuery;
  /** The `PM2_HOME` the daemon query uses. */
  readonly pm2Home: string;
  /** How many ancestors to walk when matching the daemon's list. */
  readonly maxAncestors?: number;
}

async function lineage(process: ProcessPort, depth: number): Promise<number[]> {
  const pids = [process.pid, process.ppid];
  while (pids.length < depth + 1) {
    const parent = await process.parentPidOf(pids[pids.length - 1] as number);
    if (parent === null || parent <= 1 || pids.includes(parent)) break;
    pids.push(parent);
  }
  return pids;
}

async function fromDaemonList(context: ResolveIdentityContext, fallbackMessage: string): Promise<Identity> {
  const result = await context.daemon.list();
  if (!result.ok)
    return { managed: false, reason: result.problem, message: `${fallbackMessage}; ${result.message}` };
  const match = matchProcess(result.entries, await lineage(context.process, context.maxAncestors ?? 8));
  if (!match.ok) {
    return match.problem === 'ambiguous'
      ? { managed: false, reason: 'ambiguous', message: 'several pm2 processes claim this pid' }
      : {
          managed: false,
          reason: 'notInList',
          message: `${fallbackMessage}; no process of the pm2 daemon is this process or an ancestor`,
        };
  }
  const { entry } = match;
  return {
    managed: true,
    name: entry.name,
    pmId: entry.pmId,
    namespace: entry.namespace,
    execMode: entry.execMode,
    instance: entry.instance,
    relation: match.relation,
    trackedPid: entry.pid,
    startedAt: entry.startedAt,
    restarts: entry.restarts,
    unstableRestarts: entry.unstableRestarts,
    settings: entry.settings,
    settingsOrigin: 'daemon',
    pm2Home: context.pm2Home,
    source: 'daemon',
  };
}

/**
 * Resolves who this process is under pm2. pm2's variables are trusted only after its pid file
 * confirms the relation (one small file read, no subprocess); otherwise the daemon's list is
 * matched by pid and ancestors. Never throws.
 */
export async function resolveIdentity(context: ResolveIdentityContext): Promise<Identity> {
  const reading = readPm2Env(context.process.env);
  if (!reading.ok) {
    return fromDaemonList(
      context,
      reading.problem === 'absent'
        ? 'no pm2 variables in the environment'
        : `pm2 variables unusable (${reading.problem})`,
    );
  }
  const env = reading.identity;
  const pidFileText = env.pidFilePath === null ? null : await context.fs.readText(env.pidFilePath);
  const quick = classifyRelation({
    pid: context.process.pid,
    ppid: context.process.ppid,
    pidFileText,
    daemonPid: null,
    interpreter: context.process.env.exec_interpreter ?? null,
  });
  if (!quick.ok) return fromDaemonList(context, `pm2 pid file ${quick.problem}`);
  let { relation, trackedPid } = quick;
  if (relation === 'descendant') {
    const daemonPid = await context.daemon.daemonPid();
    const full = classifyRelation({
      pid: context.process.pid,
      ppid: context.process.ppid,
      pidFileText,
      daemonPid,
      interpreter: context.process.env.exec_interpreter ?? null,
    });
    if (full.ok) relation = full.relation;
  }
  if (relation === 'superseded') {
    // The pid file can also be stale: an old worker respawned during a reload rewrites it. The
    // daemon's entry for this pm_id settles who is tracked now.
    const list = await context.daemon.list({ fresh: true });
    const current = list.ok ? list.entries.find((entry) => entry.pmId === env.pmId) : undefined;
    if (current !== undefined && current.pid === context.process.pid) {
      relation = 'tracked';
      trackedPid = current.pid;
    }
  }
  const identity: ManagedIdentity = {
    managed: true,
    name: env.name,
    pmId: env.pmId,
    namespace: env.namespace,
    execMode: env.execMode,
    instance: env.instance,
    relation,
    trackedPid,
    startedAt: env.startedAt,
    restarts: env.restarts,
    unstableRestarts: env.unstableRestarts,
    settings: env.settings,
    settingsOrigin: env.execMode === 'cluster' ? 'clusterEnv' : 'forkEnv',
    pm2Home: env.pm2Home ?? context.pm2Home,
    source: 'pm2Env',
  };
  return identity;
}
