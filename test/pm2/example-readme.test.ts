/**
 * examples/readme: the README's complete example (the app and its ecosystem file, quoted verbatim by
 * the README) under a real pm2 daemon, with pm2's injected @pm2/io and with `pmx: false` (where an
 * unhandled rejection would crash the app). The hub is examples/ws-sidecar/hub.mjs. Needs `npm run build`.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, isProcessAlive, pm2WithEnv, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/readme');
const HUB = resolve(import.meta.dirname, '../../examples/ws-sidecar/hub.mjs');
const DIST = resolve(import.meta.dirname, '../../dist/index.js');

interface HubEvent {
  kind: 'connected' | 'message' | 'closed';
  connection: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- messages are whatever the app sent
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
  close(): Promise<void>;
}

const isMessage = (type: string) => (event: HubEvent) =>
  event.kind === 'message' && event.message?.type === type;
const label = (event: HubEvent) =>
  event.kind === 'message'
    ? `${String(event.message?.type)}${event.message?.id ? `:${String(event.message.id)}` : ''}`
    : event.kind === 'closed'
      ? `closed:${event.code}`
      : event.kind;

const VARIANTS = [
  { label: 'with @pm2/io', name: 'sidecar', pmx: true },
  { label: 'pmx: false', name: 'sidecar-nopmx', pmx: false },
] as const;

describe.each(VARIANTS)('examples/readme under real pm2 ($label)', ({ name, pmx }) => {
  let sandbox: Pm2Sandbox;
  let hub: Hub;
  const log = (stream: 'out' | 'error') =>
    readFile(join(sandbox.home, 'logs', `${name}-${stream}.log`), 'utf8').catch(() => '');

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('dist/index.js is missing: run `npm run build` first');
    const { startHub } = (await import(pathToFileURL(HUB).href)) as { startHub: () => Promise<Hub> };
    hub = await startHub();
    sandbox = await createPm2Sandbox('pm2-self-example-readme-');
    // The README's ecosystem file as it is, with only the name and pmx changed for this variant.
    const ecosystem = join(sandbox.home, 'ecosystem.config.cjs');
    await writeFile(
      ecosystem,
      `const { apps } = require(${JSON.stringify(join(EXAMPLE, 'ecosystem.config.cjs'))});\n` +
        `module.exports = { apps: apps.map((app) => ({ ...app, name: ${JSON.stringify(name)}, pmx: ${pmx} })) };\n`,
    );
    await pm2WithEnv(sandbox, ['start', ecosystem], { HUB_URL: hub.url });
  });

  afterAll(async () => {
    await hub?.close();
    await sandbox?.dispose();
  });

  it('identifies itself: tracked by pm2, no previous restart', async () => {
    const identify = await hub.waitFor(isMessage('identify'), { timeoutMs: 30_000 });
    const [entry] = await sandbox.jlist();
    expect(entry?.pm2_env).toMatchObject({ kill_timeout: 10000 });
    expect(identify.message.info).toMatchObject({
      name,
      pmId: entry?.pm_id,
      pid: entry?.pid,
      restarts: 0,
      relation: 'tracked',
      settings: { killTimeoutMs: 10000 },
    });
    expect(identify.message.lastRestart).toBeNull();
  });

  it('defers a restart for a running task, refuses a task meanwhile, tells the hub and comes back', async () => {
    const first = hub.events.filter(isMessage('identify')).at(-1) as HubEvent;
    const mark = hub.events.length;
    hub.send({ type: 'task', id: 't1', ms: 4000 });
    hub.send({ type: 'restart', reason: 'deploy' });
    const ack = await hub.waitFor(isMessage('restart-ack'), { from: mark });
    expect(ack.message.outcome).toEqual({ status: 'deferred', tasks: 1 });
    hub.send({ type: 'task', id: 't2', ms: 10 }); // refused: the restart waits with refuseNewTasks

    const second = await hub.waitFor(isMessage('identify'), { from: mark, timeoutMs: 30_000 });
    expect(hub.events.slice(mark).map(label)).toEqual([
      'restart-ack',
      'task-refused:t2',
      'task-done:t1',
      'restarting',
      'closed:1012',
      'connected',
      'identify',
    ]);
    const notice = hub.events.slice(mark).find(isMessage('restarting'));
    expect(notice?.message).toEqual({ type: 'restarting', reason: 'deploy' });
    expect(notice?.connection).toBe(first.connection);

    const firstPid = first.message.info.pid as number;
    expect(second.message.info).toMatchObject({ restarts: 1, relation: 'tracked' });
    expect(second.message.info.pid).not.toBe(firstPid);
    expect(second.message.lastRestart).toMatchObject({
      initiator: 'self',
      reason: 'deploy',
      signal: null,
      previousPid: firstPid,
      strategy: 'exit',
      forced: false,
      tasksCut: 0,
    });
    expect(await isProcessAlive(firstPid)).toBe(false);
    const [entry] = await sandbox.jlist();
    expect(entry).toMatchObject({
      pid: second.message.info.pid,
      pm2_env: { status: 'online', restart_time: 1, unstable_restarts: 0 },
    });
    expect(await log('out')).toContain('restart "deploy" waits for 1 task(s)');
  });

  it('pm2 restart waits for the running task within kill_timeout, then the hook leaves the hub', async () => {
    const before = hub.events.filter(isMessage('identify')).at(-1) as HubEvent;
    const mark = hub.events.length;
    hub.send({ type: 'task', id: 't3', ms: 2000 });
    await pm2WithEnv(sandbox, ['restart', name], { HUB_URL: hub.url });

    const after = await hub.waitFor(isMessage('identify'), { from: mark, timeoutMs: 30_000 });
    expect(hub.events.slice(mark).map(label)).toEqual([
      'task-done:t3',
      'restarting',
      'closed:1012',
      'connected',
      'identify',
    ]);
    expect(hub.events.slice(mark).find(isMessage('restarting'))?.message.reason).toBe('pm2 SIGINT');
    expect(after.message.info.restarts).toBe(2);
    expect(after.message.lastRestart).toMatchObject({
      initiator: 'pm2',
      signal: 'SIGINT',
      reason: 'pm2 SIGINT',
      previousPid: before.message.info.pid,
      strategy: 'shutdown',
      tasksCut: 0,
    });
    expect(await log('out')).toContain('pm2 stops this process (SIGINT)');
    // Nothing crashed along the way: no error output, and pm2 counted only the two restarts.
    expect(await log('error')).toBe('');
    const [entry] = await sandbox.jlist();
    expect(entry?.pm2_env).toMatchObject({ status: 'online', restart_time: 2, unstable_restarts: 0 });
  });
});
