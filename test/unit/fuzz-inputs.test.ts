/**
 * Property tests over hostile inputs: pm2 output, env snapshots, pid files and daemon answers.
 * Runs are seeded (set FC_SEED to explore other inputs) and small, so the file takes a few seconds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPm2Self } from '../../src/create-pm2-self.js';
import { parseJlistOutput, readProcessList, type ProcessEntry } from '../../src/pm2/process-list.js';
import { classifyRelation } from '../../src/identity/relation.js';
import { parseCount } from '../../src/pm2/parse-values.js';
import { readPm2Env } from '../../src/pm2/pm2-env.js';
import type { RestartSettings } from '../../src/pm2/restart-settings.js';
import type { CommandResult, RpcResult } from '../../src/ports/ports.js';
import { addLiveDaemon, createFakePorts, jlistFixture } from '../helpers/fake-ports.js';

const SEED = Number(process.env.FC_SEED ?? 20_261_125);
const params = (numRuns: number) => ({ numRuns, seed: SEED });
const FULL = jlistFixture('full.json');
const FULL_READING = parseJlistOutput(FULL);

// ---- arbitraries ----

const PIDS = [100, 101, 102, 103, 104];
const pidArb = fc.constantFrom(...PIDS);
const nameArb = fc.oneof(
  fc.constantFrom('api', 'worker', 'ñame-🚀', '名前'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
/** Any JSON-ish value of the wrong type, or an extreme one. */
const weird = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constantFrom(
    null,
    -1,
    -0,
    1.5,
    2 ** 53,
    1e308,
    Number.MAX_SAFE_INTEGER,
    '12',
    '0,7',
    '[object Object]',
    [],
    {},
    [1, 2],
  ),
);
/** An env value as text: missing, empty, non-numeric, array-as-string, huge. */
const envText = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '1',
    '-1',
    '1.5',
    '2x',
    '2s',
    '0,7',
    '[object Object]',
    'true',
    'false',
    'launching',
    '99999999999999999999',
    '\u0000',
  ),
  fc.nat(5000).map(String),
  fc.string({ maxLength: 10 }),
);
/** A secret with a prefix that nothing legitimate in the output can contain. */
const secretArb = fc.record({
  key: fc.constantFrom('SECRET_TOKEN', 'API_KEY', 'DB_PASSWORD', 'npm_config__auth'),
  value: fc.string({ minLength: 6, maxLength: 16 }).map((s) => `zzSECRET-${s}`),
});

const rawEntryArb = (secret: { key: string; value: string }) =>
  fc.record(
    {
      pid: fc.oneof(pidArb, fc.constant(0), weird),
      name: fc.oneof(nameArb, weird),
      pm_id: fc.oneof(fc.nat(6), weird),
      monit: fc.oneof(
        fc.record({
          memory: fc.oneof(fc.nat(), weird),
          cpu: fc.oneof(fc.double({ min: 0, max: 400 }), weird),
        }),
        weird,
      ),
      pm2_env: fc.oneof(
        fc.record(
          {
            status: fc.oneof(
              fc.constantFrom('online', 'stopped', 'errored', 'launching', 'waiting restart'),
              weird,
            ),
            exec_mode: fc.oneof(fc.constantFrom('fork_mode', 'cluster_mode'), weird),
            exec_interpreter: fc.oneof(fc.constantFrom('node', 'bash', '/bin/sh', 'none'), weird),
            instance_var: fc.oneof(fc.constantFrom('NODE_APP_INSTANCE', secret.key, 'pm_id'), weird),
            NODE_APP_INSTANCE: fc.oneof(fc.nat(3), weird),
            namespace: fc.oneof(fc.constant('default'), weird),
            autorestart: fc.oneof(fc.boolean(), weird),
            stop_exit_codes: fc.oneof(fc.array(fc.integer({ min: -1, max: 255 }), { maxLength: 3 }), weird),
            min_uptime: fc.oneof(fc.nat(5000), fc.constantFrom('2s', '2x'), weird),
            kill_timeout: fc.oneof(fc.nat(5000), weird),
            max_restarts: fc.oneof(fc.nat(20), weird),
            restart_delay: fc.oneof(fc.nat(1000), weird),
            pm_uptime: fc.oneof(fc.nat(), weird),
            restart_time: fc.oneof(fc.nat(10), weird),
            [secret.key]: fc.constant(secret.value),
            env: fc.constant({ [secret.key]: secret.value, PM2_HOME: '/fuzz/.pm2' }),
            pm_exec_path: fc.constant('/fuzz/app/index.js'),
          },
          { requiredKeys: [] },
        ),
        weird,
      ),
    },
    { requiredKeys: [] },
  );

function expectSaneSettings(settings: RestartSettings): void {
  const isDuration = (value: unknown) =>
    value === 'unknown' || (Number.isSafeInteger(value) && (value as number) >= 0);
  expect(settings.autorestart === 'unknown' || typeof settings.autorestart === 'boolean').toBe(true);
  expect(
    settings.stopExitCodes === 'unknown' ||
      (Array.isArray(settings.stopExitCodes) &&
        settings.stopExitCodes.every((code) => Number.isInteger(code))),
  ).toBe(true);
  for (const value of [
    settings.minUptimeMs,
    settings.maxRestarts,
    settings.killTimeoutMs,
    settings.restartDelayMs,
  ])
    expect(isDuration(value)).toBe(true);
  expect(settings.expBackoffRestartDelayMs === null || isDuration(settings.expBackoffRestartDelayMs)).toBe(
    true,
  );
}

function expectSaneEntry(entry: ProcessEntry): void {
  expect(Number.isSafeInteger(entry.pid) && entry.pid >= 0).toBe(true);
  expect(Number.isSafeInteger(entry.pmId) && entry.pmId >= 0).toBe(true);
  // eslint-disable-next-line no-control-regex
  const controlCharacter = /[\u0000-\u001f\u007f]/;
  expect(
    typeof entry.name === 'string' &&
      entry.name.length > 0 &&
      entry.name.length <= 256 &&
      !controlCharacter.test(entry.name),
  ).toBe(true);
  expect(typeof entry.status === 'string' && entry.status.length > 0).toBe(true);
  expect(
    entry.memoryBytes === null || (Number.isSafeInteger(entry.memoryBytes) && entry.memoryBytes >= 0),
  ).toBe(true);
  expect(entry.cpuPercent === null || (Number.isFinite(entry.cpuPercent) && entry.cpuPercent >= 0)).toBe(
    true,
  );
  expect(entry.instance === null || Number.isSafeInteger(entry.instance)).toBe(true);
  expectSaneSettings(entry.settings);
}

// ---- parsers ----

describe('fuzz: pm2 jlist output', () => {
  it('any text prefix: never throws; after a line break the list is still read', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom('\n', '\r\n', ''),
        (prefix, lineEnd) => {
          const text = `${prefix}${lineEnd}${FULL}`;
          const reading = parseJlistOutput(text);
          const lineStarts = text
            .slice(0, prefix.length + lineEnd.length)
            .split(/\r?\n|\r/)
            .filter((line) => line.startsWith('[')).length;
          if (lineEnd !== '' && lineStarts < 30) expect(reading).toEqual(FULL_READING);
          if (!reading.ok) expect(['empty', 'noJson', 'invalidJson', 'notAList']).toContain(reading.problem);
        },
      ),
      params(300),
    );
  });

  it('truncation at any point: never throws, never a list unless complete', () => {
    fc.assert(
      fc.property(fc.nat(FULL.length), (cut) => {
        const reading = parseJlistOutput(FULL.slice(0, cut));
        expect(reading.ok).toBe(cut === FULL.length);
        if (!reading.ok) expect(reading.problem).toBe(cut === 0 ? 'empty' : 'invalidJson');
      }),
      params(300),
    );
  });

  it('entries with wrong types, huge numbers, negative/float pids, duplicates, unicode: only sane entries come out, with no env value', () => {
    fc.assert(
      fc.property(
        secretArb.chain((secret) =>
          fc.tuple(fc.constant(secret), fc.array(rawEntryArb(secret), { maxLength: 8 })),
        ),
        ([secret, raw]) => {
          const direct = readProcessList(raw);
          expect(direct.ok).toBe(true);
          if (!direct.ok) return;
          expect(direct.entries.length + direct.skipped).toBe(raw.length);
          for (const entry of direct.entries) expectSaneEntry(entry);
          expect(JSON.stringify(direct.entries)).not.toContain(secret.value);
          expect(JSON.stringify(direct.entries)).not.toContain('/fuzz/');
          // The same list through the CLI text path: JSON turns NaN/Infinity into null, -0 into 0.
          const viaText = parseJlistOutput(JSON.stringify(raw));
          expect(viaText.ok).toBe(true);
          if (viaText.ok) for (const entry of viaText.entries) expectSaneEntry(entry);
        },
      ),
      params(300),
    );
  });

  it('random JSON values: never throw', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        readProcessList(value);
        parseJlistOutput(JSON.stringify(value) ?? '');
      }),
      params(300),
    );
  });
});

describe('fuzz: env snapshots and pid files', () => {
  const KEYS = [
    'pm_id',
    'name',
    'namespace',
    'exec_mode',
    'instance_var',
    'NODE_APP_INSTANCE',
    'pm_pid_path',
    'PM2_HOME',
    'pm_uptime',
    'restart_time',
    'unstable_restarts',
    'autorestart',
    'stop_exit_codes',
    'min_uptime',
    'max_restarts',
    'kill_timeout',
    'restart_delay',
    'exp_backoff_restart_delay',
    'shutdown_with_message',
    'wait_ready',
  ];
  const envArb = fc.record(
    Object.fromEntries(KEYS.map((key) => [key, envText])) as Record<string, fc.Arbitrary<string | undefined>>,
    { requiredKeys: [] },
  );

  it('readPm2Env never throws and returns only checked values', () => {
    fc.assert(
      fc.property(envArb, (env) => {
        const reading = readPm2Env(env);
        if (!reading.ok) {
          expect(['absent', 'invalidName', 'invalidPmId']).toContain(reading.problem);
          if (env.pm_id === undefined) expect(reading.problem).toBe('absent');
          return;
        }
        const identity = reading.identity;
        expect(identity.pmId).toBe(parseCount(env.pm_id));
        expect(identity.name).toBe(env.name);
        expect(identity.instance === null || Number.isSafeInteger(identity.instance)).toBe(true);
        expect(identity.startedAt === null || Number.isSafeInteger(identity.startedAt)).toBe(true);
        expectSaneSettings(identity.settings);
        if (identity.execMode !== 'cluster' && env.stop_exit_codes === undefined)
          expect(identity.settings.stopExitCodes).toBe('unknown');
      }),
      params(500),
    );
  });

  it('classifyRelation never throws; tracked only for our own pid, wrapper only for our parent', () => {
    const pidFileArb = fc.oneof(
      fc.constant(null),
      pidArb.map(String),
      pidArb.map((pid) => ` ${pid}\n`),
      fc.string({ maxLength: 12 }),
      fc.constantFrom('', '0', '-100', '100.0', '1e2', '100 101', '99999999999999999999'),
    );
    fc.assert(
      fc.property(
        pidArb,
        pidArb,
        pidFileArb,
        fc.option(pidArb, { nil: null }),
        fc.option(fc.constantFrom('node', 'bash', '/usr/bin/node', 'sh', 'none', ''), { nil: null }),
        (pid, ppid, pidFileText, daemonPid, interpreter) => {
          const reading = classifyRelation({
            pid,
            ppid,
            pidFileText,
            daemonPid,
            interpreter,
            script: null,
            ancestors: null,
          });
          if (!reading.ok) {
            expect(reading.problem).toBe(pidFileText === null ? 'pidFileUnreadable' : 'pidFileInvalid');
            return;
          }
          expect(reading.trackedPid).toBe(parseCount(pidFileText?.trim()));
          expect(reading.trackedPid).toBeGreaterThan(0);
          expect(reading.relation === 'tracked').toBe(reading.trackedPid === pid);
          if (reading.relation === 'wrapper') expect(reading.trackedPid).toBe(ppid);
          if (reading.relation === 'superseded') expect(ppid).toBe(daemonPid);
        },
      ),
      params(500),
    );
  });
});

// ---- the whole instance over fake ports ----

const PID_PATH = '/fuzz/.pm2/pids/app-0.pid';
const HOMES = ['/fuzz/.pm2', '/home/tester/.pm2'];

const ok = <T>(value: T): RpcResult<T> => ({ ok: true, value });
const rpcFailArb = fc.constantFrom<RpcResult<unknown>>(
  { ok: false, reason: 'noDaemon', message: 'ENOENT' },
  { ok: false, reason: 'accessDenied', message: 'EACCES' },
  { ok: false, reason: 'timeout', message: 'slow' },
  { ok: false, reason: 'remoteError', message: 'err' },
  { ok: false, reason: 'closed', message: 'closed' },
);

/** Mostly well-formed, sometimes hostile: enough valid inputs to reach every relation. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: bad, weight: 1 });

const goodEntryArb = (secret: { key: string; value: string }) =>
  fc.record({
    pid: pidArb,
    name: fc.constantFrom('api', 'worker', 'ñame-🚀'),
    pm_id: fc.nat(3),
    monit: fc.record({ memory: fc.nat(), cpu: fc.nat(100) }),
    pm2_env: fc.record({
      status: fc.constantFrom('online', 'stopping', 'launching'),
      exec_mode: fc.constantFrom('fork_mode', 'cluster_mode'),
      exec_interpreter: fc.constantFrom('node', 'bash'),
      pm_uptime: fc.nat(),
      [secret.key]: fc.constant(secret.value),
      env: fc.constant({ [secret.key]: secret.value }),
    }),
  });

const scenarioArb = secretArb.chain((secret) =>
  fc.record({
    secret: fc.constant(secret),
    pid: pidArb,
    ppid: pidArb,
    parents: fc.dictionary(pidArb.map(String), pidArb, { maxKeys: 5 }),
    pm2Vars: fc.option(
      fc.record(
        {
          pm_id: mostly(fc.nat(3).map(String), envText),
          name: mostly(fc.constantFrom('api', 'worker'), fc.oneof(nameArb, envText)),
          exec_mode: fc.oneof(fc.constantFrom('fork_mode', 'cluster_mode'), envText),
          exec_interpreter: fc.oneof(fc.constantFrom('node', 'bash'), envText),
          instance_var: fc.oneof(fc.constantFrom('NODE_APP_INSTANCE', secret.key), envText),
          NODE_APP_INSTANCE: envText,
          namespace: envText,
          pm_pid_path: mostly(fc.constant(PID_PATH), envText),
          PM2_HOME: fc.constantFrom('/fuzz/.pm2', undefined, ''),
          pm_uptime: envText,
          restart_time: envText,
          stop_exit_codes: envText,
          min_uptime: envText,
          kill_timeout: envText,
          status: fc.constant('launching'),
        },
        { requiredKeys: ['pm_id'] },
      ),
      { nil: undefined },
    ),
    pidFile: mostly(
      pidArb.map(String),
      fc.oneof(
        fc.constant(null),
        fc.string({ maxLength: 6 }),
        fc.constantFrom('', '0', '-1', `${PIDS[0]}\n`),
      ),
    ),
    live: mostly(fc.constant(true), fc.constant(false)),
    daemonPid: pidArb,
    list: fc.array(mostly(goodEntryArb(secret), rawEntryArb(secret)), { maxLength: 6 }),
    rpc: mostly(fc.constant<'list'>('list'), fc.oneof(fc.constant<'garbage'>('garbage'), rpcFailArb)),
    ping: mostly(fc.constant(ok<unknown>('pong')), rpcFailArb),
    cli: fc.oneof(
      fc.constant<'list'>('list'),
      fc.string({ maxLength: 20 }).map((prefix) => ({ prefix })),
      fc.constantFrom<CommandResult>(
        { ok: false, reason: 'notFound', message: 'ENOENT' },
        { ok: false, reason: 'exitCode', exitCode: 1, message: 'x' },
        { ok: true, stdout: 'garbage' },
      ),
    ),
    route: fc.constantFrom('auto' as const, 'rpc' as const, 'cli' as const),
  }),
);

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function portsFor(s: Scenario) {
  const listText = JSON.stringify(s.list);
  const ports = createFakePorts({
    pid: s.pid,
    ppid: s.ppid,
    parents: Object.fromEntries(Object.entries(s.parents).map(([pid, parent]) => [Number(pid), parent])),
    env: { ...s.pm2Vars, [s.secret.key]: s.secret.value, PATH: '/usr/bin' },
    files: s.pidFile === null ? {} : { [PID_PATH]: s.pidFile },
    daemon: {
      getMonitorData:
        s.rpc === 'list'
          ? ok(JSON.parse(listText) as unknown)
          : s.rpc === 'garbage'
            ? ok<unknown>({ not: 'a list' })
            : s.rpc,
      ping: s.ping,
      restartProcessId: ok(null),
    },
    run: () =>
      s.cli === 'list'
        ? { ok: true, stdout: listText }
        : 'prefix' in s.cli
          ? { ok: true, stdout: `${s.cli.prefix}\n${listText}` }
          : s.cli,
  });
  if (s.live) for (const home of HOMES) addLiveDaemon(ports, home, s.daemonPid);
  return ports;
}

describe('fuzz: createPm2Self over random envs, pid files and daemon answers', () => {
  it('never throws, never starts a daemon, never claims an inconsistent identity, never leaks a secret', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const ports = portsFor(s);
        const self = createPm2Self({ ports, route: s.route, pm2Bin: '/fuzz/bin/pm2' });
        const identity = await self.getIdentity();
        const name = await self.getProcessName();
        const status = await self.getStatus();
        const info = await self.getInfo();
        const live = await self.getInfo({ live: true });

        // Never a daemon started: no live pid file, no socket call and no command.
        if (!s.live) {
          expect(ports.daemon.calls).toHaveLength(0);
          expect(ports.runner.calls).toHaveLength(0);
        }
        // The CLI only ever runs after the daemon answered a ping.
        if (ports.runner.calls.length > 0) {
          expect(ports.daemon.methods()).toContain('ping');
          expect(s.ping.ok).toBe(true);
        }

        if (!identity.managed) {
          expect([name, status, info, live]).toEqual([null, null, null, null]);
          return;
        }
        expect(name).toBe(identity.name);
        const pidFilePid =
          s.pm2Vars?.pm_pid_path === PID_PATH && s.pidFile !== null
            ? parseCount(s.pidFile.trim())
            : undefined;
        const listed = readProcessList(s.list);
        const listedPids = listed.ok ? listed.entries.map((entry) => entry.pid) : [];
        if (identity.relation === 'tracked') {
          expect(identity.trackedPid).toBe(s.pid);
          expect(pidFilePid === s.pid || listedPids.includes(s.pid)).toBe(true);
        }
        if (identity.relation === 'wrapper') expect(identity.trackedPid).toBe(s.ppid);
        if (identity.source === 'pm2Env') {
          // The pid file names the tracked process, unless it is stale: an old worker whose parent is
          // the daemon, and which the daemon lists under its pm_id, is tracked whatever the file says.
          const daemonSaysUs =
            identity.relation === 'tracked' && s.ppid === s.daemonPid && listedPids.includes(s.pid);
          expect(identity.trackedPid).toBe(daemonSaysUs ? s.pid : pidFilePid);
        }
        if (identity.source === 'daemon')
          expect(listedPids.filter((pid) => pid === identity.trackedPid)).toHaveLength(1);

        for (const snapshot of [info, live]) {
          expect(snapshot).not.toBeNull();
          if (snapshot === null) continue;
          expect(snapshot.pid).toBe(s.pid);
          // A live answer carries the live relation: the daemon lists a newer process of this app
          // (name, namespace) under our pm_id; another app there is not ours.
          const sameApp = (e: { name: string; namespace: string | null }) =>
            e.name === identity.name && (identity.namespace === null || e.namespace === identity.namespace);
          const replaced =
            snapshot === live &&
            snapshot.daemon?.ok === true &&
            identity.relation === 'tracked' &&
            listed.ok &&
            listed.entries.some(
              (e) => e.pmId === identity.pmId && e.pid !== identity.trackedPid && sameApp(e),
            ) &&
            !listed.entries.some((e) => e.pmId === identity.pmId && e.pid === identity.trackedPid);
          expect(snapshot.relation).toBe(replaced ? 'superseded' : identity.relation);
          expect(snapshot.name).toBe(identity.name);
          if (snapshot.relation === 'tracked') expect(snapshot.trackedPid).toBe(s.pid);
          if (snapshot.relation === 'wrapper') expect(snapshot.trackedPid).toBe(s.ppid);
          const json = JSON.stringify(snapshot);
          expect(json).not.toContain(s.secret.value);
          expect(json).not.toContain('/fuzz/');
        }
        expect(JSON.stringify(identity)).not.toContain(s.secret.value);
      }),
      params(300),
    );
  });
});
