import { parseCount } from '../pm2/parse-values.js';

/**
 * How this process relates to the process pm2 tracks for its app:
 * - `tracked`: it is that process; exiting it makes pm2 react.
 * - `wrapper`: pm2 tracks its parent, a shell or other non-Node interpreter that runs it without
 *   `exec`; the shell exits with this process's code, so exiting still restarts the app.
 * - `descendant`: a child (or deeper) of the app that only inherited pm2's variables; exiting it
 *   restarts nothing.
 * - `superseded`: started by the daemon for this `pm_id`, but pm2 now tracks a newer process
 *   (the old worker during a cluster reload).
 */
export type Relation = 'tracked' | 'wrapper' | 'descendant' | 'superseded';

/** True when exiting this process makes pm2 react: it is the tracked process, or runs under its wrapper. */
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
}

/** The result of {@link classifyRelation}: a relation and the pid pm2 tracks, or why it cannot tell. */
export type RelationReading =
  | { readonly ok: true; readonly relation: Relation; readonly trackedPid: number }
  | { readonly ok: false; readonly problem: 'pidFileUnreadable' | 'pidFileInvalid' };

/** True when pm2 runs the app's script with an interpreter other than Node (a wrapper script). */
export function isWrapperInterpreter(interpreter: string | null): boolean {
  if (interpreter === null) return false;
  const base = interpreter.split(/[\\/]/).pop() ?? '';
  return base !== '' && !/^node(js)?(\.exe)?$/.test(base) && base !== 'none';
}

/** Classifies this process from the content of pm2's pid file: one small file read, no daemon query. */
export function classifyRelation(facts: RelationFacts): RelationReading {
  if (facts.pidFileText === null) return { ok: false, problem: 'pidFileUnreadable' };
  const trackedPid = parseCount(facts.pidFileText.trim());
  if (trackedPid === undefined || trackedPid === 0) return { ok: false, problem: 'pidFileInvalid' };
  if (trackedPid === facts.pid) return { ok: true, relation: 'tracked', trackedPid };
  if (trackedPid === facts.ppid && isWrapperInterpreter(facts.interpreter))
    return { ok: true, relation: 'wrapper', trackedPid };
  if (facts.daemonPid !== null && facts.ppid === facts.daemonPid)
    return { ok: true, relation: 'superseded', trackedPid };
  return { ok: true, relation: 'descendant', trackedPid };
}
