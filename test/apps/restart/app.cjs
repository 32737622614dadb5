'use strict';
/**
 * One app program for the real-pm2 restart tests (test/pm2/restart-*.test.ts) and the downtime
 * measurement (measure-downtime.mjs). It loads the BUILT package from PM2_SELF_DIST and appends one
 * JSON line per event to EVENTS_FILE: { pid, gen, event, at, ...data } where `gen` is pm2's
 * `restart_time` of this generation (null outside pm2).
 *
 * SCENARIO (acted out by generation 0 only, unless noted):
 * - busy:      a task of TASK_MS, then gracefulRestart({ reason: 'update', beforeExit: hook }).
 * - idle:      gracefulRestart({ reason: 'idle' }) with no task running.
 * - early:     like idle, but START_DELAY_MS after start (default here: 200), inside min_uptime.
 * - coalesce:  a task of TASK_MS, then three gracefulRestart() calls.
 * - clear:     a task of TASK_MS, gracefulRestart(), then clearPendingRestart().
 * - tasks:     back-to-back tasks of TASK_MS forever (so one always runs); SHUTDOWN_HANDLER=1
 *              installs installShutdownHandler() in every generation.
 * - refuse:    (outside pm2) gracefulRestart(), print the outcome as a JSON line on stdout, then
 *              stay alive until a line `quit` arrives on stdin, answer `bye` and end by itself.
 * - bare-exit: process.exit(0) at once in EVERY generation, without loading the library (control).
 * - measure-graceful / measure-exit: every generation below MEASURE_RUNS records `request` then
 *              restarts (gracefulRestart() / bare process.exit(0)) START_DELAY_MS after start.
 * - measure-cli: only records `started` (the measuring script runs `pm2 restart`).
 * - spawn-worker: starts two workers (one by fork, one through `sh -c`) running this file with
 *              SCENARIO=worker, in every generation; WORKER_SHUTDOWN=1 installs the handler there.
 * - worker:    (a worker) records its identity, asks for a restart and records the outcome.
 * - handler-twice: installShutdownHandler() twice (with a hook each), then back-to-back tasks.
 * - cancel-planning: gracefulRestart() and, before it resolves, clearPendingRestart().
 * - memory-policy: restartWhen() with an RSS limit 64 MB above the start; then a task of TASK_MS
 *              during which the process takes 160 MB and keeps it.
 * - uptime-policy: restartWhen({ maxUptimeMs: MAX_UPTIME_MS, jitterMs: JITTER_MS }) in every generation.
 * - turns:     (generation 0) waits for the file GO_FILE, then gracefulRestart() with a beforeExit
 *              hook of HOOK_MS (default 300), recording the outcome and the turn events.
 * - endless-defer: (generation 0) waits for GO_FILE; instance 0 begins a task that never ends and asks
 *              for a restart (deferred); the others ask 1 s later, with a hook of HOOK_MS.
 * - busy-turn: (generation 0) waits for GO_FILE; instance 1 asks with a hook of HOOK_MS (it holds
 *              the turn); instance 0 asks 300 ms after GO and, once told `waitingTurn`, begins a 1 s
 *              task every 400 ms (overlapping: never 0) until one is refused (`task-refused`) or
 *              BUSY_MS (20 s) passed.
 * - hold-bound: (instance 1 in generations 0 to 2, instance 0 in generation 0) waits for GO_FILE;
 *              instance 1 asks with a hook of HOOK_MS (it holds the turn); instance 0 asks 300 ms
 *              after GO and, told `waitingTurn`, begins a long task, recording `given-back` at its
 *              second `deferred` after its turn came (the first: waiting with the turn held); instance 1's next process asks again once
 *              `given-back` is recorded (at most 30 s after it starts), the one after writes
 *              GO_FILE.again; instance 0's task ends (`long-ended`) when that file exists (or 40 s).
 * - queue-worker: (generation 0) waits for GO_FILE, then runs a concurrency-1 job loop (a 100 ms
 *              job, the next begun in the tick the last ends; refused, it retries 100 ms later) and
 *              asks for a restart 300 ms later (no refuseNewTasks, no deadline).
 * BOOT_MS: a synchronous wait at the very start of every generation (a slow boot).
 * NO_KEEPALIVE=1: nothing of the app's own keeps the process alive (as in a script that only waits
 * for the library). Every generation records `up` at the end of its synchronous start-up, then
 * `started` with its identity and IPC channel.
 */
const startedAt = Date.now();
// BOOT_MS: a synchronous start-up (loading, warming caches) before anything else, in every generation.
for (const until = startedAt + Number(process.env.BOOT_MS ?? 0); Date.now() < until;);
const fs = require('node:fs');

const env = process.env;
const scenario = env.SCENARIO ?? 'idle';
if (scenario === 'bare-exit') process.exit(0);

const gen = env.restart_time ?? null;
const eventsFile = env.EVENTS_FILE;
if (!eventsFile || !env.PM2_SELF_DIST) throw new Error('EVENTS_FILE and PM2_SELF_DIST are required');
const record = (event, data = {}) =>
  fs.appendFileSync(
    eventsFile,
    `${JSON.stringify({ pid: process.pid, gen, event, at: Date.now(), ...data })}\n`,
  );
const number = (name, fallback) => (env[name] === undefined ? fallback : Number(env[name]));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const lib = require(env.PM2_SELF_DIST);
const self = lib.getDefaultPm2Self();
for (const name of lib.RESTART_EVENT_NAMES) {
  self.on(name, (detail) => record(name, { detail }));
}
process.on('exit', (code) => record('exit', { code }));
if (env.SHUTDOWN_HANDLER === '1') self.installShutdownHandler();
// NO_KEEPALIVE applies to generation 0 (which asks for the restart); later ones stay up.
const keepAlive = env.NO_KEEPALIVE === '1' && gen === '0' ? undefined : setInterval(() => {}, 60_000);

const beginTimedTask = (label, ms) => {
  const task = self.beginTask(label);
  record('task-begun', { label });
  return new Promise((resolve) =>
    setTimeout(() => {
      record('task-ended', { label });
      task.end();
      resolve();
    }, ms),
  );
};

const scenarios = {
  async busy() {
    void beginTimedTask('job', number('TASK_MS', 800));
    const outcome = await lib.gracefulRestart({ reason: 'update', beforeExit: () => record('hook-ran') });
    record('outcome', { outcome });
  },
  async idle() {
    record('outcome', { outcome: await lib.gracefulRestart({ reason: 'idle' }) });
  },
  async early() {
    record('outcome', { outcome: await lib.gracefulRestart({ reason: 'early' }) });
  },
  async coalesce() {
    void beginTimedTask('job', number('TASK_MS', 800));
    const outcomes = [];
    for (const reason of ['first', 'second', 'third']) outcomes.push(await lib.gracefulRestart({ reason }));
    record('outcomes', { outcomes });
  },
  async clear() {
    const done = beginTimedTask('job', number('TASK_MS', 800));
    const outcome = await lib.gracefulRestart({ reason: 'to-be-cleared' });
    const cleared = lib.clearPendingRestart();
    record('cleared', { outcome, cleared, pendingAfter: lib.hasPendingRestart() });
    await done;
    record('after-task', { pending: lib.hasPendingRestart(), phase: self.restartState.phase });
  },
  async tasks() {
    for (let n = 1; ; n++) {
      try {
        await beginTimedTask(`task-${n}`, number('TASK_MS', 1000));
      } catch (error) {
        record('task-refused', { code: error.code ?? String(error) });
        return;
      }
    }
  },
  async 'spawn-worker'() {
    const { fork, spawn } = require('node:child_process');
    const workerEnv = { ...env, SCENARIO: 'worker' };
    fork(__filename, [], { env: { ...workerEnv, WORKER: 'fork' }, stdio: 'ignore' });
    spawn('sh', ['-c', `"${process.execPath}" "${__filename}"`], {
      env: { ...workerEnv, WORKER: 'sh' },
      stdio: 'ignore',
    });
  },
  async worker() {
    const outcome = await lib.gracefulRestart({ reason: 'from a worker' });
    record('worker-outcome', { worker: env.WORKER, outcome, alive: true });
    process.exit(0);
  },
  async 'memory-policy'() {
    const limit = process.memoryUsage.rss() + 64 * 1024 * 1024;
    self.restartWhen({ rssAboveBytes: limit, sustainedForMs: 1000, checkEveryMs: 200 });
    const done = beginTimedTask('job', number('TASK_MS', 3000));
    globalThis.ballast = Buffer.alloc(160 * 1024 * 1024, 1);
    record('ballast', { rss: process.memoryUsage.rss(), limit });
    await done;
  },
  async 'uptime-policy'() {
    self.restartWhen({
      maxUptimeMs: number('MAX_UPTIME_MS', 2500),
      jitterMs: number('JITTER_MS', 1000),
      checkEveryMs: 100,
    });
  },
  async turns() {
    while (!fs.existsSync(env.GO_FILE)) await sleep(20);
    self.on('waitingTurn', (event) => record('waiting-turn', { holders: event.holders }));
    self.on('turnTaken', (event) => record('turn-taken', { waitedMs: event.waitedMs }));
    const hookMs = number('HOOK_MS', 300);
    const outcome = await lib.gracefulRestart({ reason: 'rollout', beforeExit: () => sleep(hookMs) });
    record('outcome', { outcome });
  },
  async 'endless-defer'() {
    while (!fs.existsSync(env.GO_FILE)) await sleep(20);
    self.on('waitingTurn', (event) => record('waiting-turn', { holders: event.holders }));
    self.on('turnTaken', (event) => record('turn-taken', { waitedMs: event.waitedMs }));
    if (env.NODE_APP_INSTANCE === '0') self.beginTask('endless');
    else await sleep(1000);
    const hookMs = number('HOOK_MS', 300);
    const outcome = await lib.gracefulRestart({ reason: 'rollout', beforeExit: () => sleep(hookMs) });
    record('outcome', { outcome });
  },
  async 'busy-turn'() {
    const instance = env.NODE_APP_INSTANCE;
    const ask = async (reason, hooks) => {
      const outcome = await lib.gracefulRestart({ reason, ...hooks });
      record('outcome', { outcome });
      return outcome;
    };
    while (!fs.existsSync(env.GO_FILE)) await sleep(20);
    self.on('waitingTurn', (event) => record('waiting-turn', { holders: event.holders }));
    self.on('turnTaken', (event) => record('turn-taken', { waitedMs: event.waitedMs }));
    if (instance === '1') return ask('first', { beforeExit: () => sleep(number('HOOK_MS', 1500)) });
    await sleep(300);
    // Waiting for the turn (instance 1 holds it), it serves as a queue worker with concurrency does:
    // a 1 s task every 400 ms, so two or three always run, until a task is refused.
    if ((await ask('busy')).status !== 'waitingTurn') return;
    const until = Date.now() + number('BUSY_MS', 20_000);
    const loop = setInterval(() => {
      if (Date.now() >= until) return clearInterval(loop);
      const task = self.tryBeginTask('job');
      if (task === null) {
        clearInterval(loop);
        return record('task-refused');
      }
      record('task-begun', { label: 'job' });
      setTimeout(() => {
        record('task-ended', { label: 'job' });
        task.end();
      }, 1000);
    }, 400);
  },
  async 'hold-bound'() {
    const instance = env.NODE_APP_INSTANCE;
    const backAgain = `${env.GO_FILE}.again`;
    const ask = async (reason, hooks) => {
      const outcome = await lib.gracefulRestart({ reason, ...hooks });
      record('outcome', { outcome });
      return outcome;
    };
    if (instance === '1' && gen === '2') return fs.writeFileSync(backAgain, 'back');
    if (instance === '1' && gen === '1') {
      const givenBack = () => fs.readFileSync(eventsFile, 'utf8').includes('"event":"given-back"');
      for (const until = Date.now() + 30_000; !givenBack() && Date.now() < until;) await sleep(50);
      return ask('again');
    }
    if (gen !== '0') return;
    while (!fs.existsSync(env.GO_FILE)) await sleep(20);
    self.on('turnTaken', (event) => record('turn-taken', { waitedMs: event.waitedMs }));
    if (instance === '1') return ask('first', { beforeExit: () => sleep(number('HOOK_MS', 2000)) });
    await sleep(300);
    if ((await ask('long')).status !== 'waitingTurn') return;
    const task = self.beginTask('long');
    // After the turn: a first `deferred` (waiting for the task with the turn held), a second when the
    // turn goes back.
    let sinceTurn = -1;
    self.on('turnTaken', () => (sinceTurn = 0));
    self.on('deferred', () => {
      if (sinceTurn < 0) return;
      sinceTurn += 1;
      if (sinceTurn === 2) record('given-back');
    });
    const until = Date.now() + 40_000;
    while (!fs.existsSync(backAgain) && Date.now() < until) await sleep(50);
    record('long-ended');
    task.end();
  },
  async 'queue-worker'() {
    while (!fs.existsSync(env.GO_FILE)) await sleep(20);
    self.on('turnTaken', (event) => record('turn-taken', { waitedMs: event.waitedMs }));
    const job = () => {
      const task = self.tryBeginTask('job');
      if (task === null) return setTimeout(job, 100);
      setTimeout(() => {
        task.end();
        require('node:timers').setImmediate(job);
      }, 100);
    };
    job();
    await sleep(300);
    record('outcome', { outcome: await lib.gracefulRestart({ reason: 'rollout' }) });
  },
  async 'cancel-planning'() {
    const pending = lib.gracefulRestart({ reason: 'to-be-cancelled' });
    const pendingBefore = lib.hasPendingRestart();
    const cleared = lib.clearPendingRestart();
    const outcome = await pending;
    await sleep(1500);
    record('cancelled-while-planning', {
      pendingBefore,
      cleared,
      outcome,
      pendingAfter: lib.hasPendingRestart(),
    });
  },
  async 'handler-twice'() {
    self.installShutdownHandler({ beforeExit: () => record('hook-a') });
    self.installShutdownHandler({ beforeExit: () => record('hook-b') });
    return scenarios.tasks();
  },
  async refuse() {
    const outcome = await lib.gracefulRestart({ reason: 'outside' });
    record('outcome', { outcome });
    process.stdout.write(`${JSON.stringify({ outcome })}\n`);
    let buffer = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      buffer += chunk;
      if (!buffer.split('\n').includes('quit')) return;
      record('alive', { pending: lib.hasPendingRestart() });
      process.stdout.write('bye\n');
      clearInterval(keepAlive);
      process.stdin.destroy();
    });
  },
  async measure() {
    if (Number(gen) >= number('MEASURE_RUNS', 5)) return;
    const requestAt = Date.now();
    record('request', { requestAt });
    if (scenario === 'measure-exit') process.exit(0);
    record('outcome', { outcome: await lib.gracefulRestart({ reason: 'measure' }) });
  },
};

async function main() {
  const lastRestart = await self.getLastRestart();
  const identity = await self.getIdentity();
  // The stop exit codes this process read from pm2's variables (no daemon query).
  const envStopExitCodes = (await lib.getInfo())?.settings.stopExitCodes ?? null;
  record('started', {
    startedAt,
    pmUptime: Number(env.pm_uptime),
    instance: env.NODE_APP_INSTANCE ?? null,
    lastRestart,
    exitCodeEnv: env.exit_code ?? null,
    envStopExitCodes,
    identity: identity.managed
      ? { relation: identity.relation, evidence: identity.evidence, trackedPid: identity.trackedPid }
      : { reason: identity.reason },
    ipc: typeof process.send === 'function',
  });
  if (scenario === 'worker') return scenarios.worker();
  if (scenario === 'measure-cli') return;
  if (scenario === 'measure-graceful' || scenario === 'measure-exit') {
    await sleep(number('START_DELAY_MS', 1200));
    return scenarios.measure();
  }
  if (scenario === 'spawn-worker') return scenarios['spawn-worker']();
  if (scenario === 'hold-bound') return scenarios['hold-bound']();
  if (scenario === 'uptime-policy') return scenarios['uptime-policy']();
  if (scenario !== 'refuse' && gen !== '0') return;
  const delay = number(
    'START_DELAY_MS',
    scenario === 'early'
      ? 200
      : [
            'tasks',
            'refuse',
            'handler-twice',
            'memory-policy',
            'turns',
            'endless-defer',
            'busy-turn',
            'queue-worker',
          ].includes(scenario)
        ? 0
        : 1200,
  );
  await sleep(Math.max(0, delay - (Date.now() - startedAt)));
  const run = scenarios[scenario];
  if (!run) throw new Error(`unknown SCENARIO ${scenario}`);
  await run();
}

// The app is up: its synchronous start-up (BOOT_MS included) has run, nothing awaited yet. pm2-self
// hands a turn back only later (its identity resolves on a later turn of the event loop), so an
// instance's down time, as the app sees it, ends here.
record('up');
main().catch((error) => {
  record('error', { message: error instanceof Error ? error.stack : String(error) });
});
