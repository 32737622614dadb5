import { DEFAULTS, PM2_DEFAULTS } from '../common/defaults.js';
import type { ProcessEntry } from '../pm2/process-list.js';
import type { Identity } from '../identity/identity.js';
import type { RestartSettings } from '../pm2/restart-settings.js';
import { chooseStrategy, type RestartPlan } from './strategy.js';

/** What {@link planRestart} decides from. */
export interface RestartPlanInput {
  /** A freshly resolved identity. */
  readonly identity: Identity;
  /** This process's entry in a fresh daemon list; null when the daemon answered without it; undefined when it did not answer. */
  readonly entry: ProcessEntry | null | undefined;
  readonly allowPlainExit: boolean;
  readonly now: number;
  /** How long this process has run, for when pm2's spawn time is unknown. */
  readonly uptimeMs: number;
}

/** A restart plan plus what the controller needs to carry it out. */
export interface PlannedRestart {
  readonly plan: RestartPlan;
  /** How long to wait before exiting so pm2 does not count the exit as unstable. */
  readonly minUptimeWaitMs: number;
  readonly pmId: number | null;
  readonly restarts: number | null;
}

/**
 * Plans a restart. Pure. The daemon's settings win. A fork-mode env omits array settings, so its
 * `stop_exit_codes` are unknown: without the daemon's entry the plan cannot pick a safe exit code, and
 * {@link chooseStrategy} asks the daemon to restart instead (or refuses when the daemon does not answer).
 */
export function planRestart(input: RestartPlanInput): PlannedRestart {
  const { identity } = input;
  if (!identity.managed)
    return {
      plan: chooseStrategy(identity, null, false, input.allowPlainExit),
      minUptimeWaitMs: 0,
      pmId: null,
      restarts: null,
    };
  const trusted: RestartSettings | null = input.entry
    ? input.entry.settings
    : identity.source === 'daemon' || identity.settingsOrigin === 'clusterEnv'
      ? identity.settings
      : null;
  const plan = chooseStrategy(
    identity,
    trusted ?? identity.settings,
    input.entry !== undefined,
    input.allowPlainExit,
  );
  const minUptimeMs =
    trusted && trusted.minUptimeMs !== 'unknown' ? trusted.minUptimeMs : PM2_DEFAULTS.minUptimeMs;
  const startedAt = identity.startedAt ?? input.now - input.uptimeMs;
  return {
    plan,
    minUptimeWaitMs: Math.max(0, startedAt + minUptimeMs + DEFAULTS.minUptimeMarginMs - input.now),
    pmId: identity.pmId,
    restarts: identity.restarts,
  };
}
