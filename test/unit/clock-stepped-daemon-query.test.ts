/**
 * Issue 18: a daemon query's budget (`queryTimeoutMs`, the version check and the question together)
 * runs on the clock port's monotonic time: a wall clock stepped back or forward 1 h during the version
 * check neither ends the question's budget at once nor stretches it by the hour.
 */
import { describe, expect, it } from 'vitest';
import { createDaemonQuery } from '../../src/daemon/daemon-query.js';
import { pm2HomePaths } from '../../src/daemon/pm2-home.js';
import {
  createFakeDaemonClient,
  createFakeFileSystem,
  createFakeProcess,
  createFakeRunner,
  FAKE_DAEMON_VERSION,
  jlistFixture,
} from '../helpers/fake-ports.js';
import { createSteppedClock } from '../helpers/stepped-clock.js';

const HOUR_MS = 3_600_000;
const PATHS = pm2HomePaths('/srv/pm2home', 'linux');
const DAEMON_PID = 555;
const BUDGET_MS = 2_000;

describe.each([
  ['back', -HOUR_MS],
  ['forward', HOUR_MS],
])('a wall clock stepped %s 1 h during the version check', (_direction, stepMs) => {
  it("leaves the question the rest of the query's budget", async () => {
    const { clock, step } = createSteppedClock();
    const daemon = createFakeDaemonClient({
      getVersion: () => {
        step(stepMs);
        return { ok: true, value: FAKE_DAEMON_VERSION };
      },
      getMonitorData: { ok: true, value: JSON.parse(jlistFixture('full.json')) as unknown },
    });
    const query = createDaemonQuery({
      ports: {
        clock,
        fs: createFakeFileSystem({ [PATHS.daemonPidFile]: `${DAEMON_PID}\n` }),
        daemon,
        runner: createFakeRunner(),
        process: createFakeProcess({ pid: 1000, alive: [DAEMON_PID] }),
      },
      paths: PATHS,
      route: 'rpc',
      timeoutMs: BUDGET_MS,
      cacheTtlMs: 1_000,
      maxListBytes: 1 << 20,
      pm2Command: () => {
        throw new Error('no CLI in this test');
      },
    });
    expect(await query.list({ fresh: true })).toMatchObject({ ok: true });
    expect(daemon.versionCalls.map((call) => call.options.timeoutMs)).toEqual([BUDGET_MS]);
    expect(daemon.calls.map((call) => [call.method, call.options.timeoutMs])).toEqual([
      ['getMonitorData', BUDGET_MS],
    ]);
  });
});
