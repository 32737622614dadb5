import { parseCount } from '../pm2/parse-values.js';
import type { ProcessFacts } from '../ports/ports.js';
import { isDaemonCommand, isLauncherCommand, isLauncherScript } from './launchers.js';

/**
 * How this process relates to the process pm2 tracks for its app:
 * - `tracked`: it is that process; exiting it makes pm2 react.
 * - `wrapper`: pm2 tracks a launcher above it: a shell running a wrapper script without `exec`, or a
 *   chain such as `npm start` -> `sh -c "node app.js"` -> this process, where every process between
 *   is a launcher (shell, npm/npx/yarn/pnpm, tsx, env) with this one child. Each launcher exits with
 *   its child's code, so exiting this process still restarts the app.
 * - `descendant`: a child (or deeper) of the app itself, e.g. a worker it forked or spawned (even
 *   through `sh -c`): it only inherited pm2's variables; exiting it restarts nothing.
 * - `superseded`: started by the daemon for this `pm_id`, but pm2 now tracks a newer process
 *   (the old worker during a cluster reload).
 */
export type Relation = 'tracked' | 'wrapper' | 'descendant' | 'superseded';

/** True when exiting this process makes pm2 react: it is the tracked process, or runs under its launchers. */
export function isTrackedByPm2(relation: Relation): boolean {
  return relation === 'tracked' || relation === 'wrapper';
}

/** What {@link classifyRelation} needs to know. */
export interface RelationFacts {
  readonly pid: number;
  readonly ppid: number;
  /** Text of the pid file pm2 wrote (`pm_pid_path`), or null when unreadable. */
  readonly pidFileText: string | null;
  /** The pm2 daemon's pid, when known. */
  readonly daemonPid: number | null;
  /** The interpreter pm2 runs the app with (`exec_interpreter`), when known. */
  readonly interpreter: string | null;
  /** The script pm2 runs (`pm_exec_path`), when known. */
  readonly script: string | null;
  /** This process's ancestors, parent first; null where the platform cannot tell. */
  readonly ancestors: readonly ProcessFacts[] | null;
}

/** How the relation was established. */
export type RelationEvidence = 'pidFile' | 'parentIsDaemon';

/** The result of {@link classifyRelation}: a relation and the pid pm2 tracks, or why it cannot tell. */
export type RelationReading =
  | {
      readonly ok: true;
      readonly relation: Relation;
      readonly trackedPid: number;
      readonly evidence: RelationEvidence;
    }
  | { readonly ok: false; readonly problem: 'pidFileUnreadable' | 'pidFileInvalid' };

/** True when pm2 runs the app's script with an interpreter other than Node (a wrapper script). */
export function isWrapperInterpreter(interpreter: string | null): boolean {
  if (interpreter === null) return false;
  const base = interpreter.split(/[\\/]/).pop() ?? '';
  return base !== '' && !/^node(js)?(\.exe)?$/.test(base) && base !== 'none';
}

/** True when the process pm2 tracks is a launcher: by what pm2 runs, or by its command line. */
function trackedIsLauncher(facts: RelationFacts, tracked: ProcessFacts | undefined): boolean {
  if (isWrapperInterpreter(facts.interpreter) || isLauncherScript(facts.script)) return true;
  return tracked !== undefined && isLauncherCommand(tracked.argv);
}

/**
 * True when only launchers, each with one child, stand between this process and `trackedPid`, and the
 * tracked process is a launcher too. Without ancestors (other platforms): the tracked process is the
 * parent and runs the app's script with a non-Node interpreter.
 */
function underLaunchers(facts: RelationFacts, trackedPid: number): boolean {
  if (facts.ancestors === null) return trackedPid === facts.ppid && isWrapperInterpreter(facts.interpreter);
  const at = facts.ancestors.findIndex((ancestor) => ancestor.pid === trackedPid);
  if (at === -1) return false;
  const chain = facts.ancestors.slice(0, at + 1);
  const onlyChild = chain.every((ancestor) => ancestor.children === 1);
  const between = chain.slice(0, -1).every((ancestor) => isLauncherCommand(ancestor.argv));
  return onlyChild && between && trackedIsLauncher(facts, chain[at]);
}

function relationTo(facts: RelationFacts, trackedPid: number): Relation {
  if (trackedPid === facts.pid) return 'tracked';
  if (underLaunchers(facts, trackedPid)) return 'wrapper';
  if (facts.daemonPid !== null && facts.ppid === facts.daemonPid) return 'superseded';
  return 'descendant';
}

/**
 * The process pm2 started, found without its pid file (an app run as another user cannot read
 * `PM2_HOME`): this process or the nearest ancestor whose parent is a pm2 daemon.
 */
function startedByDaemon(facts: RelationFacts): number | null {
  if (facts.ancestors === null) return null;
  const lineage = [{ pid: facts.pid }, ...facts.ancestors];
  for (const [index, process] of lineage.entries()) {
    const parent = facts.ancestors[index];
    if (parent !== undefined && isDaemonCommand(parent.argv)) return process.pid;
  }
  return null;
}

/**
 * Classifies this process from pm2's pid file (one small file read, no daemon query), or, when the
 * pid file cannot be read, from the process tree: the process whose parent is the daemon is the one
 * pm2 tracks. Pure.
 */
export function classifyRelation(facts: RelationFacts): RelationReading {
  if (facts.pidFileText === null) {
    const trackedPid = startedByDaemon(facts);
    if (trackedPid === null) return { ok: false, problem: 'pidFileUnreadable' };
    return { ok: true, relation: relationTo(facts, trackedPid), trackedPid, evidence: 'parentIsDaemon' };
  }
  const trackedPid = parseCount(facts.pidFileText.trim());
  if (trackedPid === undefined || trackedPid === 0) return { ok: false, problem: 'pidFileInvalid' };
  return { ok: true, relation: relationTo(facts, trackedPid), trackedPid, evidence: 'pidFile' };
}
