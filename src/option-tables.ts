/**
 * The runtime checks of every public function, in one place: the known keys of each options object
 * with their kinds (a type check keeps each table complete and free of stray keys). A duration's
 * allowed range is in common/duration-ranges.ts. A new option is added to its type and to its table here.
 */
import type { OptionTable, OptionKind } from './common/check-options.js';
import type { ExposeToPm2Options } from './operator/operator-target.js';
import type { Ports } from './ports/ports.js';
import type {
  GracefulRestartOptions,
  Pm2SelfOptions,
  RestartPolicy,
  ShutdownHandlerOptions,
} from './options.js';

type TableOf<T> = Record<keyof Required<T>, OptionKind>;

const createPm2Self = {
  name: 'checked',
  envVar: 'checked',
  pm2Bin: 'checked',
  binEnvVar: 'checked',
  route: 'checked',
  queryTimeoutMs: 'duration',
  cacheTtlMs: 'duration',
  livenessIntervalMs: 'duration',
  maxListBytes: 'checked',
  machine: 'object',
  ports: 'object',
  maxUnavailable: 'checked',
  cwd: 'string',
  staleTaskMs: 'duration',
} as const satisfies TableOf<Pm2SelfOptions>;

const gracefulRestart = {
  reason: 'checked',
  deadlineMs: 'checked',
  onDeadline: 'checked',
  refuseNewTasks: 'boolean',
  beforeExit: 'hooks',
  hooksTimeoutMs: 'duration',
  allowPlainExit: 'boolean',
} as const satisfies TableOf<GracefulRestartOptions>;

const installShutdownHandler = {
  refuseNewTasks: 'boolean',
  beforeExit: 'hooks',
  hooksTimeoutMs: 'duration',
  hooksReserveMs: 'duration',
  marginMs: 'duration',
} as const satisfies TableOf<ShutdownHandlerOptions>;

const restartWhen = {
  rssAboveBytes: 'checked',
  heapUsedAboveBytes: 'checked',
  sustainedForMs: 'duration',
  checkEveryMs: 'duration',
  maxUptimeMs: 'duration',
  jitterMs: 'duration',
  eventLoopBlockedForMs: 'duration',
  healthCheck: 'checked',
  unhealthyForMs: 'duration',
  checkTimeoutMs: 'duration',
  deadlineMs: 'checked',
  onDeadline: 'checked',
  refuseNewTasks: 'boolean',
  beforeExit: 'hooks',
  hooksTimeoutMs: 'duration',
} as const satisfies TableOf<RestartPolicy>;

const exposeToPm2 = {
  refuseNewTasks: 'boolean',
  beforeExit: 'hooks',
  hooksTimeoutMs: 'duration',
  debug: 'function',
  channel: 'object',
} as const satisfies TableOf<ExposeToPm2Options>;

/** The functions each port given to `createPm2Self({ ports })` must have (its optional ones aside). */
export const PORT_FUNCTIONS = {
  clock: ['now', 'setTimeout', 'clearTimeout'],
  runner: ['run'],
  daemon: ['call'],
  fs: ['readText', 'writeText', 'remove', 'whyUnreadable', 'list'],
  process: [
    'homedir',
    'uptimeSeconds',
    'residentMemoryBytes',
    'heapUsedBytes',
    'isAlive',
    'parentPidOf',
    'describe',
    'keepAlive',
    'exit',
    'onShutdown',
  ],
} as const satisfies { [K in keyof Ports]: ReadonlyArray<keyof Ports[K]> };

// `live` is true, false or 'daemon': checked by the getInfo wrapper in checked-calls.ts.
const getInfo = { live: 'checked' } as const satisfies TableOf<{ live?: boolean | 'daemon' }>;

/** The known options of each public function that takes an options object. */
export const OPTION_TABLES = {
  createPm2Self,
  gracefulRestart,
  installShutdownHandler,
  restartWhen,
  exposeToPm2,
  getInfo,
} as const satisfies Record<string, OptionTable>;
