/**
 * The source of the watchdog thread, run with `new Worker(source, { eval: true })`: the package
 * ships it inside both builds (ESM and CommonJS), with no extra file to resolve at run time. It loads
 * builtins with `process.getBuiltinModule`, so it runs as a script or as a module alike.
 *
 * The thread polls the main loop's heartbeat (a SharedArrayBuffer the main thread writes with
 * `Atomics.store`). When the loop has been blocked for the limit, it: asks the main thread's V8 for
 * its call frames over an inspector session (`Debugger.pause`, at most 1 s: a loop stuck in a native
 * call may not answer); writes the restart record for the next generation; writes one line to the
 * process's stderr (`fs.writeSync(2)`: `console` goes through the blocked main thread); and ends the
 * process the way pm2 brings it back: SIGKILL when pm2 restarts an app that dies by a signal, or else
 * a `restartProcessId` request on the daemon's socket (the daemon kills and starts the app, even with
 * `autorestart: false`), with SIGKILL after the daemon's kill budget if it never acts.
 */
import { blockedReason, judgeHeartbeat, monotonicMs, wasFrozen } from './watchdog-verdict.js';

/** Slots of the heartbeat buffer (a BigInt64Array). */
export const BEAT_SLOTS = { lastBeatAt: 0, inspectorOpen: 1, tasks: 2, length: 3 } as const;

/** What the watchdog thread starts with (`workerData`). */
export interface WatchdogData {
  readonly beats: SharedArrayBuffer;
  readonly limitMs: number;
  readonly pollMs: number;
}

/**
 * How the watchdog ends a blocked process, sent once the identity is known: `kill` (SIGKILL; pm2
 * restarts the app) or `daemon` (ask the daemon over `rpcSocket`); with the record to leave.
 */
export interface WatchdogTarget {
  readonly end: 'kill' | 'daemon';
  readonly pmId: number;
  readonly rpcSocket: string;
  /** The daemon's kill budget before the SIGKILL fallback: pm2's kill_timeout plus a grace. */
  readonly fallbackAfterMs: number;
  readonly recordFile: string;
  readonly lifetimeMs: number;
  /** The record's fixed fields (app, generation, strategy); the thread adds the times and reason. */
  readonly record: Readonly<Record<string, unknown>>;
}

/** The thread's program. */
export function watchdogSource(): string {
  return `'use strict';
const load = (name) => process.getBuiltinModule(name);
const fs = load('node:fs');
const net = load('node:net');
const path = load('node:path');
const inspector = load('node:inspector');
const { parentPort, workerData } = load('node:worker_threads');
const judgeHeartbeat = ${judgeHeartbeat.toString()};
const wasFrozen = ${wasFrozen.toString()};
const monotonicMs = ${monotonicMs.toString()};
const blockedReason = ${blockedReason.toString()};
const S = ${JSON.stringify(BEAT_SLOTS)};
const beats = new BigInt64Array(workerData.beats);
let target = null;
parentPort.on('message', (message) => {
  if (message && message.type === 'target') target = message.target;
});

function mainThreadFrames(timeoutMs) {
  return new Promise((resolve) => {
    let session;
    const done = (frames) => {
      clearTimeout(timer);
      try {
        session.post('Debugger.resume');
        session.disconnect();
      } catch {}
      resolve(frames);
    };
    const timer = setTimeout(() => done([]), timeoutMs);
    try {
      const urls = new Map();
      session = new inspector.Session();
      session.connectToMainThread();
      session.on('Debugger.scriptParsed', ({ params }) => urls.set(params.scriptId, params.url));
      session.once('Debugger.paused', ({ params }) => {
        done(params.callFrames.slice(0, 5).map((f) =>
          (f.functionName || '(anonymous)') + ' (' + (f.url || urls.get(f.location.scriptId) || 'unknown') + ':' +
          (f.location.lineNumber + 1) + ':' + (f.location.columnNumber + 1) + ')'));
      });
      session.post('Debugger.enable', () => session.post('Debugger.pause', () => {}));
    } catch {
      done([]);
    }
  });
}

function writeRecord(reason, now) {
  if (target === null) return 'none';
  const tasks = Number(Atomics.load(beats, S.tasks));
  const record = Object.assign({}, target.record, {
    reason, requestedAt: now, deferredMs: 0, exitedAt: now, expiresAt: now + target.lifetimeMs,
    forced: tasks > 0, tasksCut: tasks,
  });
  // The store's rules (src/ports/store-files.ts): a folder of this uid that group and others cannot
  // write (made 0700), an exclusive temp file (0600, never followed) renamed into place.
  const folder = path.dirname(target.recordFile);
  const random = Math.random().toString(16).slice(2, 10);
  const temporary = target.recordFile + '.' + process.pid + '.' + random + '.tmp';
  try {
    try {
      fs.mkdirSync(folder, { mode: 0o700 });
    } catch {}
    const stats = fs.lstatSync(folder);
    const uid = typeof process.getuid === 'function' ? process.getuid() : stats.uid;
    if (!stats.isDirectory() || stats.uid !== uid || (stats.mode & 0o022) !== 0) return 'notWritten';
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
    const fd = fs.openSync(temporary, O_WRONLY | O_CREAT | O_EXCL | (O_NOFOLLOW || 0), 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(record));
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, target.recordFile);
    return 'written';
  } catch {
    try {
      fs.unlinkSync(temporary);
    } catch {}
    return 'notWritten';
  }
}

function frame(args) {
  const parts = args.map((a) => Buffer.from(typeof a === 'string' ? 's:' + a : 'j:' + JSON.stringify(a)));
  const out = Buffer.alloc(1 + parts.reduce((n, p) => n + 4 + p.length, 0));
  out[0] = (1 << 4) | parts.length;
  let offset = 1;
  for (const part of parts) {
    out.writeUInt32BE(part.length, offset);
    part.copy(out, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

function askDaemon() {
  return new Promise((resolve) => {
    const socket = net.connect(target.rpcSocket);
    const timer = setTimeout(() => finish('no answer'), 3000);
    function finish(answer) {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    }
    socket.on('error', (error) => finish(error.code || 'error'));
    socket.on('connect', () =>
      socket.write(frame([{ type: 'call', method: 'restartProcessId', args: [{ id: target.pmId }] }, 'pm2-self-watchdog'])));
    socket.on('data', () => finish('answered'));
  });
}

function say(line) {
  try {
    fs.writeSync(2, 'pm2-self: ' + line + '\\n');
  } catch {}
}

async function fire(blockedMs) {
  const frames = await mainThreadFrames(1000);
  const reason = blockedReason(blockedMs, frames);
  const now = Date.now();
  const record = writeRecord(reason, now);
  if (target === null) {
    say(reason + '; not restarted (not the process pm2 tracks, or its identity is not known yet)');
    return;
  }
  say(reason + '; restarting (' + (target.end === 'kill' ? 'SIGKILL' : 'daemon restart') + ', record ' + record + ')');
  if (target.end === 'daemon') {
    const answer = await askDaemon();
    if (answer !== 'answered') say('the daemon did not take the restart request (' + answer + ')');
    await new Promise((resolve) => setTimeout(resolve, answer === 'answered' ? target.fallbackAfterMs : 0));
  }
  process.kill(process.pid, 'SIGKILL');
}

let firedFor = -1;
let previousPollAt = 0;
let awakeSince = 0;
setInterval(() => {
  const now = monotonicMs();
  if (wasFrozen(previousPollAt, now, workerData.limitMs)) awakeSince = now;
  previousPollAt = now;
  const lastBeatAt = Number(Atomics.load(beats, S.lastBeatAt));
  if (lastBeatAt === firedFor) return;
  const blockedMs = judgeHeartbeat(
    lastBeatAt,
    Atomics.load(beats, S.inspectorOpen) === 1n,
    now,
    workerData.limitMs,
    awakeSince,
  );
  if (blockedMs === null) return;
  firedFor = lastBeatAt;
  void fire(blockedMs);
}, workerData.pollMs);
`;
}
