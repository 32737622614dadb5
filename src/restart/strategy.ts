import type { Identity } from '../identity/identity.js';
import { isTrackedByPm2, type Relation } from '../identity/relation.js';
import type { RestartSettings } from '../pm2/restart-settings.js';
import type { Pm2SelfErrorCode } from '../common/errors.js';

/**
 * How a restart is carried out:
 * - `exit`: exit with a code pm2 restarts (fastest: the new process runs ~0.1 s later);
 * - `daemon`: ask the daemon to restart this pm_id (when an exit would leave the app stopped, or the
 *   settings are unknown); the daemon stops and starts the app itself;
 * - `plainExit`: not under pm2 (or not the tracked process) and the caller allowed a plain exit.
 */
export type RestartStrategy =
  | { readonly type: 'exit'; readonly code: number }
  | { readonly type: 'daemon'; readonly pmId: number }
  | { readonly type: 'plainExit'; readonly code: number };

/** A plan, or why a restart is refused. */
export type RestartPlan =
  | { readonly ok: true; readonly strategy: RestartStrategy; readonly why: string }
  | { readonly ok: false; readonly code: Pm2SelfErrorCode; readonly why: string };

/**
 * Whether the daemon can take a restart request: it answered; it did not; or its socket belongs to
 * another user (an app pm2 runs with `uid`/`user`).
 */
export type DaemonAccess = 'reachable' | 'unreachable' | 'accessDenied';

/** The exit code used when an app run as another user cannot learn its `stop_exit_codes`: EX_TEMPFAIL. */
export const UNCERTAIN_RESTART_EXIT_CODE = 75;

/** Exit codes tried, in order, for the `exit` strategy (75 is EX_TEMPFAIL). */
export const RESTART_EXIT_CODES: readonly number[] = [0, 75, 1, 70, 69, 64];

/** The first exit code pm2 would restart after, or null when none of the candidates is safe. */
export function restartableExitCode(settings: RestartSettings): number | null {
  if (settings.autorestart !== true || settings.stopExitCodes === 'unknown') return null;
  const stop = settings.stopExitCodes;
  return RESTART_EXIT_CODES.find((code) => !stop.includes(code)) ?? null;
}

/** Why no exit code is safe, for the daemon strategy's explanation. */
function whyNoExitCode(settings: RestartSettings | null): string {
  if (settings === null) return 'restart settings unknown';
  if (settings.autorestart === false) return 'autorestart is off';
  if (settings.autorestart === 'unknown' || settings.stopExitCodes === 'unknown')
    return 'restart settings unknown';
  return 'every candidate exit code is a stop exit code';
}

function notTrackedWhy(relation: Relation): string {
  return relation === 'descendant' ? 'this process descends from' : 'this process was replaced by';
}

/**
 * Chooses how to restart. Pure. `settings` are the most authoritative known (the daemon's when it
 * answered); `daemon` says whether a daemon restart request can be sent.
 */
export function chooseStrategy(
  identity: Identity,
  settings: RestartSettings | null,
  daemon: DaemonAccess,
  allowPlainExit: boolean,
): RestartPlan {
  if (!identity.managed) {
    return allowPlainExit
      ? {
          ok: true,
          strategy: { type: 'plainExit', code: 0 },
          why: `not under pm2 (${identity.reason}); plain exit allowed`,
        }
      : { ok: false, code: 'ERR_PM2SELF_NOT_UNDER_PM2', why: identity.message };
  }
  if (!isTrackedByPm2(identity.relation)) {
    return allowPlainExit
      ? {
          ok: true,
          strategy: { type: 'plainExit', code: 0 },
          why: `${identity.relation} of pm2 process ${identity.trackedPid}; plain exit allowed`,
        }
      : {
          ok: false,
          code: 'ERR_PM2SELF_NOT_TRACKED',
          why: `${notTrackedWhy(identity.relation)} the process pm2 tracks (pid ${identity.trackedPid})`,
        };
  }
  const code = settings === null ? null : restartableExitCode(settings);
  if (code !== null)
    return {
      ok: true,
      strategy: { type: 'exit', code },
      why: `autorestart is on and exit code ${code} is not a stop exit code`,
    };
  if (daemon === 'reachable') {
    const why = whyNoExitCode(settings);
    return {
      ok: true,
      strategy: { type: 'daemon', pmId: identity.pmId },
      why: `${why}: the daemon restarts pm_id ${identity.pmId}`,
    };
  }
  if (daemon === 'accessDenied' && settings?.autorestart === true && settings.stopExitCodes === 'unknown') {
    // Run as another user: the daemon cannot be asked and a fork env omits array settings. 75 is the
    // code least likely to be listed in stop_exit_codes (those list clean exits, 0, as a rule).
    const code = UNCERTAIN_RESTART_EXIT_CODE;
    const why = `autorestart is on; stop_exit_codes are unknown and the daemon belongs to another user: exit code ${code} (EX_TEMPFAIL)`;
    return { ok: true, strategy: { type: 'exit', code }, why };
  }
  return {
    ok: false,
    code: 'ERR_PM2SELF_DAEMON_UNREACHABLE',
    why: 'an exit would not be restarted (or the settings are unknown) and the pm2 daemon does not answer',
  };
}
