/** Fake ports of the `fork` env fixture beside a live daemon whose list gives every app one settable status. */
import type { RpcResult } from '../../src/ports/ports.js';
import { jlistFixture, portsForEnvFixture, type DaemonScript, type FakePorts } from './fake-ports.js';

const LIST = JSON.parse(jlistFixture('full.json')) as Array<Record<string, unknown>>;

export function portsWithStatus(extra: DaemonScript = {}): {
  ports: FakePorts;
  setStatus(next: string): void;
} {
  let status = 'online';
  const ports = portsForEnvFixture('fork', {
    liveDaemon: true,
    daemon: {
      getMonitorData: (): RpcResult<unknown> => ({
        ok: true,
        value: LIST.map((entry) => ({ ...entry, pm2_env: { ...(entry.pm2_env as object), status } })),
      }),
      ...extra,
    },
  });
  return { ports, setStatus: (next) => (status = next) };
}
