/**
 * Warnings the Node way (issue 19): `PM2SELF_*` process warnings, once each, for pm2's default
 * kill_timeout while tasks are used, another shutdown-signal listener, and a task older than
 * staleTaskMs (with a `staleTask` event and `stale: true` in runningTasks()).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWarn, WARNING_CODES } from '../../src/common/warnings.js';
import { createPm2Self } from '../../src/create-pm2-self.js';
import { createNodeProcess } from '../../src/ports/node-ports.js';
import type { IpcChannel } from '../../src/ports/ipc-channel.js';
import type { RestartEvents } from '../../src/restart/events.js';
import { jlistFixture, portsForEnvFixture, type FakePorts } from '../helpers/fake-ports.js';
import { flush } from '../helpers/sim-clock.js';

const LIST = JSON.parse(jlistFixture('full.json')) as unknown[];
const managedPorts = (fixture: 'fork' | 'eco-fork') =>
  portsForEnvFixture(fixture, {
    liveDaemon: true,
    daemon: { getMonitorData: { ok: true, value: LIST }, ping: { ok: true, value: 'pong' } },
  });

/** Records what the process port's `warn` is given. */
function recordWarnings(ports: FakePorts): Array<{ code: string; message: string }> {
  const warnings: Array<{ code: string; message: string }> = [];
  ports.process.warn = (code, message) => void warnings.push({ code, message });
  return warnings;
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await flush();
};

describe('createWarn', () => {
  it('emits each code once, its text first', () => {
    const sent: string[][] = [];
    const warn = createWarn((code, message) => void sent.push([code, message]));
    warn('PM2SELF_STALE_TASK', '(a)');
    warn('PM2SELF_STALE_TASK', '(b)');
    warn('PM2SELF_SHUTDOWN_LISTENER', '(c)');
    expect(sent).toEqual([
      ['PM2SELF_STALE_TASK', `${WARNING_CODES.PM2SELF_STALE_TASK} (a)`],
      ['PM2SELF_SHUTDOWN_LISTENER', `${WARNING_CODES.PM2SELF_SHUTDOWN_LISTENER} (c)`],
    ]);
  });
});

describe("pm2's default kill_timeout while tasks are used", () => {
  it('warns once when the shutdown handler is installed and tasks begin (fork: kill_timeout not set)', async () => {
    const ports = managedPorts('fork');
    const warnings = recordWarnings(ports);
    const self = createPm2Self({ ports });
    self.installShutdownHandler();
    await settle();
    expect(warnings).toEqual([]);
    self.beginTask('a').end();
    self.beginTask('b').end();
    expect(warnings.map((w) => w.code)).toEqual(['PM2SELF_KILL_TIMEOUT_DEFAULT']);
  });

  it('a task already running when the handler learns the settings is enough', async () => {
    const ports = managedPorts('fork');
    const warnings = recordWarnings(ports);
    const self = createPm2Self({ ports });
    self.beginTask('long');
    self.installShutdownHandler();
    await settle();
    expect(warnings.map((w) => w.code)).toEqual(['PM2SELF_KILL_TIMEOUT_DEFAULT']);
  });

  it('stays silent with kill_timeout set (eco-fork: 3000 ms) or without the shutdown handler', async () => {
    const set = managedPorts('eco-fork');
    const setWarnings = recordWarnings(set);
    const withHandler = createPm2Self({ ports: set });
    withHandler.installShutdownHandler();
    await settle();
    withHandler.beginTask().end();
    const unset = managedPorts('fork');
    const unsetWarnings = recordWarnings(unset);
    const withoutHandler = createPm2Self({ ports: unset });
    await withoutHandler.getIdentity();
    withoutHandler.beginTask().end();
    expect([...setWarnings, ...unsetWarnings]).toEqual([]);
  });
});

describe('stale tasks', () => {
  it('a task older than staleTaskMs: one staleTask event per task, one warning, stale in runningTasks()', async () => {
    const ports = managedPorts('eco-fork');
    const warnings = recordWarnings(ports);
    const self = createPm2Self({ ports, staleTaskMs: 60_000 });
    const events: RestartEvents['staleTask'][] = [];
    self.on('staleTask', (event) => void events.push(event));
    const start = ports.clock.now();
    self.beginTask('forgotten');
    const ended = self.beginTask('ends');
    ports.clock.advance(59_999);
    ended.end();
    expect(events).toEqual([]);
    expect(self.runningTasks()).toEqual([
      { label: 'forgotten', startedAt: start, runningMs: 59_999, stale: false },
    ]);
    ports.clock.advance(1);
    expect(events).toEqual([
      { type: 'staleTask', label: 'forgotten', startedAt: start, runningMs: 60_000, stale: true },
    ]);
    expect(self.runningTasks()[0]?.stale).toBe(true);
    self.beginTask();
    ports.clock.advance(60_000);
    expect(events).toHaveLength(2);
    expect(warnings).toEqual([
      {
        code: 'PM2SELF_STALE_TASK',
        message: `${WARNING_CODES.PM2SELF_STALE_TASK} (task "forgotten" has run 60 s)`,
      },
    ]);
  });

  it("the operator's pm2-self:status reply marks the stale task", async () => {
    const ports = managedPorts('eco-fork');
    const self = createPm2Self({ ports, staleTaskMs: 1_000 });
    const sent: Array<{ type?: string; data?: { return?: { tasks?: unknown } } }> = [];
    let deliver: (message: unknown) => void = () => undefined;
    const channel: IpcChannel = {
      available: true,
      connected: true,
      send: async (message) => Boolean(sent.push(message as never)),
      onMessage: (listener) => ((deliver = listener), () => undefined),
    };
    self.exposeToPm2({ channel });
    self.beginTask('forgotten');
    ports.clock.advance(1_000);
    deliver('pm2-self:status');
    await settle();
    const reply = sent.find((message) => message.type === 'axm:reply');
    expect(reply?.data?.return?.tasks).toMatchObject({
      running: 1,
      list: [{ label: 'forgotten', runningMs: 1_000, stale: true }],
    });
  });
});

describe('another shutdown-signal listener (the real process port)', () => {
  const added: Array<[NodeJS.Signals, () => void]> = [];
  afterEach(() => {
    for (const [signal, listener] of added.splice(0)) process.off(signal, listener);
  });
  const rival = (signal: NodeJS.Signals) => {
    const listener = () => undefined;
    added.push([signal, listener]);
    process.on(signal, listener);
  };

  it('reports a listener there at install and one added later; never pm2-self’s own of another instance', () => {
    const seen: string[] = [];
    rival('SIGINT');
    const first = createNodeProcess().onShutdown(
      () => undefined,
      (signal) => void seen.push(signal),
    );
    const second = createNodeProcess().onShutdown(
      () => undefined,
      (signal) => void seen.push(`second ${signal}`),
    );
    rival('SIGTERM');
    first();
    second();
    rival('SIGINT');
    expect(seen).toEqual(['SIGINT', 'second SIGINT', 'SIGTERM', 'second SIGTERM']);
  });
});
