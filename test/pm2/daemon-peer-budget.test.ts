/**
 * A peer on `rpc.sock` that is not a healthy pm2 daemon, over a real Unix socket: one that never
 * answers, and one that announces a reply larger than `maxListBytes`. `queryTimeoutMs` is the whole
 * query's budget (no second step after the socket timed out), and `maxListBytes` holds on the socket
 * route too. The answers are typed reasons; nothing throws, nothing is started.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import { createAmpDecoder, encodeMessage } from '../../src/ports/amp-codec.js';
import { createNodeProcess } from '../../src/ports/node-ports.js';
import type { ProcessPort } from '../../src/ports/ports.js';

interface Peer {
  readonly home: string;
  readonly connections: () => number;
  close(): Promise<void>;
}

/**
 * A fake daemon home: pm2.pid names this (live) process, and `onData` answers on rpc.sock: on a
 * connection's first data, or (`wholeStream`) given the new connection to read all of it.
 */
async function startPeer(onData: (socket: Socket) => void, wholeStream = false): Promise<Peer> {
  const home = await mkdtemp(join(tmpdir(), 'pm2-self-peer-'));
  await writeFile(join(home, 'pm2.pid'), String(process.pid));
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (wholeStream) onData(socket);
    else socket.once('data', () => onData(socket));
  });
  await new Promise<void>((resolve) => server.listen(join(home, 'rpc.sock'), resolve));
  return {
    home,
    connections: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** This process, outside pm2, with `home` as its PM2_HOME. */
function processIn(home: string): ProcessPort {
  const real = createNodeProcess();
  return { ...real, ppid: real.ppid, env: { PATH: process.env.PATH, PM2_HOME: home } };
}

describe('a peer on rpc.sock that misbehaves', () => {
  let peer: Peer | undefined;
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });

  it('never answers: the query ends as a timeout within its one budget, without a second step', async () => {
    peer = await startPeer(() => undefined);
    // Route auto: the socket, then the CLI if the socket's answer were unusable.
    const self = createPm2Self({
      route: 'auto',
      queryTimeoutMs: 400,
      pm2Bin: '/nonexistent/pm2',
      ports: { process: processIn(peer.home) },
    });
    const identity = await self.getIdentity();
    expect(identity).toMatchObject({ managed: false, reason: 'timeout' });
    // One connection: the list request. No ping and no CLI after the budget was spent.
    expect(peer.connections()).toBe(1);
  });

  it('answers the version request late and the list never: the first query still ends within one budget', async () => {
    const budgetMs = 1500;
    const methods: string[] = [];
    peer = await startPeer((socket) => {
      const decoder = createAmpDecoder();
      const onRequest = (message: unknown[]) => {
        const [request, id] = message as [{ method?: string }, string];
        methods.push(String(request.method));
        // pm2 7.0.4 answers getVersion with its version; this peer takes two thirds of the budget.
        if (request.method === 'getVersion')
          setTimeout(() => socket.write(encodeMessage([{ args: ['7.0.4'] }, id])), (budgetMs * 2) / 3);
      };
      socket.on('data', (chunk) => decoder.push(chunk).messages.forEach(onRequest));
    }, true);
    const self = createPm2Self({
      route: 'rpc',
      queryTimeoutMs: budgetMs,
      ports: { process: processIn(peer.home) },
    });
    const started = performance.now();
    const identity = await self.getIdentity();
    const tookMs = performance.now() - started;
    expect(identity).toMatchObject({ managed: false, reason: 'timeout' });
    expect(methods).toEqual(['getVersion', 'getMonitorData']);
    // One budget: the list got what the version check left. Two budgets' worth (the old behaviour)
    // would end near 2500 ms; the margin absorbs a loaded machine.
    expect(tookMs).toBeLessThan(budgetMs * 1.35);
  });

  it('announces a reply larger than maxListBytes: outputTooLarge, read no further', async () => {
    // AMP frame header: version 1 with one argument, then an argument of 512 MiB.
    const header = Buffer.from([0x11, 0x20, 0x00, 0x00, 0x00]);
    peer = await startPeer((socket) => socket.write(header));
    const self = createPm2Self({
      route: 'rpc',
      maxListBytes: 1024 * 1024,
      ports: { process: processIn(peer.home) },
    });
    expect(await self.getIdentity()).toMatchObject({ managed: false, reason: 'outputTooLarge' });
  });
});
