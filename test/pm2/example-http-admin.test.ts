/**
 * examples/http-admin: the admin server under a real pm2 daemon (private sandbox): every error
 * status, the process surviving all of them, then an authorized restart. Needs `npm run build`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { cleanEnv, createPm2Sandbox, PM2_BIN, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/http-admin');
const DIST = resolve(import.meta.dirname, '../../dist/index.js');
const TOKEN = randomBytes(24).toString('base64url');

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the server
  body: any;
}

describe('examples/http-admin under real pm2', () => {
  let sandbox: Pm2Sandbox;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const json = { ...auth, 'content-type': 'application/json' };

  const call = async (
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: RequestInit['body']; duplex?: 'half' } = {},
  ): Promise<Answer> => {
    const response = await fetch(base + path, { method, ...init } as RequestInit);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  };

  const identity = async () => {
    const answer = await call('GET', '/admin/identity', { headers: auth });
    expect(answer.status).toBe(200);
    return answer.body;
  };

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('dist/index.js is missing: run `npm run build` first');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    sandbox = await createPm2Sandbox('pm2-self-example-http-');
    await execa(process.execPath, [PM2_BIN, 'start', resolve(EXAMPLE, 'ecosystem.config.cjs')], {
      env: { ...sandbox.env, ADMIN_TOKEN: TOKEN, PORT: String(port) },
      extendEnv: false,
      timeout: 30_000,
    });
    await sandbox.waitFor((list) => list[0]?.pm2_env.status === 'online');
    // Until it listens, connections are refused: retry a bounded number of times.
    for (let attempt = 0; ; attempt++) {
      try {
        await fetch(`${base}/admin/identity`);
        break;
      } catch (error) {
        if (attempt > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('refuses to start without ADMIN_TOKEN', async () => {
    const result = await execa(process.execPath, [resolve(EXAMPLE, 'server.mjs')], {
      env: cleanEnv({ ADMIN_TOKEN: '' }),
      extendEnv: false,
      reject: false,
      timeout: 10_000,
    });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toContain('ADMIN_TOKEN is not set');
  });

  it('answers every bad request with its status and keeps running', async () => {
    const before = await identity();
    expect(before.info).toMatchObject({ name: 'http-admin', status: 'online', restarts: 0 });

    const noToken = await call('GET', '/admin/identity');
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toBe('Bearer');
    expect(
      (await call('POST', '/admin/restart', { headers: { authorization: `Bearer ${TOKEN}x` } })).status,
    ).toBe(401);
    expect(
      (await call('POST', '/admin/restart', { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } }))
        .status,
    ).toBe(401);
    expect(
      (await call('POST', '/admin/restart', { headers: { authorization: `Basic ${TOKEN}` } })).status,
    ).toBe(401);
    expect((await call('POST', '/admin/restart', { headers: { authorization: 'Bearer' } })).status).toBe(401);

    expect((await call('POST', '/admin/restart', { headers: json, body: '{"reason":' })).status).toBe(400);
    expect((await call('POST', '/admin/restart', { headers: json, body: '[]' })).status).toBe(400);
    expect((await call('POST', '/admin/restart', { headers: json, body: 'null' })).status).toBe(400);
    expect((await call('POST', '/admin/restart', { headers: json, body: '{"reason":42}' })).status).toBe(400);
    expect((await call('POST', '/admin/restart', { headers: json, body: '{"reason":""}' })).status).toBe(400);
    expect(
      (await call('POST', '/admin/restart', { headers: json, body: '{"deadlineMs":"5000"}' })).status,
    ).toBe(400);
    expect((await call('POST', '/admin/restart', { headers: json, body: '{"deadlineMs":-1}' })).status).toBe(
      400,
    );
    expect((await call('POST', '/admin/restart', { headers: json, body: '{"force":true}' })).status).toBe(
      400,
    );

    // Declared too large: refused before reading.
    const declared = await call('POST', '/admin/restart', {
      headers: json,
      body: JSON.stringify({ reason: 'x'.repeat(17 * 1024) }),
    });
    expect(declared.status).toBe(413);
    // Streamed (chunked, no length): refused once the count passes 16 KiB.
    const chunk = new TextEncoder().encode('x'.repeat(4096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    expect(
      (await call('POST', '/admin/restart', { headers: json, body: stream, duplex: 'half' })).status,
    ).toBe(413);

    // A client that keeps streaming past the lingering bound is cut off; the server does not care.
    let huge = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (huge++ < 1024) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const cut = await call('POST', '/admin/restart', { headers: json, body: endless, duplex: 'half' }).catch(
      () => null,
    );
    expect(cut === null || cut.status === 413).toBe(true);

    const wrongMethod = await call('DELETE', '/admin/restart', { headers: auth });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await call('POST', '/admin/identity', { headers: auth })).status).toBe(405);
    expect((await call('GET', '/admin/nothing-here', { headers: auth })).status).toBe(404);
    expect((await call('GET', '/', { headers: auth })).status).toBe(404);

    const after = await identity();
    expect(after.info.pid).toBe(before.info.pid);
    expect(after.restartPending).toBe(false);
    const [entry] = await sandbox.jlist();
    expect(entry).toMatchObject({ pid: before.info.pid, pm2_env: { status: 'online', restart_time: 0 } });
  });

  it('restarts on an authorized request and comes back with a new pid and the record', async () => {
    const before = await identity();
    const answer = await call('POST', '/admin/restart', {
      headers: json,
      body: JSON.stringify({ reason: 'rotate certs', deadlineMs: 10_000 }),
    });
    expect(answer.status).toBe(202);
    expect(answer.body.outcome).toMatchObject({ status: 'restarting', strategy: { type: 'exit' } });

    const list = await sandbox.waitFor(
      (l) =>
        l[0]?.pm2_env.status === 'online' && l[0].pid !== before.info.pid && l[0].pm2_env.restart_time === 1,
    );
    const newPid = list[0]?.pid;
    const after = await (async () => {
      for (let attempt = 0; ; attempt++) {
        const answer = await call('GET', '/admin/identity', { headers: auth }).catch(() => null);
        if (answer?.body?.info?.pid === newPid || attempt >= 100) return answer;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    expect(after?.body.info).toMatchObject({ pid: newPid, restarts: 1 });
    expect(after?.body.lastRestart).toMatchObject({
      initiator: 'self',
      reason: 'rotate certs',
      previousPid: before.info.pid,
      strategy: 'exit',
    });
    // The hook (answer sent, then the server closed) finished within its budget: no hookFailed.
    expect(await readFile(join(sandbox.home, 'logs', 'http-admin-error.log'), 'utf8')).not.toContain('hook');
  });
});
