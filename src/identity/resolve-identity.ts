import type { DaemonQuery } from '../daemon/daemon-query.js';
import { matchProcess } from './match-process.js';
import type { FileSystem, ProcessFacts, ProcessPort } from '../ports/ports.js';
import type { Identity } from './identity.js';
import { readPm2Env } from '../pm2/pm2-env.js';
import { classifyRelation, type RelationFacts } from './relation.js';
import { debug } from '../common/debug.js';
import type { Pm2EnvProblem } from '../pm2/pm2-env.js';

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
    evidence: 'daemonList',
  };
}

/** This process's ancestors, parent first, as far as `/proc` shows them (null elsewhere). */
async function ancestry(process: ProcessPort, depth: number): Promise<ProcessFacts[] | null> {
  const ancestors: ProcessFacts[] = [];
  let pid = process.ppid;
  while (ancestors.length < depth && pid > 1) {
    const facts = await process.describe(pid);
    if (facts === null) return ancestors.length === 0 ? null : ancestors;
    ancestors.push(facts);
    pid = facts.ppid;
  }
  return ancestors;
}

function problemMessage(problem: Pm2EnvProblem): string {
  return problem === 'absent' ? 'no pm2 variables in the environment' : `pm2 variables unusable (${problem})`;
}

/**
 * Resolves who this process is under pm2. pm2's variables are trusted only after its pid file
 * confirms the relation (one small file read); when this process is not the one in the pid file, the
 * process tree (`/proc`) tells a launcher chain from a descendant; when the pid file cannot be read
 * (an app run as another user), the process whose parent is the daemon is the tracked one. Without
 * pm2's variables the daemon's list is matched by pid and ancestors. Never throws.
 */
export async function resolveIdentity(context: ResolveIdentityContext): Promise<Identity> {
  const { process } = context;
  const reading = readPm2Env(process.env);
  if (!reading.ok) return fromDaemonList(context, problemMessage(reading.problem));
  const env = reading.identity;
  const pidFileText = env.pidFilePath === null ? null : await context.fs.readText(env.pidFilePath);
  const isTracked = pidFileText !== null && pidFileText.trim() === String(process.pid);
  const facts: RelationFacts = {
    pid: process.pid,
    ppid: process.ppid,
    pidFileText,
    daemonPid: null,
    interpreter: process.env.exec_interpreter ?? null,
    script: process.env.pm_exec_path ?? null,
    ancestors: isTracked ? [] : await ancestry(process, context.maxAncestors ?? 8),
  };
  const quick = classifyRelation(facts);
  if (!quick.ok) return fromDaemonList(context, `pm2 pid file ${quick.problem}`);
  let { relation, trackedPid } = quick;
  if (relation === 'descendant') {
    const full = classifyRelation({ ...facts, daemonPid: await context.daemon.daemonPid() });
    if (full.ok) relation = full.relation;
  }
  if (relation === 'superseded') {
    // The pid file can also be stale: an old worker respawned during a reload rewrites it. The
    // daemon's entry for this pm_id settles who is tracked now.
    const list = await context.daemon.list({ fresh: true });
    const current = list.ok ? list.entries.find((entry) => entry.pmId === env.pmId) : undefined;
    if (current !== undefined && current.pid === process.pid) {
      relation = 'tracked';
      trackedPid = current.pid;
    }
  }
  debug('identity: %s (pm_id %d) from pm2 variables, %s by %s', env.name, env.pmId, relation, quick.evidence);
  return {
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
    evidence: quick.evidence,
  };
}
