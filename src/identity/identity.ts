import type { RestartSettings, SettingsOrigin } from '../pm2/restart-settings.js';
import type { DaemonProblem } from '../daemon/daemon-query.js';
import type { ExecMode, Pm2EnvProblem } from '../pm2/pm2-env.js';
import type { Relation, RelationEvidence } from './relation.js';

/** Where a process name came from, in the order they are tried. */
export type NameSource = 'option' | 'envVar' | 'pm2Env' | 'daemon';

/** This process's pm2 identity, as resolved from pm2's variables (verified) or the daemon's list. */
export interface ManagedIdentity {
  readonly managed: true;
  readonly name: string;
  readonly pmId: number;
  readonly namespace: string | null;
  readonly execMode: ExecMode | null;
  readonly instance: number | null;
  readonly relation: Relation;
  /** The pid pm2 tracks for this app. */
  readonly trackedPid: number;
  readonly startedAt: number | null;
  readonly restarts: number | null;
  readonly unstableRestarts: number | null;
  readonly settings: RestartSettings;
  readonly settingsOrigin: SettingsOrigin;
  readonly pm2Home: string;
  /** `pm2Env`: pm2's variables checked against its pid file; `daemon`: found in the daemon's list. */
  readonly source: 'pm2Env' | 'daemon';
  /**
   * How the relation was established: pm2's pid file; the process tree (the tracked process's parent
   * is the daemon), when the pid file cannot be read (an app run as another user); or the daemon's list.
   */
  readonly evidence: RelationEvidence | 'daemonList';
}

/**
 * Why this process is not (known to be) under pm2; `resolverFailed`: the resolution itself threw (a
 * custom port, usually); the next call tries again.
 */
export type NotManagedReason = Pm2EnvProblem | DaemonProblem | 'notInList' | 'ambiguous' | 'resolverFailed';

/** The answer for a process not under pm2. */
export interface UnmanagedIdentity {
  readonly managed: false;
  readonly reason: NotManagedReason;
  readonly message: string;
}

/** The outcome of identity resolution. */
export type Identity = ManagedIdentity | UnmanagedIdentity;
