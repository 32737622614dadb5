/**
 * Health where operators look: the one-line summary, the `pm2-self health` / `pm2-self loop delay`
 * metrics of exposeToPm2() (only while a health check or watchdog runs), and the health column of
 * `pm2-self status` read back from those metrics.
 */
import { describe, expect, it } from 'vitest';
import { readAppInstances } from '../../src/cli/app-instances.js';
import { statusJson, statusLines } from '../../src/cli/status-command.js';
import { OPERATOR_METRICS } from '../../src/operator/action-protocol.js';
import { operatorMetrics } from '../../src/operator/operator-metrics.js';
import { summarizeHealth, type HealthSnapshot } from '../../src/policy/health-snapshot.js';
import { restartMachine } from '../../src/restart/machine.js';
import { exposedRawEntry } from '../helpers/process-entry.js';

const AT = Date.UTC(2026, 11, 4, 14, 2, 11);
const health = (overrides: Partial<HealthSnapshot> = {}): HealthSnapshot => ({
  checking: true,
  lastCheckAt: AT,
  lastOk: true,
  failingSince: null,
  lastError: null,
  eventLoopBlockedForMs: 10_000,
  loopDelayMs: 14,
  ...overrides,
});

describe('summarizeHealth', () => {
  it.each([
    [health(), 'ok, checked 14:02:11'],
    [
      health({ lastOk: false, failingSince: AT - 41_000, lastError: 'returned false' }),
      'failing since 14:01:30: returned false',
    ],
    [health({ lastCheckAt: null, lastOk: null }), 'not checked yet'],
    [health({ checking: false, lastCheckAt: null }), 'watchdog only'],
    [health({ checking: false, eventLoopBlockedForMs: null }), null],
  ])('%j -> %s', (snapshot, expected) => {
    expect(summarizeHealth(snapshot)).toBe(expected);
  });
});

describe('health metrics and the status column', () => {
  const state = restartMachine.initialState;

  it('no health metrics without a health check or watchdog', () => {
    const metrics = operatorMetrics(state, null, health({ checking: false, eventLoopBlockedForMs: null }));
    expect(Object.keys(metrics)).toEqual([
      OPERATOR_METRICS.state,
      OPERATOR_METRICS.tasks,
      OPERATOR_METRICS.lastRestart,
    ]);
  });

  it('a failing check shows in the metrics, and `pm2-self status` reads it back', () => {
    const failing = health({ lastOk: false, failingSince: AT - 41_000, lastError: 'hub down' });
    const metrics = operatorMetrics(state, null, failing);
    expect(metrics[OPERATOR_METRICS.health]).toEqual({ value: 'failing since 14:01:30: hub down' });
    expect(metrics[OPERATOR_METRICS.loopDelay]).toEqual({ value: 10, unit: 'ms' });
    const instances = readAppInstances([
      exposedRawEntry('hub', 0, metrics),
      exposedRawEntry('web', 1, operatorMetrics(state, null)),
    ]);
    expect(instances).not.toBeNull();
    const [hub, web] = instances ?? [];
    expect(statusJson(hub as never).health).toEqual({
      summary: 'failing since 14:01:30: hub down',
      loopDelayMs: 10,
    });
    expect(statusJson(web as never).health).toBeNull();
    const lines = statusLines(instances ?? [], false);
    expect(lines[0]).toMatch(/^name\s+id\s+pid\s+status\s+↺\s+state\s+tasks\s+health\s+loop\s+last/);
    expect(lines[1]).toMatch(
      /^hub\s+0\s+100\s+online\s+0\s+idle\s+0\s+failing 14:01:30 hub down\s+10ms\s+none$/,
    );
    expect(lines[2]).toMatch(/^web\s+1\s+101\s+online\s+0\s+idle\s+0\s+-\s+-\s+none$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });
});
