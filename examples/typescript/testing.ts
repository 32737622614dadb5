// Testing restart logic without pm2, without real time and without exiting the test runner:
// an instance built from fake ports (docs/testing.md), and a machine wrapped into a policy.
import {
  createPm2Self,
  restartMachine,
  type Clock,
  type DaemonClient,
  type FileSystem,
  type ProcessPort,
  type RestartMachine,
} from 'pm2-self';

/** A clock that moves only when the test says so. */
function createSimulatedClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let next = 0;
  return {
    now: () => now,
    setTimeout(callback, delayMs) {
      timers.set(++next, { at: now + delayMs, callback });
      return next;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      now += ms;
      for (const [id, timer] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (timer.at > now) break;
        timers.delete(id);
        timer.callback();
      }
    },
  };
}

const simulatedClock = createSimulatedClock();

/** pm2's pid file and nothing else. */
const files = new Map<string, string>([['/home/app/.pm2/pm2.pid', '4242']]);
const inMemoryFiles: FileSystem = {
  readText: async (path) => files.get(path) ?? null,
  writeText: async (path, text) => (files.set(path, text), true),
  remove: async (path) => files.delete(path),
  whyUnreadable: async () => 'missing',
  list: async () => [],
};

/** A daemon that is not there: every call answers `noDaemon`. */
const scriptedDaemon: DaemonClient = {
  call: async () => ({ ok: false, reason: 'noDaemon', message: 'no daemon in this test' }),
};

const fakeProcess: ProcessPort = {
  pid: 1000,
  ppid: 4242,
  platform: 'linux',
  env: { pm_id: '0', name: 'worker', PM2_HOME: '/home/app/.pm2' },
  homedir: () => '/home/app',
  uptimeSeconds: () => 60,
  residentMemoryBytes: () => 50 * 1024 * 1024,
  heapUsedBytes: () => 20 * 1024 * 1024,
  isAlive: () => true,
  parentPidOf: async () => null,
  describe: async () => null,
  keepAlive: () => () => {},
  exit: () => {},
  onShutdown: () => () => {},
};

const exits: number[] = [];
const self = createPm2Self({
  ports: {
    clock: simulatedClock, // now(), setTimeout, clearTimeout under your control
    process: { ...fakeProcess, exit: (code) => exits.push(code) },
    fs: inMemoryFiles, // serves pm2's pid file
    daemon: scriptedDaemon, // answers getMonitorData / restartProcessId
  },
});

// Never defer more than 3 requests: the 4th drains at once, past running tasks.
let deferrals = 0;
const capped: RestartMachine = {
  initialState: restartMachine.initialState,
  transition(state, event) {
    const next = restartMachine.transition(state, event);
    if (next.state.phase === 'deferred' && state.phase === 'idle' && ++deferrals > 3 && next.state.request) {
      return {
        state: { ...next.state, phase: 'draining', request: { ...next.state.request, forced: true } },
        effects: [{ type: 'drain' }],
      };
    }
    return next;
  },
};
const policed = createPm2Self({ machine: capped });

export { exits, policed, self, simulatedClock };
