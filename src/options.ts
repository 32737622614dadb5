import { DEFAULTS } from './common/defaults.js';
import { invalidOption } from './common/errors.js';
import { checkDuration, hookList } from './common/option-checks.js';
import type { DaemonRoute } from './daemon/daemon-query.js';
import type { RestartPolicyLimits } from './policy/restart-policy.js';
import type { Ports } from './ports/ports.js';
import type { RestartMachine } from './restart/machine.js';
import type { ExitHook } from './restart/run-hooks.js';
import type { DeadlinePolicy } from './restart/machine.js';

/** Options of {@link createPm2Self}. */
export interface Pm2SelfOptions {
  /** The process name to report, before anything else is tried. */
  name?: string;
  /**
   * Environment variable holding an explicit process name.
   * @defaultValue `'PM2_PROCESS_NAME'` (DEFAULTS.envVar)
   */
  envVar?: string;
  /** The pm2 CLI to run for `pm2 jlist` (a path to a binary or to a JavaScript file). */
  pm2Bin?: string;
  /**
   * Environment variable naming the pm2 CLI, read when `pm2Bin` is not given.
   * @defaultValue `'PM2_BIN'` (DEFAULTS.binEnvVar)
   */
  binEnvVar?: string;
  /**
   * How the daemon's list is fetched: `'rpc'` (its socket), `'cli'` (`pm2 jlist -s`), or `'auto'`
   * (the socket, then the CLI if the socket's answer is unusable).
   * @defaultValue `'auto'`
   */
  route?: DaemonRoute;
  /**
   * Time limit for one whole daemon query: the socket and, with `route: 'auto'`, the CLI fallback
   * together. The CLI child is killed past it.
   * @defaultValue `5000` (DEFAULTS.queryTimeoutMs)
   */
  queryTimeoutMs?: number;
  /**
   * How long a daemon answer is reused, in this process and by every process of the same `PM2_HOME`
   * (through `$PM2_HOME/pm2-self/list-v1.json`): N processes asking for live answers cost the daemon one
   * query per `cacheTtlMs` between them. While another process's refresh is under way, the previous answer
   * stands up to `cacheTtlMs + queryTimeoutMs`; past that the caller waits for that refresh's answer (a
   * `timeout` is shared too) up to its own `queryTimeoutMs`, and says `timeout` if none came: a slow
   * daemon never gets N queries at once. `0` asks the daemon on every call and shares nothing.
   * @defaultValue `1000` (DEFAULTS.cacheTtlMs)
   */
  cacheTtlMs?: number;
  /**
   * How old the daemon's heartbeat (`$PM2_HOME/pm2-self/alive-v1.json`) may be before a live answer
   * built by this process itself stops trusting it: one process of the `PM2_HOME` pings the daemon
   * once per interval. A paused daemon is reported as `timeout` within `livenessIntervalMs +
   * queryTimeoutMs` of the last heartbeat, plus the gap between a process's calls (the unanswered ping
   * is shared, so a resumed daemon may read `timeout` up to one interval more); a daemon whose pid
   * died, on the next call.
   * @defaultValue `5000` (DEFAULTS.livenessIntervalMs)
   */
  livenessIntervalMs?: number;
  /**
   * Largest daemon list accepted, in bytes: the socket's reply as well as `pm2 jlist` output.
   * @defaultValue `67108864` (DEFAULTS.maxListBytes)
   */
  maxListBytes?: number;
  /** The restart-deferral machine; defaults to {@link restartMachine}. */
  machine?: RestartMachine;
  /** Replacements for the real clock, files, command runner, daemon client or process. */
  ports?: Partial<Ports>;
  /**
   * For an app with more than one instance: how many instances may be restarting (or not yet back
   * online) at once; the others' restarts wait their turn. `Infinity` turns this off. Single-instance
   * apps never wait.
   * @defaultValue `1` (DEFAULTS.maxUnavailable)
   */
  maxUnavailable?: number;
  /** Folder from which a local pm2 install is resolved. @defaultValue `process.cwd()` */
  cwd?: string;
  /**
   * A task running longer than this is reported once: the `staleTask` event, a `PM2SELF_STALE_TASK`
   * process warning, and `stale: true` in `runningTasks()` (and the operator status).
   * @defaultValue `600000` (DEFAULTS.staleTaskMs)
   */
  staleTaskMs?: number;
}

/** Options of {@link Pm2Self.gracefulRestart}. */
export interface GracefulRestartOptions {
  /** Why the restart is wanted; kept in events and in the restart record. @defaultValue `'requested'` */
  reason?: string;
  /** Longest wait for running tasks; null waits as long as they run. @defaultValue `null` */
  deadlineMs?: number | null;
  /**
   * At the deadline: `'force'` restarts anyway, `'giveUp'` drops the request (it needs a `deadlineMs`).
   * @defaultValue `'force'`
   */
  onDeadline?: DeadlinePolicy;
  /** Refuse tasks begun while the restart waits. @defaultValue `false` */
  refuseNewTasks?: boolean;
  /** Run before the exit (after tasks end), e.g. to tell a hub and wait for the flush. */
  beforeExit?: ExitHook | readonly ExitHook[];
  /** Time budget of the `beforeExit` hooks. @defaultValue `5000` (DEFAULTS.hooksTimeoutMs) */
  hooksTimeoutMs?: number;
  /** Outside pm2 (or in a descendant), exit anyway instead of refusing. @defaultValue `false` */
  allowPlainExit?: boolean;
}

/**
 * Options of {@link Pm2Self.restartWhen}: the limits, and the options of the restart it asks for (its
 * reason names the limit and the measured value).
 */
export interface RestartPolicy
  extends RestartPolicyLimits, Omit<GracefulRestartOptions, 'reason' | 'allowPlainExit'> {}

/** Options of {@link Pm2Self.installShutdownHandler}. */
export interface ShutdownHandlerOptions {
  /** Refuse new tasks once pm2 asked to stop. @defaultValue `false` */
  refuseNewTasks?: boolean;
  /** Run before the exit, after tasks end or the budget is spent. */
  beforeExit?: ExitHook | readonly ExitHook[];
  /** Budget of the hooks, itself capped by pm2's kill_timeout. @defaultValue `5000` (DEFAULTS.hooksTimeoutMs) */
  hooksTimeoutMs?: number;
  /**
   * Time kept for the hooks at the end of pm2's budget (`kill_timeout` less `marginMs`): tasks still
   * running then are cut, so the hooks run before pm2's SIGKILL. At most half the budget and at most
   * `hooksTimeoutMs`; nothing is kept when no hook is given.
   * @defaultValue `500` (DEFAULTS.hooksReserveMs)
   */
  hooksReserveMs?: number;
  /** Margin kept below pm2's kill_timeout. @defaultValue `300` (DEFAULTS.killTimeoutMarginMs) */
  marginMs?: number;
}

function checkString(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === ''))
    invalidOption(name, 'a non-empty string', value);
}

/** Validates {@link Pm2SelfOptions}; throws `TypeError` on the first invalid one. */
export function checkPm2SelfOptions(options: Pm2SelfOptions): void {
  checkString('name', options.name);
  checkString('envVar', options.envVar);
  checkString('pm2Bin', options.pm2Bin);
  checkString('binEnvVar', options.binEnvVar);
  if (options.route !== undefined && !['auto', 'rpc', 'cli'].includes(options.route))
    invalidOption('route', "'auto', 'rpc' or 'cli'", options.route);
  checkDuration('queryTimeoutMs', options.queryTimeoutMs);
  const max = options.maxUnavailable;
  if (max !== undefined && max !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(max) || max < 1)) {
    invalidOption('maxUnavailable', 'a whole number of at least 1, or Infinity', max);
  }
  checkDuration('cacheTtlMs', options.cacheTtlMs);
  checkDuration('staleTaskMs', options.staleTaskMs);
  checkDuration('livenessIntervalMs', options.livenessIntervalMs);
  if (
    options.maxListBytes !== undefined &&
    (!Number.isSafeInteger(options.maxListBytes) || options.maxListBytes < 1024)
  )
    invalidOption('maxListBytes', 'an integer of at least 1024', options.maxListBytes);
}

/** Validates and completes {@link GracefulRestartOptions}. */
export function normalizeRestartOptions(options: GracefulRestartOptions) {
  if (
    options.reason !== undefined &&
    (typeof options.reason !== 'string' || options.reason.length === 0 || options.reason.length > 1024)
  )
    invalidOption('reason', 'a string of 1 to 1024 characters', options.reason);
  checkDuration('deadlineMs', options.deadlineMs, true);
  checkDuration('hooksTimeoutMs', options.hooksTimeoutMs);
  if (options.onDeadline !== undefined && options.onDeadline !== 'force' && options.onDeadline !== 'giveUp')
    invalidOption('onDeadline', "'force' or 'giveUp'", options.onDeadline);
  if (options.onDeadline === 'giveUp' && (options.deadlineMs === undefined || options.deadlineMs === null)) {
    const got = options.deadlineMs === null ? 'null' : 'none';
    throw new TypeError(
      `Expected \`deadlineMs\` to be a number of milliseconds when onDeadline is 'giveUp', got ${got}: 'giveUp' drops the request at its deadline, and there is none`,
    );
  }
  return {
    reason: options.reason ?? 'requested',
    deadlineMs: options.deadlineMs ?? null,
    onDeadline: options.onDeadline ?? 'force',
    refuseNewTasks: options.refuseNewTasks === true,
    hooks: hookList(options.beforeExit, 'beforeExit'),
    hooksTimeoutMs: options.hooksTimeoutMs ?? DEFAULTS.hooksTimeoutMs,
    allowPlainExit: options.allowPlainExit === true,
  };
}
