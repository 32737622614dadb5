/**
 * What lets a process answer about itself between the daemon's answers: the heartbeat of its
 * `PM2_HOME` (is the daemon still there?) and the counters the heartbeat shares (`pm2 reset` sends no
 * signal).
 */
import { join } from 'node:path';
import { createDaemonLiveness, type DaemonLiveness, LIVENESS_FILE } from '../daemon/daemon-liveness.js';
import type { DaemonQuery } from '../daemon/daemon-query.js';
import type { Pm2HomePaths } from '../daemon/pm2-home.js';
import {
  COUNTERS_FILE,
  createCountersBeat,
  createSharedCounters,
  type SharedCounters,
} from '../daemon/shared-counters.js';
import type { Ports } from '../ports/ports.js';

/** The heartbeat lists the daemon once per this many heartbeats, to share counters no signal tells of. */
const COUNTERS_EVERY_BEATS = 6;

/** What {@link createLocalHeartbeat} works with. */
export interface LocalHeartbeatParts {
  readonly ports: Ports;
  readonly paths: Pm2HomePaths;
  readonly daemon: Pick<DaemonQuery, 'ping' | 'list' | 'usable'>;
  readonly queryTimeoutMs: number;
  readonly livenessIntervalMs: number;
  /** False when nothing is shared (`cacheTtlMs: 0`): no heartbeat, so no local answer. */
  readonly shareList: boolean;
}

/**
 * The heartbeat (`alive-v1.json`, null when nothing is shared or files cannot be created exclusively)
 * and the shared counters (`counters-v1.json`, listed by the heartbeat once per 6 heartbeats and looked
 * at by each process as often) of one `PM2_HOME`.
 */
export function createLocalHeartbeat(parts: LocalHeartbeatParts): {
  readonly liveness: DaemonLiveness | null;
  readonly counters: SharedCounters;
} {
  const { ports, daemon } = parts;
  const countersEveryMs = COUNTERS_EVERY_BEATS * parts.livenessIntervalMs;
  const counters = createSharedCounters({
    fs: {
      readText: (path) => ports.fs.readText(path),
      writeText: (path, text) => ports.fs.writeText(path, text),
      modifiedAt: ports.fs.modifiedAt?.bind(ports.fs),
    },
    clock: ports.clock,
    file: join(parts.paths.recordDir, COUNTERS_FILE),
    // The counters change at most once per listing: each process looks as often.
    lookEveryMs: countersEveryMs,
  });
  const createExclusive = ports.fs.createExclusive?.bind(ports.fs);
  if (createExclusive === undefined || !parts.shareList) return { liveness: null, counters };
  const liveness = createDaemonLiveness({
    fs: {
      readText: (path) => ports.fs.readText(path),
      writeText: (path, text) => ports.fs.writeText(path, text),
      remove: (path) => ports.fs.remove(path),
      readStamped: ports.fs.readStamped?.bind(ports.fs),
      replaceAbandoned: ports.fs.replaceAbandoned?.bind(ports.fs),
      createExclusive,
    },
    modifiedAt: ports.fs.modifiedAt?.bind(ports.fs),
    clock: ports.clock,
    pid: ports.process.pid,
    isAlive: (pid) => ports.process.isAlive(pid),
    keepAlive: () => ports.process.keepAlive(),
    daemonPid: () => daemon.usable(),
    ping: (timeoutMs) => daemon.ping(timeoutMs),
    beat: createCountersBeat({
      clock: ports.clock,
      everyMs: countersEveryMs,
      ping: (timeoutMs) => daemon.ping(timeoutMs),
      list: () => daemon.list(),
      counters,
    }),
    file: join(parts.paths.recordDir, LIVENESS_FILE),
    intervalMs: parts.livenessIntervalMs,
    timeoutMs: parts.queryTimeoutMs,
  });
  return { liveness, counters };
}
