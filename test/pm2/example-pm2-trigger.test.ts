/**
 * examples/pm2-trigger: the real `pm2 trigger <app> pm2-self:restart` against the example app under
 * a real pm2 daemon (private sandbox), and the metrics exposeToPm2() sends, in `pm2 jlist` / `pm2 show`.
 * Needs `npm run build`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, PM2_BIN, type JlistEntry, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/pm2-trigger');
const DIST = resolve(import.meta.dirname, '../../dist/index.js');

type Monitor = Record<string, { value: unknown } | undefined>;
const app = (list: readonly JlistEntry[]) => list.find((p) => p.name === 'pm2-trigger');
const monitor = (entry: JlistEntry | undefined): Monitor => (entry?.pm2_env.axm_monitor ?? {}) as Monitor;

describe('examples/pm2-trigger under real pm2', () => {
  let sandbox: Pm2Sandbox;
  /** The pm2 CLI with its normal (not silent) output, which `pm2 trigger` and `pm2 show` need. */
  const pm2Loud = async (args: string[]) => {
    const env = { ...sandbox.env };
    delete env.PM2_SILENT;
    const result = await execa(process.execPath, [PM2_BIN, ...args], {
      env,
      extendEnv: false,
      timeout: 30_000,
    });
    return stripVTControlCharacters(result.stdout);
  };
  const reply = (output: string) => {
    const line = output.split('\n').find((l) => l.startsWith('[pm2-trigger:'));
    if (line === undefined) throw new Error(`no reply in:\n${output}`);
    return JSON.parse(line.slice(line.indexOf('=') + 1)) as {
      action: string;
      outcome?: { status: string; tasks?: number };
    };
  };
  const outLog = () => readFile(join(sandbox.home, 'logs', 'pm2-trigger-out.log'), 'utf8');
  /** Polls the app's out log (bounded) until it holds `text`; resolves with its lines. */
  const waitForLog = async (text: string) => {
    for (let attempt = 0; ; attempt++) {
      const log = await outLog();
      if (log.includes(text) || attempt >= 100) return log.split('\n');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('dist/index.js is missing: run `npm run build` first');
    sandbox = await createPm2Sandbox('pm2-self-example-trigger-');
    await sandbox.pm2(['start', resolve(EXAMPLE, 'ecosystem.config.cjs')]);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('registers the actions and shows its metrics in pm2 jlist and pm2 show', async () => {
    const list = await sandbox.waitFor(
      (l) =>
        monitor(app(l))['pm2-self running tasks'] !== undefined &&
        monitor(app(l))['pm2-self restart state'] !== undefined,
    );
    const entry = app(list);
    expect(entry?.pm2_env.status).toBe('online');
    // Beside them, the actions of pm2's injected @pm2/io (km:heapdump, ...).
    expect((entry?.pm2_env.axm_actions as { action_name: string }[]).map((a) => a.action_name)).toEqual(
      expect.arrayContaining(['pm2-self:restart', 'pm2-self:cancel', 'pm2-self:status']),
    );
    expect(monitor(entry)['pm2-self restart state']?.value).toBe('idle');
    expect(monitor(entry)['pm2-self last restart']?.value).toBe('none');

    const show = await pm2Loud(['show', 'pm2-trigger']);
    expect(show).toMatch(/│ pm2-self restart state\s+│ idle\s+│/);
    expect(show).toMatch(/│ pm2-self running tasks\s+│ [01]\s+│/);
    expect(show).toMatch(/│ pm2-self last restart\s+│ none\s+│/);
  });

  it('pm2 trigger pm2-self:restart defers for the running job, replies, and a new process follows', async () => {
    const before = app(await sandbox.jlist());
    expect(before?.pid).toBeGreaterThan(0);

    const output = await pm2Loud(['trigger', 'pm2-trigger', 'pm2-self:restart', 'new config']);
    expect(reply(output)).toEqual({
      action: 'pm2-self:restart',
      pid: before?.pid,
      requestId: null,
      outcome: { status: 'deferred', tasks: 1 },
    });

    const list = await sandbox.waitFor(
      (l) => app(l)?.pm2_env.status === 'online' && app(l)?.pid !== before?.pid && (app(l)?.pid ?? 0) > 0,
    );
    expect(app(list)?.pm2_env).toMatchObject({ restart_time: 1, unstable_restarts: 0 });
    const newPid = app(list)?.pid;

    // The new process reports fresh metrics, and the old one's log shows the deferral in order.
    await sandbox.waitFor(
      (l) =>
        app(l)?.pid === newPid &&
        monitor(app(l))['pm2-self last restart']?.value === 'new config' &&
        monitor(app(l))['pm2-self restart state']?.value === 'idle',
    );
    const log = await waitForLog(`pm2-trigger: pid ${newPid},`);
    const index = (text: string) => log.findIndex((l) => l.includes(text));
    expect(index('restart requested: new config')).toBeGreaterThan(-1);
    expect(index('restart deferred: waiting for 1 task(s)')).toBeGreaterThan(
      index('restart requested: new config'),
    );
    expect(index('restarting now (exit)')).toBeGreaterThan(index('restart deferred'));
    expect(
      index(
        `pm2-trigger: pid ${newPid}, jobs of 1500 ms; last restart: "new config" (self, pid ${before?.pid})`,
      ),
    ).toBeGreaterThan(index('restarting now (exit)'));
  });

  it('uses "pm2 trigger" as the reason when the CLI passes no parameter', async () => {
    const before = app(await sandbox.jlist());
    expect(reply(await pm2Loud(['trigger', 'pm2-trigger', 'pm2-self:restart'])).outcome?.status).toBe(
      'deferred',
    );
    const list = await sandbox.waitFor(
      (l) => app(l)?.pm2_env.status === 'online' && app(l)?.pid !== before?.pid && (app(l)?.pid ?? 0) > 0,
    );
    expect(app(list)?.pm2_env.restart_time).toBe(2);
    const newPid = app(list)?.pid;
    const line = `pm2-trigger: pid ${newPid}, jobs of 1500 ms; last restart: "pm2 trigger" (self, pid ${before?.pid})`;
    expect(await waitForLog(line)).toContain(line);
  });
});
