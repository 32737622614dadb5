import { access, constants, readdir } from 'node:fs';
import { homedir } from 'node:os';
import { callDaemon, sendToDaemon } from './rpc-client.js';
import { createSpawnRunner } from './spawn-runner.js';
import { listenUncounted } from './uncounted-listener.js';
import {
  createSafely,
  listSafely,
  modifiedSafely,
  readSafely,
  readStampedSafely,
  removeSafely,
  replaceAbandonedSafely,
  storeProblemSafely,
  writeSafely,
} from './store-files.js';
import type {
  Clock,
  DaemonClient,
  FileSystem,
  Ports,
  ProcessFacts,
  ProcessPort,
  RpcResult,
  ShutdownSignal,
} from './ports.js';

/** A clock over the real timers (wall and monotonic); every timer is unref'd. */
export function createNodeClock(): Clock {
  return {
    now: () => Date.now(),
    monotonicNow: () => performance.now(),
    setTimeout(callback, delayMs) {
      const timer = setTimeout(callback, Math.max(0, delayMs));
      timer.unref();
      return timer;
    },
    clearTimeout(handle) {
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
}

/** Reads a small regular text file; null when it cannot be read (see {@link readSafely}). */
const readText = readSafely;

/** File access over `node:fs` through the store's checks; failures are results, not exceptions. */
export function createNodeFileSystem(): FileSystem {
  return {
    readText,
    writeText: writeSafely,
    remove: removeSafely,
    whyUnreadable: (path) =>
      new Promise((resolve) =>
        access(path, constants.R_OK, (error) => {
          if (error?.code === 'ENOENT' || error?.code === 'ENOTDIR') resolve('missing');
          else if (error?.code === 'EACCES' || error?.code === 'EPERM') resolve('denied');
          else resolve('other');
        }),
      ),
    list: listSafely,
    createExclusive: createSafely,
    readStamped: readStampedSafely,
    modifiedAt: modifiedSafely,
    replaceAbandoned: replaceAbandonedSafely,
    storeProblem: storeProblemSafely,
  };
}

async function parentPidOf(pid: number): Promise<number | null> {
  if (process.platform !== 'linux') return null;
  const stat = await readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number.parseInt(fields[1] ?? '', 10);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : null;
}

/** Children of a process: the union over its threads of `/proc/<pid>/task/<tid>/children`. */
async function childCount(pid: number): Promise<number | null> {
  const threads = await new Promise<string[] | null>((resolve) =>
    readdir(`/proc/${pid}/task`, (error, names) => resolve(error ? null : names)),
  );
  if (threads === null) return null;
  const children = new Set<string>();
  for (const thread of threads) {
    const text = await readText(`/proc/${pid}/task/${thread}/children`);
    if (text === null) return null;
    for (const child of text.split(' ')) if (child.trim() !== '') children.add(child.trim());
  }
  return children.size;
}

async function describe(pid: number): Promise<ProcessFacts | null> {
  if (process.platform !== 'linux') return null;
  const [ppid, cmdline, children] = await Promise.all([
    parentPidOf(pid),
    readText(`/proc/${pid}/cmdline`),
    childCount(pid),
  ]);
  if (ppid === null || cmdline === null) return null;
  return { pid, ppid, argv: cmdline.split('\0').filter((part) => part !== ''), children };
}

/** A referenced timer that holds the event loop open until released. */
function keepAlive(): () => void {
  const timer = setInterval(() => undefined, 1 << 30);
  return () => clearInterval(timer);
}

/** Listens for pm2's `'shutdown'` message without keeping the process alive (see {@link listenUncounted}). */
function listenForShutdownMessage(listener: () => void): () => void {
  return listenUncounted((message) => {
    if (message === 'shutdown') listener();
  });
}

/** Marks pm2-self's own signal listeners (a registry symbol: the ESM and CJS copies agree). */
const OWN_LISTENER = Symbol.for('pm2-self.shutdown-listener');

/** The running Node process. The one `process.exit` of pm2-self is here. */
export function createNodeProcess(): ProcessPort {
  return {
    pid: process.pid,
    get ppid() {
      return process.ppid;
    },
    platform: process.platform,
    env: process.env,
    homedir,
    uptimeSeconds: () => process.uptime(),
    residentMemoryBytes: () => process.memoryUsage.rss(),
    heapUsedBytes: () => process.memoryUsage().heapUsed,
    isAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
    parentPidOf,
    exit(code) {
      process.exit(code);
    },
    describe,
    keepAlive,
    onShutdown(listener, onOtherListener) {
      // Marked, so that another pm2-self instance (or the other build's copy) is not taken for a rival.
      const onSignal = Object.assign((signal: ShutdownSignal) => listener(signal), { [OWN_LISTENER]: true });
      const isOther = (fn: unknown) => (fn as Record<symbol, unknown>)[OWN_LISTENER] !== true;
      const signals: readonly ShutdownSignal[] = ['SIGINT', 'SIGTERM'];
      for (const signal of signals) {
        if (process.listeners(signal).some(isOther)) onOtherListener?.(signal);
        process.on(signal, onSignal);
      }
      const onNewListener = (event: string | symbol, added: unknown) => {
        if ((event === 'SIGINT' || event === 'SIGTERM') && isOther(added)) onOtherListener?.(event);
      };
      if (onOtherListener) process.on('newListener', onNewListener);
      const stopListening = listenForShutdownMessage(() => listener('message'));
      return () => {
        for (const signal of signals) process.off(signal, onSignal);
        process.off('newListener', onNewListener);
        stopListening();
      };
    },
    warn(code, message) {
      process.emitWarning(message, { type: 'Pm2SelfWarning', code });
    },
  };
}

/** The daemon's RPC socket; a call with `waitForReply: false` resolves once the request is written. */
export function createSocketDaemonClient(): DaemonClient {
  return {
    call<T>(
      socketPath: string,
      method: string,
      arg: unknown,
      options: { timeoutMs: number; waitForReply?: boolean; maxReplyBytes?: number },
    ) {
      return options.waitForReply === false
        ? (sendToDaemon(socketPath, method, arg, { timeoutMs: options.timeoutMs }) as Promise<RpcResult<T>>)
        : callDaemon<T>(socketPath, method, arg, {
            timeoutMs: options.timeoutMs,
            maxReplyBytes: options.maxReplyBytes,
          });
    },
  };
}

/** The real ports: timers, files, child_process.spawn, the daemon socket and this process. */
export function createNodePorts(): Ports {
  return {
    clock: createNodeClock(),
    runner: createSpawnRunner(),
    daemon: createSocketDaemonClient(),
    fs: createNodeFileSystem(),
    process: createNodeProcess(),
  };
}
