import { isWrapperInterpreter, type Relation } from './relation.js';
import type { ProcessEntry } from '../pm2/process-list.js';

/** The outcome of finding this process in the daemon's list. */
export type ProcessMatch =
  | { readonly ok: true; readonly entry: ProcessEntry; readonly relation: Exclude<Relation, 'superseded'> }
  | { readonly ok: false; readonly problem: 'notFound' | 'ambiguous' };

function relationAtDepth(depth: number, entry: ProcessEntry): Exclude<Relation, 'superseded'> {
  if (depth === 0) return 'tracked';
  return depth === 1 && isWrapperInterpreter(entry.interpreter) ? 'wrapper' : 'descendant';
}

/**
 * Finds the entry pm2 tracks for this process: its own pid, else its nearest ancestor's
 * (`lineage[0]` is this pid, `lineage[1]` its parent, ...). Several running entries claiming the
 * same pid make the answer `ambiguous`: no identity is claimed.
 */
export function matchProcess(entries: readonly ProcessEntry[], lineage: readonly number[]): ProcessMatch {
  for (const [depth, pid] of lineage.entries()) {
    if (pid <= 0) continue;
    const hits = entries.filter((entry) => entry.pid === pid);
    if (hits.length > 1) return { ok: false, problem: 'ambiguous' };
    const entry = hits[0];
    if (entry === undefined) continue;
    return { ok: true, entry, relation: relationAtDepth(depth, entry) };
  }
  return { ok: false, problem: 'notFound' };
}
