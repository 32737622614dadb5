/**
 * `pm2-self restart|cancel|status` against a simulated daemon at the ports (its RPC answers and its
 * bus), with a simulated clock: one instance at a time, reporting, halting and exit codes. The real
 * daemon is in test/pm2/operator-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { CliPorts } from '../../src/cli/daemon-link.js';
import { runCli } from '../../src/cli/run-cli.js';
import type { BusMessage } from '../../src/ports/bus-subscriber.js';
import type { Clock, RpcResult } from '../../src/ports/ports.js';
import { createSimClock, type SimClock } from '../helpers/sim-clock.js';
import { createSteppedClock } from '../helpers/stepped-clock.js';

/** How a simulated instance answers `pm2-self:restart`. */
type Behaviour =
  | 'comesBack'
  | 'noReply'
  | 'refuses'
  | 'drops'
  | 'staysStopped'
  | 'comesBackUnexposed'
  /** A wait_ready app: pm2 lists the new process online at listen_timeout; it is ready 3 s later. */
  | 'readyLater'
  /** The new release exits 2 s after it started, and pm2 restarts it (a new pid, one restart more). */
  | 'crashesAfterStart'
  /** A wait_ready app whose new process never sends 'ready' (pm2 lists it online at listen_timeout). */
  | 'neverReady'
  /** Answers deferred and never restarts (its task never ends). */
  | 'staysDeferred';

interface SimInstance {
  pmId: number;
  name: string;
  pid: number;
  status: string;
  exposed: boolean;
  /** Its `pm2-self ready` metric; null: none sent (an app on an older pm2-self). */
  ready: 'yes' | 'no' | null;
  restarts: number;
  behaviour: Behaviour;
  /** pm2's pm_exec_path: the app's script, or a launcher (`pm2 start npm -- start`). */
  execPath: string;
}

function createSimPm2(
  clock: SimClock,
  specs: Partial<SimInstance>[],
  options: { daemon?: boolean; portClock?: Clock } = {},
) {
  const instances: SimInstance[] = specs.map((spec, i) => ({
    pmId: i,
    name: 'web',
    pid: 1000 + i,
    status: 'online',
    exposed: true,
    ready: 'yes',
    restarts: 0,
    behaviour: 'comesBack',
    execPath: '/srv/web/server.js',
    ...spec,
  }));
  const busListeners: ((message: BusMessage) => void)[] = [];
  const log: string[] = [];
  const calls: string[] = [];
  const publish = (event: string, pmId: number, data: unknown) =>
    busListeners.forEach((l) => l({ event, data: { process: { pm_id: pmId, name: 'web' }, data } }));
  const rawList = () =>
    instances.map((i) => ({
      pid: i.pid,
      name: i.name,
      pm_id: i.pmId,
      monit: {},
      pm2_env: {
        status: i.status,
        restart_time: i.restarts,
        pm_exec_path: i.execPath,
        axm_actions: i.exposed
          ? [{ action_name: 'pm2-self:restart' }, { action_name: 'pm2-self:cancel' }]
          : [],
        axm_monitor: i.exposed
          ? {
              'pm2-self restart state': { value: 'idle' },
              ...(i.ready === null ? {} : { 'pm2-self ready': { value: i.ready } }),
            }
          : {},
      },
    }));

  const trigger = (arg: { id: number; msg: string; opts: string }) => {
    const instance = instances.find((i) => i.pmId === arg.id) as SimInstance;
    const { requestId } = JSON.parse(arg.opts) as { requestId: string };
    log.push(`${clock.now()} ask ${instance.pmId}`);
    const reply = (value: object) =>
      clock.setTimeout(
        () =>
          publish('axm:reply', instance.pmId, {
            action_name: arg.msg,
            return: { action: arg.msg, pid: instance.pid, requestId, ...value },
          }),
        5,
      );
    if (arg.msg === 'pm2-self:cancel') return reply({ cancelled: false, state: 'idle' });
    if (instance.behaviour === 'noReply') return;
    if (instance.behaviour === 'refuses')
      return reply({ outcome: { status: 'refused', code: 'ERR_PM2SELF_NOT_TRACKED', why: 'a descendant' } });
    reply({ outcome: { status: 'deferred', tasks: 1 } });
    if (instance.behaviour === 'staysDeferred') return;
    const oldPid = instance.pid;
    if (instance.behaviour === 'drops')
      return clock.setTimeout(
        () =>
          publish('pm2-self:restart-dropped', instance.pmId, {
            pid: oldPid,
            cause: 'cleared',
            message: null,
          }),
        300,
      );
    clock.setTimeout(() => (instance.status = 'stopped'), 400);
    if (instance.behaviour === 'staysStopped') return clock.setTimeout(() => (instance.pid = 0), 450);
    clock.setTimeout(() => {
      instance.pid = oldPid + 100;
      instance.restarts += 1;
      instance.status = 'online';
      if (instance.behaviour === 'crashesAfterStart') {
        const crash = () => {
          instance.pid += 1;
          instance.restarts += 1;
          log.push(`${clock.now()} crash ${instance.pmId}`);
          if (instance.restarts < 5) clock.setTimeout(crash, 2000);
        };
        clock.setTimeout(crash, 2000);
      }
      if (instance.behaviour === 'comesBackUnexposed') instance.exposed = false;
      if (instance.behaviour === 'neverReady') instance.ready = 'no';
      if (instance.behaviour === 'readyLater') {
        instance.ready = 'no';
        clock.setTimeout(() => {
          instance.ready = 'yes';
          log.push(`${clock.now()} ready ${instance.pmId}`);
        }, 3_000);
      }
      log.push(`${clock.now()} back ${instance.pmId}`);
    }, 600);
  };

  const out: string[] = [];
  const err: string[] = [];
  let ids = 0;
  const ports: CliPorts = {
    env: { PM2_HOME: '/sim/home' },
    platform: 'linux',
    homedir: () => '/sim',
    clock: options.portClock ?? clock,
    readText: async (path) => (options.daemon !== false && path === '/sim/home/pm2.pid' ? '99' : null),
    isAlive: (pid) => pid === 99,
    daemon: {
      async call<T>(_socket: string, method: string, arg: unknown): Promise<RpcResult<T>> {
        calls.push(method);
        if (method === 'getMonitorData') return { ok: true, value: rawList() as T };
        if (method === 'msgProcess') {
          trigger(arg as { id: number; msg: string; opts: string });
          return { ok: true, value: { process_count: 1, success: true } as T };
        }
        return { ok: false, reason: 'remoteError', message: `unknown method ${method}` };
      },
    },
    bus: async (_socket, onMessage) => {
      busListeners.push(onMessage);
      return { ok: true, value: { close: () => busListeners.splice(0) } };
    },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    color: false,
    newRequestId: () => `req-${++ids}`,
    packageVersion: async () => '9.9.9',
  };

  const run = async (args: string[]) => {
    let code: number | undefined;
    const done = runCli(args, ports).then((c) => (code = c));
    for (let round = 0; code === undefined && round < 1000; round++) await clock.runAll();
    await done;
    return code;
  };
  return { ports, run, log, calls, out, err, instances, pendingTimers: () => clock.pendingTimers() };
}

describe('pm2-self restart (simulated daemon)', () => {
  it('restarts one instance at a time: the next is asked only after the previous is back', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{}, {}, {}]);
    expect(await pm2.run(['restart', 'web', '--reason', 'deploy'])).toBe(0);
    const events = pm2.log.map((line) => line.split(' ').slice(1).join(' '));
    expect(events).toEqual(['ask 0', 'back 0', 'ask 1', 'back 1', 'ask 2', 'back 2']);
    expect(pm2.out.at(-1)).toMatch(/^all 3 came back in /);
    expect(pm2.out.filter((l) => l.includes('back online and settled: pid'))).toHaveLength(3);
    expect(pm2.out.some((l) => l.includes('restart deferred: waiting for 1 task'))).toBe(true);
    expect(pm2.pendingTimers()).toBe(0);
  });

  it('--parallel 2 asks two instances at once', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{}, {}, {}, {}]);
    expect(await pm2.run(['restart', 'all', '--parallel', '2'])).toBe(0);
    const asks = pm2.log.filter((l) => l.includes('ask')).map((l) => Number(l.split(' ')[0]));
    expect(asks[0]).toBe(asks[1]);
    expect(asks[2]).toBeGreaterThan(asks[1] as number);
  });

  it('reports an instance that did not call exposeToPm2() at once, goes on with the others, exits 1', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{}, { exposed: false }, {}]);
    expect(await pm2.run(['restart', 'web'])).toBe(1);
    expect(pm2.log.filter((l) => l.includes('ask')).map((l) => l.split(' ')[2])).toEqual(['0', '2']);
    expect(pm2.out.filter((l) => l.startsWith('web 1 '))).toHaveLength(1);
    expect(pm2.out.some((l) => /^web 1\s+did not call exposeToPm2\(\)/.test(l))).toBe(true);
    expect(pm2.out.at(-1)).toContain('2 of 3 came back');
    expect(pm2.out.at(-1)).toContain('not back: web 1');
  });

  it('refused and dropped restarts are failures, and the rollout goes on', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{ behaviour: 'refuses' }, { behaviour: 'drops' }, {}]);
    expect(await pm2.run(['restart', 'web'])).toBe(1);
    expect(pm2.out.some((l) => l.includes('refused (ERR_PM2SELF_NOT_TRACKED): a descendant'))).toBe(true);
    expect(pm2.out.some((l) => l.includes('restart dropped (cleared)'))).toBe(true);
    expect(pm2.log.filter((l) => l.includes('back'))).toHaveLength(1);
  });

  it('after an instance that does not reply, the next ones are not asked', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{ behaviour: 'noReply' }, {}, {}]);
    expect(await pm2.run(['restart', 'web'])).toBe(1);
    expect(pm2.log.filter((l) => l.includes('ask'))).toHaveLength(1);
    expect(pm2.out.join('\n')).toContain('no reply');
    expect(pm2.out.join('\n')).toMatch(/not asked after that: web 1, web 2/);
  });

  it.each([
    ['forward', 3_600_000],
    ['back', -3_600_000],
  ])(
    'a wall clock stepped %s 1 h mid-rollout changes no wait: every instance comes back, settled, as with no step',
    async (_direction, stepMs) => {
      const { sim, clock, step } = createSteppedClock(0);
      const pm2 = createSimPm2(sim, [{}, {}], { portClock: clock });
      // Instance 0 is back (600 ms) and ready; the step comes while it settles.
      sim.setTimeout(() => step(stepMs), 1_000);
      expect(await pm2.run(['restart', 'web', '--settle', '1s', '--timeout', '20s'])).toBe(0);
      expect(pm2.log.map((line) => line.split(' ').slice(1).join(' '))).toEqual([
        'ask 0',
        'back 0',
        'ask 1',
        'back 1',
      ]);
      const [, back0 = 0, ask1 = 0] = pm2.log.map((line) => Number(line.split(' ')[0]));
      // Asked once the first was back and settled for 1 s, on the monotonic clock.
      expect(ask1 - back0).toBeGreaterThanOrEqual(1_000);
      expect(ask1 - back0).toBeLessThan(1_500);
      expect(pm2.out.at(-1)).toMatch(/^all 2 came back in \d+\.\d s$/);
    },
  );

  it('a new process that does not expose itself again is back only after the bounded wait', async () => {
    const clock = createSimClock(0);
    const pm2 = createSimPm2(clock, [{ behaviour: 'comesBackUnexposed' }, {}]);
    expect(await pm2.run(['restart', 'web'])).toBe(0);
    const [, back0 = 0, ask1 = 0] = pm2.log.map((line) => Number(line.split(' ')[0]));
    expect(ask1 - back0).toBeGreaterThanOrEqual(10_000);
    expect(pm2.out.join(' ').replace(/\s+/g, ' ')).toContain('(it has not called exposeToPm2() again)');
  });

  it("a wait_ready app listed online at listen_timeout is back only once it says it is ready (its 'ready')", async () => {
    const pm2 = createSimPm2(createSimClock(0), [{ behaviour: 'readyLater' }, {}]);
    expect(await pm2.run(['restart', 'web', '--settle', '1s'])).toBe(0);
    const at = (event: string) => Number(pm2.log.find((l) => l.endsWith(event))?.split(' ')[0]);
    expect(at('ask 1')).toBeGreaterThanOrEqual(at('ready 0') + 1_000);
  });

  it('an app on an older pm2-self (no ready metric) counts as ready once it exposed itself again', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{ ready: null }, { ready: null }]);
    expect(await pm2.run(['restart', 'web', '--settle', '0'])).toBe(0);
    const at = (event: string) => Number(pm2.log.find((l) => l.endsWith(event))?.split(' ')[0]);
    expect(at('ask 1') - at('back 0')).toBeLessThan(1_000);
  });

  it('--timeout with a new process that never said ready: says it restarted and which process has not said ready (review T4)', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{ behaviour: 'neverReady' }, {}]);
    expect(await pm2.run(['restart', 'web', '--timeout', '10s'])).toBe(1);
    const text = pm2.out.join(' ').replace(/\s+/g, ' ');
    expect(text).toContain(
      'web 0 restarted: its new process 1100 has not said it is ready within --timeout 10.0 s (pm2 shows it online, `pm2-self ready` not yes)',
    );
    expect(text).not.toContain('pending');
    expect(pm2.log.filter((l) => l.includes('ask'))).toEqual(['0 ask 0']);
  });

  it('--timeout with the old process still deferred: not restarted, the restart stays pending', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{ behaviour: 'staysDeferred' }]);
    expect(await pm2.run(['restart', 'web', '--timeout', '10s'])).toBe(1);
    const text = pm2.out.join(' ').replace(/\s+/g, ' ');
    expect(text).toContain(
      'web 0 not restarted within --timeout 10.0 s (pm2 shows it online); its restart stays pending, `pm2-self cancel` drops it',
    );
  });

  it('an instance that stays stopped is reported as not back', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{ behaviour: 'staysStopped' }]);
    expect(await pm2.run(['restart', '0'])).toBe(1);
    expect(pm2.out.join('\n')).toContain('did not come back: pm2 shows it stopped');
  });

  it('a release that exits 2 s after start halts the rollout: exit 1, one instance touched, named with why', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{ behaviour: 'crashesAfterStart' }, {}, {}]);
    expect(await pm2.run(['restart', 'web'])).toBe(1);
    expect(pm2.log.filter((l) => l.includes('ask'))).toEqual(['0 ask 0']);
    const text = pm2.out.join(' ').replace(/\s+/g, ' ');
    expect(text).toContain('web 0 crashed after its restart: its new process 1100 went down (now pid 1101)');
    expect(pm2.out.at(-1)).toMatch(
      /^0 of 3 came back in .*; not back: web 0; not asked after that: web 1, web 2$/,
    );
  });

  it('the next instance is asked only after the settle time: --settle 0 asks it as soon as one is back', async () => {
    const settled = createSimPm2(createSimClock(0), [{}, {}]);
    expect(await settled.run(['restart', 'web'])).toBe(0);
    const at = (pm2: typeof settled, event: string) =>
      Number(pm2.log.find((l) => l.endsWith(event))?.split(' ')[0]);
    expect(at(settled, 'ask 1') - at(settled, 'back 0')).toBeGreaterThanOrEqual(5_000);
    const quick = createSimPm2(createSimClock(0), [{}, {}]);
    expect(await quick.run(['restart', 'web', '--settle', '0'])).toBe(0);
    expect(at(quick, 'ask 1') - at(quick, 'back 0')).toBeLessThan(1_000);
  });

  it.each(['errored', 'stopped', 'launching'])(
    'an instance %s before its turn is a failure that halts the rollout',
    async (status) => {
      const pm2 = createSimPm2(createSimClock(0), [{}, { status }, {}]);
      expect(await pm2.run(['restart', 'web'])).toBe(1);
      expect(pm2.log.filter((l) => l.includes('ask')).map((l) => l.split(' ')[2])).toEqual(['0']);
      expect(pm2.out.join('\n')).toContain(`web 1                ${status} before it was asked`);
      expect(pm2.out.at(-1)).toContain('not back: web 1; not asked after that: web 2');
    },
  );

  it('an unknown app exits 2 without asking anything', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{}]);
    expect(await pm2.run(['restart', 'api'])).toBe(2);
    expect(pm2.err[0]).toBe('pm2-self: no app "api" in PM2_HOME /sim/home');
    expect(pm2.calls).toEqual(['getMonitorData']);
  });

  it('no daemon: exit 2 and not one call to the sockets', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{}], { daemon: false });
    for (const args of [['restart', 'web'], ['status'], ['cancel', 'web']])
      expect(await pm2.run(args)).toBe(2);
    expect(pm2.calls).toEqual([]);
    expect(pm2.err[0]).toBe('pm2-self: no pm2 daemon runs for PM2_HOME /sim/home (none was started)');
  });
});

describe('pm2-self status and cancel (simulated daemon)', () => {
  it('an app pm2 runs through npm is reported as having no IPC channel, not as not calling exposeToPm2()', async () => {
    const npm = { exposed: false, execPath: '/usr/local/bin/npm' };
    const pm2 = createSimPm2(createSimClock(0), [{}, npm]);
    expect(await pm2.run(['restart', 'web'])).toBe(1);
    const line = pm2.out.filter((l) => !l.startsWith(' ')).join('\n');
    expect(line).toMatch(/^web 1\s+has no IPC channel \(launched through npm\?\)/m);
    expect(line).not.toContain('did not call exposeToPm2()');
    pm2.out.length = 0;
    expect(await pm2.run(['cancel', 'web'])).toBe(1);
    expect(pm2.out[1]).toMatch(/^web 1\s+has no IPC channel \(launched through npm\?\).*: not asked$/);
    pm2.out.length = 0;
    expect(await pm2.run(['status'])).toBe(0);
    expect(pm2.out[2]).toMatch(/^web\s+.*\s+-\s+-\s+no IPC channel$/);
  });

  it('status: a table within 80 columns, and JSON for scripts', async () => {
    const pm2 = createSimPm2(createSimClock(0), [
      { name: 'a-rather-long-application-name' },
      { exposed: false },
    ]);
    expect(await pm2.run(['status'])).toBe(0);
    expect(pm2.out[0]).toMatch(/^name\s+id\s+pid\s+status\s+↺\s+state\s+tasks\s+last restart$/);
    expect(pm2.out[1]).toMatch(/^a-rather-long-a~\s+0\s+1000\s+online\s+0\s+idle\s+\?\s+\?$/);
    expect(pm2.out[2]).toMatch(/^web\s+.*\s+-\s+-\s+not exposed$/);
    for (const line of pm2.out) expect(line.length).toBeLessThanOrEqual(80);
    pm2.out.length = 0;
    expect(await pm2.run(['status', 'web', '--json'])).toBe(0);
    expect(JSON.parse(pm2.out.join('\n'))).toEqual([
      {
        name: 'web',
        namespace: null,
        pmId: 1,
        pid: 1001,
        status: 'online',
        restarts: 0,
        exposed: false,
        restartState: null,
        tasks: null,
        lastRestart: null,
        health: null,
      },
    ]);
  });

  it('cancel: asks every exposed instance, exits 1 when one did not expose', async () => {
    const pm2 = createSimPm2(createSimClock(0), [{}, { exposed: false }]);
    expect(await pm2.run(['cancel', 'web'])).toBe(1);
    expect(pm2.out).toEqual([
      'web 0                nothing to cancel (state idle)',
      'web 1                did not call exposeToPm2(): not asked',
    ]);
  });
});
