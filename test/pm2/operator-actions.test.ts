/**
 * exposeToPm2() of the BUILT package under a real pm2 daemon, reached with pm2's own CLI: `pm2 trigger`
 * (restart, status, with tx2 beside it), `pm2 show` (the metrics), and apps where there is no channel
 * (npm-launched) or it closed. Each app runs with pm2's injected @pm2/io and with `--no-pmx`.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPm2Sandbox,
  PM2_BIN,
  pm2WithEnv,
  type JlistEntry,
  type Pm2Sandbox,
} from '../helpers/pm2-sandbox.js';

const APP = resolve(import.meta.dirname, '../apps/operator/app.cjs');
const DIST = resolve(import.meta.dirname, '../../dist/index.cjs');

interface AppEvent {
  pid: number;
  gen: string | null;
  event: string;
  at: number;
  hasChannel?: boolean;
  debug?: string[];
  connected?: boolean;
}

describe('exposeToPm2 under a real pm2 daemon, through pm2 trigger and pm2 show', () => {
  let sandbox: Pm2Sandbox;
  let npmDir: string;
  const eventsOf = (name: string) => join(sandbox.home, `${name}.events.jsonl`);
  const readEvents = async (name: string): Promise<AppEvent[]> =>
    (await readFile(eventsOf(name), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AppEvent);
  const waitForEvents = async (name: string, done: (events: AppEvent[]) => boolean) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const events = await readEvents(name);
      if (done(events)) return events;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name}: events not reached: ${JSON.stringify(await readEvents(name))}`);
  };
  const app = (list: readonly JlistEntry[], name: string) => list.find((p) => p.name === name);
  const actionsOf = (entry: JlistEntry | undefined) =>
    ((entry?.pm2_env.axm_actions ?? []) as { action_name: string }[]).map((a) => a.action_name);
  /**
   * The pm2 CLI with its normal output (`pm2 trigger` prints replies only when not silent). pm2's own
   * `trigger` can miss a reply that arrives before it counted the receivers and then waits forever
   * (the hang the pm2-self command avoids): such a run is tried once more.
   */
  const pm2Loud = async (args: string[]): Promise<string> => {
    const env = { ...sandbox.env };
    delete env.PM2_SILENT;
    for (let attempt = 1; ; attempt++) {
      const result = await execa(process.execPath, [PM2_BIN, ...args], {
        env,
        extendEnv: false,
        timeout: 15_000,
        reject: false,
      });
      if (result.timedOut && args[0] === 'trigger' && attempt < 2) continue;
      if (result.failed) throw new Error(`pm2 ${args.join(' ')} failed: ${result.shortMessage}`);
      return stripVTControlCharacters(result.stdout);
    }
  };
  /** The replies `pm2 trigger` printed: `[name:pm_id:namespace]=<json>` lines. */
  const replies = (output: string, name: string) =>
    output
      .split('\n')
      .filter((line) => line.startsWith(`[${name}:`))
      .map((line) => JSON.parse(line.slice(line.indexOf('=') + 1)) as Record<string, unknown>);
  const start = (name: string, extraArgs: string[], env: Record<string, string> = {}) =>
    pm2WithEnv(sandbox, ['start', APP, '--name', name, ...extraArgs], {
      PM2_SELF_DIST: DIST,
      EVENTS_FILE: eventsOf(name),
      ...env,
    });

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-operator-actions-');
    npmDir = await mkdtemp(join(tmpdir(), 'pm2-self-npm-app-'));
    await writeFile(
      join(npmDir, 'package.json'),
      JSON.stringify({ name: 'npm-app', private: true, scripts: { start: `node ${JSON.stringify(APP)}` } }),
    );
    await sandbox.pm2(['ping']); // one daemon first: parallel starts would each spawn one
    await Promise.all([
      start('trig', [], { TX2: '1' }),
      start('trig-nopmx', ['--no-pmx'], { TX2: '1' }),
      start('closed-before', ['--no-pmx'], { CLOSE_CHANNEL: 'before' }),
      start('closed-after', ['--no-pmx'], { CLOSE_CHANNEL: 'after', TASK_MS: '300' }),
      pm2WithEnv(sandbox, ['start', 'npm', '--name', 'npm-app', '--cwd', npmDir, '--', 'start'], {
        PM2_SELF_DIST: DIST,
        EVENTS_FILE: eventsOf('npm-app'),
      }),
    ]);
    await sandbox.waitFor((list) =>
      ['trig', 'trig-nopmx'].every((name) => actionsOf(app(list, name)).includes('pm2-self:status')),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it.each(['trig', 'trig-nopmx'])('%s: a tx2 action and pm2-self:status answer once each', async (name) => {
    const entry = app(await sandbox.jlist(), name);
    expect(actionsOf(entry)).toEqual(
      expect.arrayContaining(['tx2:ping', 'pm2-self:restart', 'pm2-self:cancel', 'pm2-self:status']),
    );
    expect(replies(await pm2Loud(['trigger', name, 'tx2:ping']), name)).toEqual([{ pong: entry?.pid }]);
    const status = replies(await pm2Loud(['trigger', name, 'pm2-self:status']), name);
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({
      action: 'pm2-self:status',
      pid: entry?.pid,
      info: { name, pmId: entry?.pm_id, relation: 'tracked', status: 'online' },
      restart: { state: 'idle' },
      tasks: { running: 0 },
      lastRestart: null,
    });
    // tx2 sends its metrics on its own timer: wait (bounded) until they reached the daemon.
    type Monitor = Record<string, { value: unknown }> | undefined;
    const monitorOf = (list: Awaited<ReturnType<Pm2Sandbox['jlist']>>) =>
      app(list, name)?.pm2_env.axm_monitor as Monitor;
    const monitor =
      monitorOf(await sandbox.waitFor((list) => monitorOf(list)?.['tx2 metric'] !== undefined)) ?? {};
    expect(monitor['tx2 metric']?.value).toBe(42);
    expect(monitor['pm2-self restart state']?.value).toBe('idle');
  });

  it.each(['trig', 'trig-nopmx'])(
    '%s: pm2 trigger pm2-self:restart deploy returns with one reply, and the app comes back',
    async (name) => {
      const before = app(await sandbox.jlist(), name);
      const output = await pm2Loud(['trigger', name, 'pm2-self:restart', 'deploy']);
      expect(replies(output, name)).toEqual([
        {
          action: 'pm2-self:restart',
          pid: before?.pid,
          requestId: null,
          outcome: { status: 'restarting', strategy: { type: 'exit', code: 0 }, why: expect.any(String) },
        },
      ]);
      const list = await sandbox.waitFor((l) => {
        const entry = app(l, name);
        const monitor = entry?.pm2_env.axm_monitor as Record<string, { value: unknown }> | undefined;
        return entry?.pid !== before?.pid && monitor?.['pm2-self last restart']?.value === 'deploy';
      });
      expect(app(list, name)?.pm2_env).toMatchObject({
        status: 'online',
        restart_time: 1,
        unstable_restarts: 0,
      });
      const events = await readEvents(name);
      const exit = events.findIndex((e) => e.pid === before?.pid && e.event === 'exit');
      const next = events.findIndex((e) => e.pid === app(list, name)?.pid && e.event === 'started');
      expect(exit).toBeGreaterThan(-1);
      expect(next).toBeGreaterThan(exit);
    },
  );

  it('pm2 show lists the three metrics', async () => {
    const show = await pm2Loud(['show', 'trig']);
    expect(show).toMatch(/│ pm2-self restart state\s+│ idle\s+│/);
    expect(show).toMatch(/│ pm2-self running tasks\s+│ 0\s+│/);
    expect(show).toMatch(/│ pm2-self last restart\s+│ deploy\s+│/);
  });

  it('an npm-launched app (no IPC channel) and apps whose channel closed keep running', async () => {
    const npm = await waitForEvents('npm-app', (e) => e.some((x) => x.event === 'exposed'));
    expect(npm[0]).toMatchObject({ event: 'started', hasChannel: false });
    expect(npm.find((e) => e.event === 'exposed')?.debug).toEqual([
      'exposeToPm2: no IPC channel to pm2 (started by npm, a shell, or outside pm2): nothing exposed',
    ]);
    const before = await waitForEvents('closed-before', (e) => e.some((x) => x.event === 'exposed'));
    expect(before.map((e) => e.event)).toEqual(['started', 'disconnected', 'exposed']);
    // Disconnected after exposing, with tasks changing the metric every 300 ms: sends are skipped.
    const after = await waitForEvents(
      'closed-after',
      (e) => e.filter((x) => x.event === 'task-ended').length >= 3,
    );
    expect(after.findIndex((e) => e.event === 'disconnected')).toBeGreaterThan(
      after.findIndex((e) => e.event === 'exposed'),
    );
    for (const name of ['npm-app', 'closed-before', 'closed-after']) {
      expect((await readEvents(name)).filter((e) => e.event === 'exit' || e.event === 'error')).toEqual([]);
    }
    const list = await sandbox.jlist();
    for (const name of ['npm-app', 'closed-before', 'closed-after'])
      expect(app(list, name)?.pm2_env).toMatchObject({ status: 'online', restart_time: 0 });
  });
});
