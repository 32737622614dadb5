import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type JlistEntry, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PM2_RELEASES } from '../helpers/pm2-releases.js';
import { callDaemon, sendToDaemon } from '../../src/ports/rpc-client.js';
import { encodeMessage } from '../../src/ports/amp-codec.js';

type MonitorEntry = Pick<JlistEntry, 'pid' | 'name' | 'pm_id' | 'pm2_env'>;
const summary = (list: readonly MonitorEntry[]) =>
  list.map((p) => ({ pm_id: p.pm_id, pid: p.pid, name: p.name })).sort((a, b) => a.pm_id - b.pm_id);
const opts = { timeoutMs: 5_000 };

describe.each(PM2_RELEASES)('callDaemon against a real pm2 daemon ($label)', (release) => {
  let sandbox: Pm2Sandbox;
  let rpc: string;

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-rpc-client-', { bin: release.bin });
    rpc = join(sandbox.home, 'rpc.sock');
    const app = join(sandbox.home, 'app.cjs');
    await writeFile(app, 'setInterval(() => {}, 1000);\n');
    await sandbox.pm2(['start', app, '--name', 'x']);
    await sandbox.waitFor((list) =>
      list.some((p) => p.name === 'x' && p.pm2_env.status === 'online' && p.pid > 0),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('pings the daemon', async () => {
    expect(await callDaemon(rpc, 'ping', {}, opts)).toEqual({ ok: true, value: { msg: 'pong' } });
    // undefined is sent as {} like pm2's Client does
    expect(await callDaemon(rpc, 'ping', undefined, opts)).toEqual({ ok: true, value: { msg: 'pong' } });
  });

  it('reads the daemon version', async () => {
    expect(await callDaemon(rpc, 'getVersion', {}, opts)).toEqual({ ok: true, value: release.version });
  });

  it('getMonitorData returns what pm2 jlist shows', async () => {
    const result = await callDaemon<MonitorEntry[]>(rpc, 'getMonitorData', {}, opts);
    const jlist = await sandbox.jlist();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(summary(result.value)).toEqual(summary(jlist));
    expect(summary(result.value)).toEqual([{ pm_id: 0, pid: expect.any(Number), name: 'x' }]);
    expect(result.value[0]?.pid).toBeGreaterThan(0);
  });

  it('answers getMonitorData in a few milliseconds', async () => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = process.hrtime.bigint();
      const result = await callDaemon(rpc, 'getMonitorData', {}, opts);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      expect(result.ok).toBe(true);
    }
    times.sort((a, b) => a - b);
    const median = ((times[9] ?? 0) + (times[10] ?? 0)) / 2;
    console.log(
      `getMonitorData round trip, 1 app: median ${median.toFixed(2)} ms, min ${times[0]?.toFixed(2)} ms, max ${times[19]?.toFixed(2)} ms`,
    );
  });

  it('reports an unknown method as remoteError', async () => {
    expect(await callDaemon(rpc, 'noSuchMethod', {}, opts)).toEqual({
      ok: false,
      reason: 'remoteError',
      message: 'method "noSuchMethod" does not exist',
    });
  });

  it('reports a failing method as remoteError', async () => {
    const result = await callDaemon(rpc, 'restartProcessId', { id: 999 }, opts);
    expect(result).toMatchObject({ ok: false, reason: 'remoteError' });
    if (!result.ok) expect(result.message).toMatch(/unknown/i);
  });

  it('sends a null argument as {} so the daemon survives (null would crash it)', async () => {
    const daemon = await sandbox.daemonPid();
    const result = await callDaemon(rpc, 'restartProcessId', null, opts);
    expect(result).toEqual({
      ok: false,
      reason: 'remoteError',
      message: 'opts.id not passed to restartProcessId',
    });
    expect(await callDaemon(rpc, 'ping', {}, opts)).toEqual({ ok: true, value: { msg: 'pong' } });
    expect(await sandbox.daemonPid()).toBe(daemon);
  });

  it('restartProcessId fire-and-forget restarts the app', async () => {
    const before = (await sandbox.jlist()).find((p) => p.name === 'x');
    expect(before?.pm2_env.restart_time).toBe(0);
    expect(await sendToDaemon(rpc, 'restartProcessId', { id: before?.pm_id }, opts)).toEqual({
      ok: true,
      value: undefined,
    });
    const after = await sandbox.waitFor((list) =>
      list.some(
        (p) => p.name === 'x' && p.pm2_env.restart_time === 1 && p.pm2_env.status === 'online' && p.pid > 0,
      ),
    );
    const entry = after.find((p) => p.name === 'x');
    expect(entry?.pid).not.toBe(before?.pid);
    const viaRpc = await callDaemon<MonitorEntry[]>(rpc, 'getMonitorData', {}, opts);
    expect(viaRpc.ok && viaRpc.value[0]?.pm2_env.restart_time).toBe(1);
  });
});

describe('callDaemon without a daemon, or with a bad peer', () => {
  let dir: string;
  const servers: Server[] = [];
  const peers: Socket[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pm2-self-rpc-'));
  });

  afterAll(async () => {
    for (const peer of peers) peer.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(name: string, onConnection: (socket: Socket) => void): Promise<string> {
    const path = join(dir, name);
    const server = createServer((socket) => {
      peers.push(socket);
      socket.on('error', () => {});
      onConnection(socket);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return path;
  }

  it('gives noDaemon for a missing socket and starts nothing', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pm2-self-empty-'));
    try {
      const rpc = join(home, 'rpc.sock');
      const result = await callDaemon(rpc, 'ping', {}, opts);
      expect(result).toMatchObject({ ok: false, reason: 'noDaemon' });
      expect(await sendToDaemon(rpc, 'ping', {}, opts)).toMatchObject({ ok: false, reason: 'noDaemon' });
      await new Promise((r) => setTimeout(r, 300));
      // no pm2.pid, no rpc.sock, nothing at all; and still nobody listening
      expect(await readdir(home)).toEqual([]);
      const probe = await new Promise<string>((resolve) => {
        const socket = connect({ path: rpc });
        socket.on('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect(probe).toBe('ENOENT');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('gives noDaemon for a stale socket file (ECONNREFUSED)', async () => {
    const path = join(dir, 'stale.sock');
    // a server that dies without unlinking its socket, as a SIGKILLed daemon does
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((resolve) => child.on('exit', resolve));
    expect(await readdir(dir)).toContain('stale.sock');
    const result = await callDaemon(path, 'ping', {}, opts);
    expect(result).toMatchObject({ ok: false, reason: 'noDaemon' });
    if (!result.ok) expect(result.message).toMatch(/ECONNREFUSED/);
  });

  it('gives timeout when the peer never answers', async () => {
    const path = await serve('silent.sock', () => {});
    const start = Date.now();
    const result = await callDaemon(path, 'ping', {}, { timeoutMs: 200 });
    const elapsed = Date.now() - start;
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(190);
  });

  it('gives protocol when the peer sends garbage', async () => {
    const path = await serve('garbage.sock', (socket) => socket.write('hello, this is not AMP\n'));
    const result = await callDaemon(path, 'ping', {}, opts);
    expect(result).toMatchObject({ ok: false, reason: 'protocol' });
    if (!result.ok) expect(result.message).toMatch(/badVersion/);
  });

  it('gives protocol for a well-formed reply to another request', async () => {
    const path = await serve('wrong-id.sock', (socket) =>
      socket.write(encodeMessage([{ args: [1] }, 'someone-else:0'])),
    );
    expect(await callDaemon(path, 'ping', {}, opts)).toMatchObject({ ok: false, reason: 'protocol' });
  });

  it('decodes a reply split across writes, with the request id echoed', async () => {
    const path = await serve('slow.sock', (socket) => {
      socket.on('data', (data) => {
        const id = (data.toString('latin1').match(/s:(\d+:\d+)$/) ?? [])[1] ?? '';
        const reply = encodeMessage([{ args: [{ big: 'y'.repeat(100_000) }] }, id]);
        socket.write(reply.subarray(0, 3));
        setTimeout(() => socket.write(reply.subarray(3)), 20);
      });
    });
    expect(await callDaemon(path, 'anything', {}, opts)).toEqual({
      ok: true,
      value: { big: 'y'.repeat(100_000) },
    });
  });

  it('passes a non-Error remote error through as text', async () => {
    const path = await serve('err.sock', (socket) => {
      socket.on('data', (data) => {
        const id = (data.toString('latin1').match(/s:(\d+:\d+)$/) ?? [])[1] ?? '';
        socket.write(encodeMessage([{ error: { code: 42 } }, id]));
      });
    });
    expect(await callDaemon(path, 'x', {}, opts)).toEqual({
      ok: false,
      reason: 'remoteError',
      message: '{"code":42}',
    });
  });

  it('gives closed when the peer hangs up before replying', async () => {
    const path = await serve('hangup.sock', (socket) => socket.on('data', () => socket.end()));
    expect(await callDaemon(path, 'ping', {}, opts)).toMatchObject({ ok: false, reason: 'closed' });
  });

  it('gives closed when the caller aborts, before or during the call', async () => {
    const path = await serve('abort.sock', () => {});
    expect(await callDaemon(path, 'ping', {}, { ...opts, signal: AbortSignal.abort() })).toMatchObject({
      ok: false,
      reason: 'closed',
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    expect(await callDaemon(path, 'ping', {}, { ...opts, signal: controller.signal })).toEqual({
      ok: false,
      reason: 'closed',
      message: 'aborted: caller gave up',
    });
  });

  it('sendToDaemon resolves once the request is written, without a reply', async () => {
    const received: Buffer[] = [];
    const path = await serve('sink.sock', (socket) => socket.on('data', (d) => received.push(d)));
    expect(await sendToDaemon(path, 'restartProcessId', { id: 3 }, opts)).toEqual({
      ok: true,
      value: undefined,
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(Buffer.concat(received).toString('latin1')).toContain(
      '"method":"restartProcessId","args":[{"id":3}]',
    );
  });

  it('gives protocol, without throwing, for an argument JSON cannot encode', async () => {
    expect(await callDaemon(join(dir, 'none.sock'), 'ping', { n: 1n }, opts)).toMatchObject({
      ok: false,
      reason: 'protocol',
    });
  });
});
