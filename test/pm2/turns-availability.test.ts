/**
 * Availability as the app sees it, under a real pm2 daemon, with pm2's injected @pm2/io and with
 * `pmx: false`. An instance is down from its old process's exit until its new process is up: its `up`
 * line, written synchronously at the end of its start-up (after a 1.5 s synchronous boot where one is
 * set), before pm2-self could hand anything back. Every instance asks for its restart in the same
 * instant:
 * - a 4-instance cluster with a slow boot: never more than one down (the turn is handed back by the
 *   new process, not freed when pm2 shows a fork `online` before the app's code ran);
 * - 2 fork instances under `npm start`, `tsx app`, `yarn start` and `pnpm start`: the leases name the
 *   launcher's pid (the one pm2 tracks), so they take turns;
 * - `restart_delay: 35000`: the first holder is `waiting restart` past any fixed lease, and keeps its turn;
 * - an instance deferred by an endless task holds no turn: another, asked 1 s later, goes at once;
 * - an instance that keeps taking overlapping tasks while it waits for its turn refuses new tasks once
 *   it has the turn, and restarts when the running ones end;
 * - an instance whose turn comes during a long task holds it 10 s at most (review B1): then the turn
 *   goes back, the other instance restarts again meanwhile, and the busy one goes after its task;
 * - 2 back-to-back queue workers (a 100 ms job, the next begun as the last ends) asked together both
 *   restart, one at a time (review T1: they gave the turn back and took it again forever).
 * One daemon for the file; the cases run concurrently.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downIntervals,
  eventsFile,
  findEvent,
  RESTART_APP,
  startApps,
  waitForEvents,
  type AppEvent,
  type AppSpec,
} from '../apps/restart/harness.js';
import { mostAtOnce } from '../helpers/online-timeline.js';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';

const MODULES = resolve(import.meta.dirname, '../../node_modules');
/**
 * Launchers pm2 tracks instead of the app: each runs app.cjs as a descendant. yarn and pnpm (pinned
 * devDependencies) run with `interpreter: 'none'`, as the README says: pm2 otherwise loads their
 * JavaScript into its own container, where pm2's injected @pm2/io keeps them running after the app
 * exits (they end by letting the event loop drain), and pm2 never restarts the app.
 */
const LAUNCHERS = [
  { name: 'npm', script: 'npm', args: 'start' },
  { name: 'tsx', script: join(MODULES, 'tsx/dist/cli.mjs'), args: RESTART_APP },
  { name: 'yarn', script: join(MODULES, 'yarn/bin/yarn.js'), args: 'start', interpreter: 'none' },
  { name: 'pnpm', script: join(MODULES, 'pnpm/bin/pnpm.cjs'), args: 'start', interpreter: 'none' },
] as const;

describe('turns keep availability as the app sees it', () => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => eventsFile(sandbox, name);
  const go = (name: string) => join(sandbox.home, `go-${name}`);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-availability-');
    const appDir = join(sandbox.home, 'npm-app');
    await mkdir(appDir);
    const start = `node ${JSON.stringify(RESTART_APP)}`;
    await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'npm-app', scripts: { start } }));
    const apps = PMX_VARIANTS.flatMap(({ suffix, pmx }): AppSpec[] => [
      {
        name: `boot${suffix}`,
        scenario: 'turns',
        env: { GO_FILE: go(`boot${suffix}`), BOOT_MS: '1500', HOOK_MS: '300' },
        pm2: { exec_mode: 'cluster', instances: 4, ...pmx },
      },
      ...LAUNCHERS.map(({ name, ...launch }): AppSpec => ({
        name: `${name}${suffix}`,
        scenario: 'turns',
        env: { GO_FILE: go(`${name}${suffix}`), HOOK_MS: '300' },
        pm2: { ...launch, cwd: appDir, instances: 2, ...pmx },
      })),
      {
        name: `delay${suffix}`,
        scenario: 'turns',
        env: { GO_FILE: go(`delay${suffix}`), HOOK_MS: '100' },
        pm2: { instances: 2, restart_delay: 35_000, ...pmx },
      },
      {
        name: `busy${suffix}`,
        scenario: 'busy-turn',
        env: { GO_FILE: go(`busy${suffix}`), HOOK_MS: '2000', BUSY_MS: '20000' },
        pm2: { instances: 2, ...pmx },
      },
      {
        name: `hold${suffix}`,
        scenario: 'hold-bound',
        env: { GO_FILE: go(`hold${suffix}`), HOOK_MS: '2000' },
        pm2: { instances: 2, ...pmx },
      },
      {
        name: `queue${suffix}`,
        scenario: 'queue-worker',
        env: { GO_FILE: go(`queue${suffix}`) },
        pm2: { instances: 2, ...pmx },
      },
      {
        name: `defer${suffix}`,
        scenario: 'endless-defer',
        env: { GO_FILE: go(`defer${suffix}`), HOOK_MS: '100' },
        pm2: { instances: 2, ...pmx },
      },
    ]);
    await startApps(sandbox, apps);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  /** Waits for `count` gen-0 processes, then writes the GO file (they act on it). */
  const go0 = async (name: string, count: number) => {
    await waitForEvents(
      file(name),
      (all) => all.filter((e) => e.event === 'started' && e.gen === '0').length === count,
      60_000,
    );
    await writeFile(go(name), 'go');
  };

  /** Waits for `count` gen-0 processes, asks them all at once, and waits for `count` gen-1 ones. */
  const rollout = async (name: string, count: number, timeoutMs: number) => {
    await go0(name, count);
    return waitForEvents(
      file(name),
      (all) => all.filter((e) => e.event === 'started' && e.gen === '1').length === count,
      timeoutMs,
    );
  };

  describe.concurrent.each(PMX_VARIANTS)('$label', ({ suffix }) => {
    it('an instance busy with overlapping tasks when its turn comes refuses new ones and restarts when the running ones end', async () => {
      const name = `busy${suffix}`;
      await go0(name, 2);
      const startedAs = (instance: string, gen: string) => (e: AppEvent) =>
        e.event === 'started' && e.instance === instance && e.gen === gen;
      // Instance 1 restarts (holding the turn for 2 s); instance 0, told waitingTurn, serves
      // overlapping tasks (two or three always run) until one is refused.
      const events = await waitForEvents(
        file(name),
        (all) => all.some(startedAs('1', '1')) && all.some(startedAs('0', '1')),
        45_000,
      );
      const zero = events.filter(
        (e) => e.gen === '0' && e.pid === findEvent(events, startedAs('0', '0')).pid,
      );
      const names = zero.map((e) => e.event);
      expect(zero.find((e) => e.event === 'outcome')?.outcome).toEqual({ status: 'waitingTurn', holders: 1 });
      // It had the turn with tasks running: deferred with it, the next task refused, no task begun
      // after the turn, and it exited after the last running task ended.
      const afterTurn = names.slice(names.indexOf('turnTaken'));
      expect(afterTurn).toContain('deferred');
      expect(afterTurn).toContain('task-refused');
      expect(afterTurn).not.toContain('task-begun');
      expect(afterTurn.lastIndexOf('task-ended')).toBeLessThan(afterTurn.indexOf('exit'));
      const down = downIntervals(events);
      expect(down).toHaveLength(2);
      expect(mostAtOnce(down)).toBe(1);
    }, 90_000);

    it('a long task when the turn comes: the turn is held 10 s, then goes back; the other restarts meanwhile, the busy one after its task (review B1)', async () => {
      const name = `hold${suffix}`;
      await go0(name, 2);
      const startedAs = (instance: string, gen: string) => (e: AppEvent) =>
        e.event === 'started' && e.instance === instance && e.gen === gen;
      const events = await waitForEvents(
        file(name),
        (all) => all.some(startedAs('1', '2')) && all.some(startedAs('0', '1')),
        75_000,
      );
      const zero = events.filter(
        (e) => e.gen === '0' && e.pid === findEvent(events, startedAs('0', '0')).pid,
      );
      const turnAt = findEvent(zero, (e) => e.event === 'turn-taken').at;
      const givenBackAt = findEvent(zero, (e) => e.event === 'given-back').at;
      // Held the bound (10 s on the monotonic clock; the events carry wall times), not given back at once.
      expect(givenBackAt - turnAt).toBeGreaterThanOrEqual(9_500);
      expect(givenBackAt - turnAt).toBeLessThan(20_000);
      const longEnded = findEvent(zero, (e) => e.event === 'long-ended').at;
      expect(findEvent(events, startedAs('1', '2')).at).toBeLessThan(longEnded);
      expect(findEvent(events, startedAs('0', '1')).at).toBeGreaterThan(longEnded);
      expect(mostAtOnce(downIntervals(events))).toBe(1);
    }, 120_000);

    it('2 back-to-back queue workers asked together both restart after their current job, one at a time (review T1)', async () => {
      const events = await rollout(`queue${suffix}`, 2, 45_000);
      const down = downIntervals(events);
      expect(down).toHaveLength(2);
      expect(mostAtOnce(down)).toBe(1);
      // No take-and-give-back loop: a few `deferred` per process (asked during a job, the turn had
      // during one), not one per job.
      const old = events.filter((e) => e.event === 'started' && e.gen === '0').map((e) => e.pid);
      for (const pid of old) {
        expect(events.filter((e) => e.pid === pid && e.event === 'deferred').length).toBeLessThanOrEqual(4);
      }
      const askedAt = Math.min(...events.filter((e) => e.event === 'requested').map((e) => e.at));
      console.info(
        `[measure] turns${suffix}: 2 back-to-back queue workers: both back ${Math.max(...down.map((d) => d.to)) - askedAt} ms after the ask, down ${down.map((d) => d.to - d.from).join('/')} ms`,
      );
    }, 90_000);

    it('a 4-instance cluster with a 1.5 s synchronous boot, asked in one instant: never more than one down', async () => {
      const events = await rollout(`boot${suffix}`, 4, 90_000);
      const down = downIntervals(events);
      expect(down).toHaveLength(4);
      expect(mostAtOnce(down)).toBe(1);
      console.info(
        `[measure] turns${suffix}: self-requested rollout of 4 slow-boot cluster instances: most down at once ${mostAtOnce(down)}, down per instance ${down.map((d) => d.to - d.from).join('/')} ms`,
      );
    }, 120_000);

    it.each(LAUNCHERS)(
      '2 fork instances under $name, asked together: one at a time',
      async ({ name }) => {
        const events = await rollout(`${name}${suffix}`, 2, 60_000);
        const started = events.filter((e) => e.event === 'started');
        for (const e of started) expect(e.identity).toMatchObject({ relation: 'wrapper' });
        const down = downIntervals(events);
        expect(down).toHaveLength(2);
        expect(mostAtOnce(down)).toBe(1);
      },
      120_000,
    );

    it('restart_delay 35000, 2 instances asked together: the second waits while the first is waiting restart', async () => {
      const events = await rollout(`delay${suffix}`, 2, 110_000);
      const down = downIntervals(events);
      expect(down).toHaveLength(2);
      expect(down.every((d) => d.to - d.from >= 35_000)).toBe(true);
      expect(mostAtOnce(down)).toBe(1);
    }, 180_000);

    it('an instance deferred by an endless task holds no turn: another, asked 1 s later, comes back within seconds', async () => {
      const name = `defer${suffix}`;
      await go0(name, 2);
      const events = await waitForEvents(
        file(name),
        (all) => all.some((e) => e.event === 'started' && e.gen === '1'),
        20_000,
      );
      const outcomes = events.filter((e) => e.event === 'outcome');
      const asked = outcomes.find((e) => (e.outcome as { status: string }).status !== 'deferred');
      const back = events.find((e) => e.event === 'started' && e.gen === '1') as AppEvent;
      expect(outcomes.map((e) => (e.outcome as { status: string }).status).sort()).toEqual([
        'deferred',
        'restarting',
      ]);
      expect(back.at - (asked?.at ?? 0)).toBeLessThan(10_000);
      expect(events.filter((e) => e.event === 'waiting-turn')).toEqual([]);
    }, 120_000);
  });
});
