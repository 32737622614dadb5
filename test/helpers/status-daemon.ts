/**
 * Fake ports of an env fixture (`fork` unless told) beside a live daemon whose list gives every app one settable
 * status and restart count (`pm2 reset` sets it back to 0 and tells the process nothing).
 */
import type { RpcResult } from '../../src/ports/ports.js';
import {
  jlistFixture,
  portsForEnvFixture,
  type DaemonScript,
  type EnvFixtureName,
  type FakePorts,
} from './fake-ports.js';

const LIST = JSON.parse(jlistFixture('full.json')) as Array<Record<string, unknown>>;

export function portsWithStatus(
  extra: DaemonScript = {},
  fixture: EnvFixtureName = 'fork',
): {
  ports: FakePorts;
  setStatus(next: string): void;
  setRestarts(next: number): void;
} {
  let status = 'online';
  let restarts = 0;
  const ports = portsForEnvFixture(fixture, {
    liveDaemon: true,
    daemon: {
      getMonitorData: (): RpcResult<unknown> => ({
        ok: true,
        value: LIST.map((entry) => ({
          ...entry,
          pm2_env: { ...(entry.pm2_env as object), status, restart_time: restarts, unstable_restarts: 0 },
        })),
      }),
      ...extra,
    },
  });
  return { ports, setStatus: (next) => (status = next), setRestarts: (next) => (restarts = next) };
}
