import { readRestartSettings, type RestartSettings } from './restart-settings.js';
import { parseCount, parseName } from './parse-values.js';

/** pm2's execution modes, without the `_mode` suffix pm2 uses. */
export type ExecMode = 'fork' | 'cluster';

/** What pm2's injected variables say about the process that received them (or an ancestor). */
export interface Pm2EnvIdentity {
  readonly name: string;
  readonly pmId: number;
  readonly namespace: string | null;
  readonly execMode: ExecMode | null;
  /** The instance index (`NODE_APP_INSTANCE` or the variable named by `instance_var`). */
  readonly instance: number | null;
  /** The pid file pm2 wrote for the process it tracks. */
  readonly pidFilePath: string | null;
  /** The `PM2_HOME` of the daemon that started the process. */
  readonly pm2Home: string | null;
  /** Epoch ms of this spawn (`pm_uptime`). */
  readonly startedAt: number | null;
  readonly restarts: number | null;
  readonly unstableRestarts: number | null;
  readonly settings: RestartSettings;
}

/** Why pm2's variables could not be used. */
export type Pm2EnvProblem = 'absent' | 'invalidName' | 'invalidPmId';

/** The outcome of {@link readPm2Env}. */
export type Pm2EnvReading =
  | { readonly ok: true; readonly identity: Pm2EnvIdentity }
  | { readonly ok: false; readonly problem: Pm2EnvProblem };

/** pm2's `exec_mode` value without its `_mode` suffix; null for anything else. */
export function parseExecMode(value: unknown): ExecMode | null {
  if (value === 'fork_mode') return 'fork';
  if (value === 'cluster_mode') return 'cluster';
  return null;
}

function parsePath(value: unknown): string | null {
  return parseName(value, 4096) ?? null;
}

/**
 * Reads pm2's injected variables (`name`, `pm_id`, `instance_var`, ...) from an environment.
 * Pure: the caller decides whether the process that holds them is the one pm2 tracks.
 * The status variable is ignored: in the env it is always `launching`.
 */
export function readPm2Env(env: Readonly<Record<string, string | undefined>>): Pm2EnvReading {
  if (env.pm_id === undefined) return { ok: false, problem: 'absent' };
  const pmId = parseCount(env.pm_id);
  if (pmId === undefined) return { ok: false, problem: 'invalidPmId' };
  const name = parseName(env.name);
  if (name === undefined) return { ok: false, problem: 'invalidName' };

  const execMode = parseExecMode(env.exec_mode);
  const instanceVar = parseName(env.instance_var, 128) ?? 'NODE_APP_INSTANCE';
  return {
    ok: true,
    identity: {
      name,
      pmId,
      namespace: parseName(env.namespace) ?? null,
      execMode,
      instance: parseCount(env[instanceVar]) ?? null,
      pidFilePath: parsePath(env.pm_pid_path),
      pm2Home: parsePath(env.PM2_HOME),
      startedAt: parseCount(env.pm_uptime) ?? null,
      restarts: parseCount(env.restart_time) ?? null,
      unstableRestarts: parseCount(env.unstable_restarts) ?? null,
      settings: readRestartSettings(env, execMode === 'cluster' ? 'clusterEnv' : 'forkEnv'),
    },
  };
}
