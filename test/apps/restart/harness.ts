/**
 * Test-side helpers for the real-pm2 restart suites: start app.cjs under a sandbox daemon from an
 * ecosystem file, and read the JSON-lines events the apps append.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JlistEntry, Pm2Sandbox } from '../../helpers/pm2-sandbox.js';

/** The app program every restart suite runs. */
export const RESTART_APP = resolve(import.meta.dirname, 'app.cjs');
/** The built package the apps load (tests run against the build: `npm run build` first). */
export const PM2_SELF_DIST =
  process.env.PM2_SELF_TEST_DIST ?? resolve(import.meta.dirname, '../../../dist/index.cjs');

/** One JSON line written by app.cjs. */
export interface AppEvent {
  pid: number;
  /** pm2's restart_time of the generation that wrote it (null outside pm2). */
  gen: string | null;
  event: string;
  at: number;
  [key: string]: unknown;
}

/** An app of an ecosystem file: pm2 keys plus the app's own env. */
export interface AppSpec {
  name: string;
  scenario: string;
  env?: Record<string, string>;
  /** Further ecosystem keys (exec_mode, stop_exit_codes, autorestart, kill_timeout, ...). */
  pm2?: Record<string, unknown>;
}

export function eventsFile(sandbox: Pm2Sandbox, name: string): string {
  return join(sandbox.home, `events-${name}.jsonl`);
}

/** Environment for app.cjs (inside or outside pm2). */
export function appEnv(
  sandbox: Pm2Sandbox,
  name: string,
  scenario: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { PM2_SELF_DIST, EVENTS_FILE: eventsFile(sandbox, name), SCENARIO: scenario, ...extra };
}

/** Writes one ecosystem file for all `apps` and starts them with a single `pm2 start`. */
export async function startApps(
  sandbox: Pm2Sandbox,
  apps: readonly AppSpec[],
  file = 'ecosystem.json',
): Promise<void> {
  // A concurrent `npm run build` (tsup clean) removes dist/ for a moment: wait for it, bounded.
  for (const until = Date.now() + 15_000; !existsSync(PM2_SELF_DIST);) {
    if (Date.now() > until) throw new Error(`${PM2_SELF_DIST} is missing: run npm run build first`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const ecosystem = {
    apps: apps.map((app) => ({
      name: app.name,
      script: RESTART_APP,
      cwd: sandbox.home,
      env: appEnv(sandbox, app.name, app.scenario, app.env),
      ...app.pm2,
    })),
  };
  const path = join(sandbox.home, file);
  await writeFile(path, JSON.stringify(ecosystem, null, 2));
  await sandbox.pm2(['start', path]);
}

export async function readEvents(file: string): Promise<AppEvent[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AppEvent);
}

/** Polls the events file until `predicate` holds; rejects with the events seen after `timeoutMs`. */
export async function waitForEvents(
  file: string,
  predicate: (events: AppEvent[]) => boolean,
  timeoutMs = 20_000,
): Promise<AppEvent[]> {
  const until = Date.now() + timeoutMs;
  let events: AppEvent[] = [];
  while (Date.now() < until) {
    events = await readEvents(file);
    if (predicate(events)) {
      if (process.env.RESTART_EVENTS_DUMP)
        console.log(
          file,
          events
            .map(({ pid, gen, event, label, code }) => [pid, gen, event, label ?? code ?? ''].join(' '))
            .join('\n'),
        );
      return events;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `events condition not met within ${timeoutMs} ms in ${file}; events: ${JSON.stringify(events).slice(0, 8_000)}`,
  );
}

/** The jlist entry of app `name` (throws when absent). */
export function entryOf(list: readonly JlistEntry[], name: string): JlistEntry {
  const entry = list.find((p) => p.name === name);
  if (!entry) throw new Error(`no pm2 process named ${name} in ${JSON.stringify(list.map((p) => p.name))}`);
  return entry;
}

/** Waits until app `name` is online with a live pid and `restart_time === restarts`. */
export async function waitOnline(
  sandbox: Pm2Sandbox,
  name: string,
  restarts: number,
  timeoutMs = 20_000,
): Promise<JlistEntry> {
  const list = await sandbox.waitFor(
    (l) =>
      l.some(
        (p) =>
          p.name === name &&
          p.pm2_env.status === 'online' &&
          p.pid > 0 &&
          p.pm2_env.restart_time === restarts,
      ),
    timeoutMs,
  );
  return entryOf(list, name);
}

/** A predicate: generation `gen` has recorded `started`. */
/**
 * Each instance's down interval in a rollout: its gen-0 process's exit to its gen-1 process's `up`
 * line (the end of its synchronous start-up, boot included), from the apps' own timestamps.
 */
export function downIntervals(events: readonly AppEvent[]): { instance: string; from: number; to: number }[] {
  const started = events.filter((e) => e.event === 'started');
  const instanceOf = (pid: number) => started.find((s) => s.pid === pid)?.instance;
  return events
    .filter((e) => e.event === 'exit' && e.gen === '0')
    .flatMap((exit) => {
      const instance = instanceOf(exit.pid);
      const next = started.find((s) => s.instance === instance && s.gen === '1');
      const up = events.find((e) => e.event === 'up' && e.pid === next?.pid);
      return up === undefined ? [] : [{ instance: String(instance), from: exit.at, to: up.at }];
    });
}

export const startedOf =
  (gen: string) =>
  (events: readonly AppEvent[]): boolean =>
    events.some((e) => e.event === 'started' && e.gen === gen);

/** The first event matching (throws, listing the events, when none does). */
export function findEvent(events: readonly AppEvent[], match: (event: AppEvent) => boolean): AppEvent {
  const found = events.find(match);
  if (!found)
    throw new Error(
      `no matching event in ${JSON.stringify(events.map(({ pid, gen, event }) => ({ pid, gen, event })))}`,
    );
  return found;
}

/** Index of the first event matching, or -1. */
export function indexOf(events: readonly AppEvent[], match: (event: AppEvent) => boolean): number {
  return events.findIndex(match);
}

export const ofPid =
  (pid: number) =>
  (event: AppEvent): boolean =>
    event.pid === pid;

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
