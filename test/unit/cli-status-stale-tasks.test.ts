/**
 * Stale tasks where operators look (issue 19 review): exposeToPm2() sends the number of tasks older
 * than `staleTaskMs` as a metric from the first stale task on (and its return to 0), and the
 * `pm2-self status` table marks them in the tasks column (`3 (1 stale)`), `--json` as `tasks.stale`.
 */
import { describe, expect, it } from 'vitest';
import { readAppInstances } from '../../src/cli/app-instances.js';
import { statusJson, statusLines } from '../../src/cli/status-command.js';
import { OPERATOR_METRICS } from '../../src/operator/action-protocol.js';
import { exposeToPm2 } from '../../src/operator/expose-to-pm2.js';
import { operatorMetrics } from '../../src/operator/operator-metrics.js';
import type { OperatorTarget } from '../../src/operator/operator-target.js';
import type { IpcChannel } from '../../src/ports/ipc-channel.js';
import { createEventHub } from '../../src/restart/events.js';
import { restartMachine, type RestartState } from '../../src/restart/machine.js';
import type { TaskSnapshot } from '../../src/restart/task-registry.js';
import { exposedRawEntry } from '../helpers/process-entry.js';
import { createSimClock, flush } from '../helpers/sim-clock.js';

const raw = exposedRawEntry;

const task = (label: string, stale: boolean): TaskSnapshot => ({
  label,
  startedAt: 1_000,
  runningMs: stale ? 700_000 : 5_000,
  stale,
});

describe('the status table marks stale tasks', () => {
  const state = (tasks: number): RestartState => ({ ...restartMachine.initialState, tasks });

  it('3 tasks of which 1 is stale read `3 (1 stale)`; an app with none stale reads its count', () => {
    const instances = readAppInstances([
      raw('importer', 0, operatorMetrics(state(3), null, null, 1)),
      raw('web', 1, operatorMetrics(state(2), null, null, 0)),
      raw('api', 2, operatorMetrics(state(1), null)),
    ]);
    const lines = statusLines(instances ?? [], false);
    expect(lines[0]).toMatch(/^name\s+id\s+pid\s+status\s+↺\s+state\s+tasks\s+last restart$/);
    expect(lines[1]).toMatch(/^importer\s+0\s+100\s+online\s+0\s+idle\s+3 \(1 stale\)\s+none$/);
    expect(lines[2]).toMatch(/^web\s+1\s+101\s+online\s+0\s+idle\s+2\s+none$/);
    expect(lines[3]).toMatch(/^api\s+2\s+102\s+online\s+0\s+idle\s+1\s+none$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    const [importer, web, api] = instances ?? [];
    expect(statusJson(importer as never).tasks).toEqual({ running: 3, stale: 1 });
    expect(statusJson(web as never).tasks).toEqual({ running: 2, stale: 0 });
    expect(statusJson(api as never).tasks).toEqual({ running: 1, stale: 0 });
  });

  it('the mark is painted yellow when colour is on', () => {
    const instances = readAppInstances([raw('importer', 0, operatorMetrics(state(3), null, null, 1))]);
    const [, line] = statusLines(instances ?? [], true);
    expect(line).toContain('\u001b[33m3 (1 stale)');
  });

  it('a stale count that is not a whole number of at least 0 is not believed', () => {
    const monitor = { ...operatorMetrics(state(3), null), [OPERATOR_METRICS.staleTasks]: { value: -2 } };
    const [instance] = readAppInstances([raw('importer', 0, monitor)]) ?? [];
    expect(instance?.staleTasks).toBeNull();
    expect(statusLines([instance as never], false)[1]).toMatch(/idle\s+3\s+none$/);
  });
});

describe('exposeToPm2 sends the stale count', () => {
  function setup() {
    const clock = createSimClock();
    const sent: Record<string, unknown>[] = [];
    const channel: IpcChannel = {
      available: true,
      connected: true,
      async send(message) {
        sent.push(message as Record<string, unknown>);
        return true;
      },
      onMessage: () => () => undefined,
    };
    const tasks: TaskSnapshot[] = [task('a', false)];
    const target = {
      gracefulRestart: async () => ({ status: 'deferred', tasks: 1 }) as const,
      clearPendingRestart: () => false,
      getInfo: async () => null,
      getLastRestart: async () => null,
      runningTasks: () => tasks,
      get restartState(): RestartState {
        return { ...restartMachine.initialState, tasks: tasks.length };
      },
      on: createEventHub().on,
    } satisfies OperatorTarget;
    const uninstall = exposeToPm2(target, { channel }, { clock, pid: 7 });
    const monitors = () => sent.filter((m) => m.type === 'axm:monitor').map((m) => m.data);
    return { clock, tasks, uninstall, monitors };
  }

  it('nothing while no task was ever stale; the count once one is, and 0 again when it ends', async () => {
    const { clock, tasks, uninstall, monitors } = setup();
    await flush();
    expect(monitors()).toHaveLength(1);
    expect(monitors()[0]).not.toHaveProperty(OPERATOR_METRICS.staleTasks);
    tasks.push(task('forgotten', true));
    await clock.advance(1_000);
    expect(monitors().at(-1)).toEqual({
      [OPERATOR_METRICS.tasks]: { value: 2 },
      [OPERATOR_METRICS.staleTasks]: { value: 1 },
    });
    tasks.pop();
    await clock.advance(1_000);
    expect(monitors().at(-1)).toEqual({
      [OPERATOR_METRICS.tasks]: { value: 1 },
      [OPERATOR_METRICS.staleTasks]: { value: 0 },
    });
    uninstall();
  });
});
