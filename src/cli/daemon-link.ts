import { pm2HomePaths, resolvePm2Home } from '../daemon/pm2-home.js';
import type { OperatorActionName } from '../operator/action-protocol.js';
import { parseCount } from '../pm2/parse-values.js';
import type { BusConnector, BusMessage, BusSubscription } from '../ports/bus-subscriber.js';
import type { Clock, DaemonClient } from '../ports/ports.js';
import { readAppInstances, type AppInstance } from './app-instances.js';

/** What the CLI touches outside itself; tests pass fakes. */
export interface CliPorts {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  homedir(): string;
  /** Timers that keep the CLI alive while it waits. */
  readonly clock: Clock;
  readText(path: string): Promise<string | null>;
  isAlive(pid: number): boolean;
  readonly daemon: DaemonClient;
  readonly bus: BusConnector;
  /** Writes one line to stdout / stderr. */
  out(line: string): void;
  err(line: string): void;
  /** Colours on: stdout is a terminal and `NO_COLOR` is not set. */
  readonly color: boolean;
  /** A request id no other caller uses. */
  newRequestId(): string;
  /** The installed package's version (`pm2-self --version`); null when its package.json cannot be read. */
  packageVersion(): Promise<string | null>;
}

/** The outcome of a daemon operation. */
export type LinkResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

/** A wait for a bus event that can be ended early. */
export interface EventWait<T> {
  /** The matched value, or null when the time ran out, the wait was cancelled or the bus closed. */
  readonly promise: Promise<T | null>;
  cancel(): void;
}

/** The daemon, as the CLI uses it: its list, pm2's action trigger, and its event bus. */
export interface DaemonLink {
  readonly home: string;
  list(): Promise<LinkResult<AppInstance[]>>;
  /** Sends `action` to one pm_id with a JSON parameter, as `pm2 trigger <pm_id> <action> <param>` does. */
  trigger(pmId: number, action: OperatorActionName, param: object): Promise<LinkResult<void>>;
  /** Waits for the first bus message `match` maps to a value. Register before triggering. */
  waitForEvent<T>(match: (message: BusMessage) => T | undefined, timeoutMs: number): EventWait<T>;
  close(): void;
}

const CALL_TIMEOUT_MS = 5000;

/**
 * Opens the daemon of `pm2Home` (or of the environment, as pm2 resolves it). Never starts a daemon:
 * `pm2.pid` must name a live process and the sockets must accept a connection.
 */
export async function openDaemonLink(
  ports: CliPorts,
  pm2Home: string | null,
  options: { bus: boolean },
): Promise<LinkResult<DaemonLink>> {
  const home = pm2Home ?? resolvePm2Home(ports.env, ports.homedir());
  const paths = pm2HomePaths(home, ports.platform);
  const text = await ports.readText(paths.daemonPidFile);
  const pid = text === null ? undefined : parseCount(text.trim());
  if (pid === undefined || pid <= 0 || !ports.isAlive(pid))
    return { ok: false, why: `no pm2 daemon runs for PM2_HOME ${home} (none was started)` };

  const listeners = new Set<(message: BusMessage) => void>();
  const pending = new Set<() => void>();
  let subscription: BusSubscription | null = null;
  if (options.bus) {
    const subscribed = await ports.bus(paths.pubSocket, (message) => listeners.forEach((l) => l(message)), {
      timeoutMs: CALL_TIMEOUT_MS,
      onEnd: () => listeners.forEach((l) => l({ event: 'pm2-self:bus-closed', data: null })),
    });
    if (!subscribed.ok) return { ok: false, why: `cannot listen to the daemon's bus: ${subscribed.message}` };
    subscription = subscribed.value;
  }

  const call = <T>(method: string, arg: unknown) =>
    ports.daemon.call<T>(paths.rpcSocket, method, arg, { timeoutMs: CALL_TIMEOUT_MS });

  const link: DaemonLink = {
    home,
    async list() {
      const reply = await call<unknown>('getMonitorData', {});
      if (!reply.ok) return { ok: false, why: `the daemon's list: ${reply.message}` };
      const instances = readAppInstances(reply.value);
      return instances === null
        ? { ok: false, why: "the daemon's list is not a list" }
        : { ok: true, value: instances };
    },
    async trigger(pmId, action, param) {
      const reply = await call<unknown>('msgProcess', { id: pmId, msg: action, opts: JSON.stringify(param) });
      return reply.ok ? { ok: true, value: undefined } : { ok: false, why: reply.message };
    },
    waitForEvent<T>(match: (message: BusMessage) => T | undefined, timeoutMs: number): EventWait<T> {
      let finish: (value: T | null) => void = () => undefined;
      const cancel = () => finish(null);
      const promise = new Promise<T | null>((resolve) => {
        const timer = ports.clock.setTimeout(() => finish(null), timeoutMs);
        const listener = (message: BusMessage) => {
          if (message.event === 'pm2-self:bus-closed') return finish(null);
          const value = match(message);
          if (value !== undefined) finish(value);
        };
        finish = (value) => {
          listeners.delete(listener);
          pending.delete(cancel);
          ports.clock.clearTimeout(timer);
          resolve(value);
        };
        listeners.add(listener);
        pending.add(cancel);
      });
      return { promise, cancel };
    },
    close() {
      subscription?.close();
      for (const cancel of [...pending]) cancel();
    },
  };
  return { ok: true, value: link };
}
