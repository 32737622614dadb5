/**
 * examples/healing/hub-health.mjs under a real pm2 daemon (private sandbox): the hub goes away, the
 * health check fails for UNHEALTHY_FOR_MS, the sidecar restarts gracefully, and the next generation
 * (connected again once the hub is back) logs the reason. Needs `npm run build`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { freePort } from '../helpers/free-port.js';
import { createPm2Sandbox, PM2_BIN, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/healing/hub-health.mjs');
const DIST = resolve(import.meta.dirname, '../../dist/index.js');

/** A hub that counts connections; `stop()` closes it and every connection. */
function startHub(port: number) {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  const hub = { connections: 0 };
  server.on('connection', () => (hub.connections += 1));
  const stop = () =>
    new Promise<void>((done) => {
      for (const client of server.clients) client.terminate();
      server.close(() => done());
    });
  return Object.assign(hub, { stop, ready: new Promise((r) => server.once('listening', r)) });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  for (const until = Date.now() + timeoutMs; Date.now() < until;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('examples/healing/hub-health under real pm2', () => {
  let sandbox: Pm2Sandbox;
  let port: number;

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('dist/index.js is missing: run `npm run build` first');
    port = await freePort();
    sandbox = await createPm2Sandbox('pm2-self-example-healing-');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('the hub goes away: after UNHEALTHY_FOR_MS the sidecar restarts, and says why once back', async () => {
    let hub = startHub(port);
    await hub.ready;
    await execa(process.execPath, [PM2_BIN, 'start', EXAMPLE, '--name', 'hub-health'], {
      env: {
        ...sandbox.env,
        HUB_URL: `ws://127.0.0.1:${port}`,
        UNHEALTHY_FOR_MS: '1500',
        CHECK_EVERY_MS: '250',
      },
      extendEnv: false,
      timeout: 30_000,
    });
    await waitFor(async () => (hub.connections > 0 ? true : undefined), 'the first connection');
    await hub.stop();
    const out = join(sandbox.home, 'logs', 'hub-health-out.log');
    const log = () => readFile(out, 'utf8').catch(() => '');
    await waitFor(
      async () => ((await sandbox.jlist())[0]?.pm2_env.restart_time === 1 ? true : undefined),
      'the restart',
    );
    hub = startHub(port);
    await hub.ready;
    await waitFor(
      async () => (hub.connections > 0 ? true : undefined),
      'the connection of the new generation',
    );
    const line = await waitFor(
      async () => (await log()).split('\n').find((l) => l.startsWith('hub-health: restarted because')),
      'the reason in the log',
    );
    expect(line).toMatch(/^hub-health: restarted because health check failing for \d+ ms: returned false$/);
    await hub.stop();
  });
});
