import { DEFAULTS, PM2_DEFAULTS } from '../common/defaults.js';
import type { ProcessEntry } from '../pm2/process-list.js';
import type { Identity } from '../identity/identity.js';
import type { RestartSettings } from '../pm2/restart-settings.js';
import type { DaemonProblem } from '../daemon/daemon-query.js';
import type { PlannedRestart } from './planned-restart.js';
import type { RecordTarget } from './record-target.js';
import { recordLifetimeMs } from './restart-record.js';
import { chooseStrategy, type DaemonAccess } from './strategy.js';

export type { PlannedRestart } from './planned-restart.js';

/** What {@link planRestart} decides from. */
export interface RestartPlanInput {
  /** A freshly resolved identity. */
  readonly identity: Identity;
  /** This process's entry in a fresh daemon list; null when the daemon answered without it; undefined when it did not answer. */
  readonly entry: ProcessEntry | null | undefined;
  /** Why the daemon did not answer, when it did not. */
  readonly daemonProblem?: DaemonProblem;
  readonly allowPlainExit: boolean;
  readonly now: number;
  /** How long this process has run, for when pm2's spawn time is unknown. */
  readonly uptimeMs: number;
}

/** The settings to trust: the daemon's entry, a daemon-sourced identity, or a cluster env (which has every key). */
function trustedSettings(input: RestartPlanInput): RestartSettings | null {
  const { identity } = input;
  if (!identity.managed) return null;
  if (input.entry) return input.entry.settings;
  if (identity.source === 'daemon' || identity.settingsOrigin === 'clusterEnv') return identity.settings;
  return null;
}

function daemonAccess(input: RestartPlanInput): DaemonAccess {
  if (input.entry !== undefined) return 'reachable';
  return input.daemonProblem === 'accessDenied' ? 'accessDenied' : 'unreachable';
}

/**
 * Plans a restart. Pure. The daemon's settings win. A fork-mode env omits array settings, so its
 * `stop_exit_codes` are unknown: without the daemon's entry the plan cannot pick a safe exit code, and
 * {@link chooseStrategy} asks the daemon to restart instead (or, when the daemon cannot be asked,
 * decides as it documents).
 */
export function planRestart(input: RestartPlanInput): PlannedRestart {
  const { identity } = input;
  if (!identity.managed) {
    return {
      plan: chooseStrategy(identity, null, 'unreachable', input.allowPlainExit),
      minUptimeWaitMs: 0,
      target: null,
    };
  }
  const trusted = trustedSettings(input);
  const settings = trusted ?? identity.settings;
  const plan = chooseStrategy(identity, settings, daemonAccess(input), input.allowPlainExit);
  const minUptimeMs = settings.minUptimeMs !== 'unknown' ? settings.minUptimeMs : PM2_DEFAULTS.minUptimeMs;
  const startedAt = identity.startedAt ?? input.now - input.uptimeMs;
  const target: RecordTarget = {
    name: identity.name,
    namespace: identity.namespace,
    pmId: identity.pmId,
    restarts: identity.restarts,
    lifetimeMs: recordLifetimeMs(settings),
  };
  // pm2's spawn time is its wall clock, `now` is this process's: never more than min_uptime (+ margin),
  // so a wall clock behind pm2's (stepped back 1 h) cannot turn this wait into an hour.
  const longestWaitMs = minUptimeMs + DEFAULTS.minUptimeMarginMs;
  return {
    plan,
    minUptimeWaitMs: Math.min(longestWaitMs, Math.max(0, startedAt + longestWaitMs - input.now)),
    target,
  };
}
