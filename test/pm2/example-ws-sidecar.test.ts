/**
 * examples/ws-sidecar: the real hub (examples/ws-sidecar/hub.mjs) and the real sidecar under a
 * real pm2 daemon (private sandbox). Needs `npm run build` (the example imports dist/).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, PM2_BIN, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/ws-sidecar');
const DIST = resolve(import.meta.dirname, '../../dist/index.js');

interface HubEvent {
  kind: 'connected' | 'message' | 'closed';
  connection: number;
  at: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- messages are whatever the sidecar sent
  message?: any;
  code?: number;
  reason?: string;
}
interface Hub {
  url: string;
  events: HubEvent[];
  waitFor(
    predicate: (event: HubEvent) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<HubEvent>;
  send(message: unknown): void;
  disconnect(): void;
  close(): Promise<void>;
}

const isMessage = (type: string) => (event: HubEvent) =>
  event.kind === 'message' && event.message?.type === type;
const label = (event: HubEvent) =>
  event.kind === 'message'
    ? String(event.message?.type)
    : event.kind === 'closed'
      ? `closed:${event.code}`
      : event.kind;

describe('examples/ws-sidecar under real pm2', () => {
  let sandbox: Pm2Sandbox;
  let hub: Hub;

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('dist/index.js is missing: run `npm run build` first');
    const { startHub } = (await import(pathToFileURL(resolve(EXAMPLE, 'hub.mjs')).href)) as {
      startHub: () => Promise<Hub>;
    };
    hub = await startHub();
    sandbox = await createPm2Sandbox('pm2-self-example-ws-');
    await execa(process.execPath, [PM2_BIN, 'start', resolve(EXAMPLE, 'ecosystem.config.cjs')], {
      env: { ...sandbox.env, HUB_URL: hub.url },
      extendEnv: false,
      timeout: 30_000,
    });
  });

  afterAll(async () => {
    await hub?.close();
    await sandbox?.dispose();
  });

  it('defers the restart for a running task, tells the hub, closes with 1012 and comes back with the record', async () => {
    const first = await hub.waitFor(isMessage('identify'), { timeoutMs: 30_000 });
    const [entry] = await sandbox.jlist();
    expect(first.message.info).toMatchObject({
      name: 'ws-sidecar',
      pmId: entry?.pm_id,
      pid: entry?.pid,
      restarts: 0,
      relation: 'tracked',
    });
    expect(first.message.lastRestart).toBeNull();

    const mark = hub.events.length;
    hub.send({ type: 'task', id: 't1', ms: 1500 });
    hub.send({ type: 'restart', reason: 'config changed' });
    const second = await hub.waitFor(isMessage('identify'), { from: mark, timeoutMs: 30_000 });

    const after = hub.events.slice(mark);
    expect(after.map(label)).toEqual([
      'restart-ack',
      'task-done',
      'restarting',
      'closed:1012',
      'connected',
      'identify',
    ]);
    const [ack, done, notice, closed, connected] = after;
    expect(ack?.message.outcome).toEqual({ status: 'deferred', tasks: 1 });
    expect(done?.message).toEqual({ type: 'task-done', id: 't1' });
    expect(notice?.message).toEqual({ type: 'restarting', reason: 'config changed' });
    // The notice arrived on the old connection, before that connection's close handshake.
    expect(notice?.connection).toBe(first.connection);
    expect(closed).toMatchObject({ connection: first.connection, code: 1012, reason: 'restarting' });
    expect(connected?.connection).toBe(first.connection + 1);

    const firstPid = first.message.info.pid as number;
    expect(second.message.info.pid).not.toBe(firstPid);
    expect(second.message.info.restarts).toBe(first.message.info.restarts + 1);
    expect(second.message.lastRestart).toMatchObject({
      initiator: 'self',
      reason: 'config changed',
      pmId: first.message.info.pmId,
      previousPid: firstPid,
      previousRestarts: 0,
      strategy: 'exit',
      forced: false,
      tasksCut: 0,
    });

    const [now] = await sandbox.jlist();
    expect(now).toMatchObject({
      pid: second.message.info.pid,
      pm2_env: { status: 'online', restart_time: 1, unstable_restarts: 0 },
    });
  });

  it('reconnects when the hub drops the connection, without restarting', async () => {
    const before = hub.events.filter(isMessage('identify')).at(-1);
    const mark = hub.events.length;
    hub.disconnect();
    const again = await hub.waitFor(isMessage('identify'), { from: mark, timeoutMs: 30_000 });
    expect(hub.events.slice(mark).map(label)).toEqual(['closed:1006', 'connected', 'identify']);
    expect(again.message.info.pid).toBe(before?.message.info.pid);
    expect(again.message.info.restarts).toBe(before?.message.info.restarts);
  });
});
