/**
 * Instances take turns: a 4-instance cluster where every instance asks for a graceful restart in the
 * same instant never has more than one instance down (from the apps' own exit times and pm2's spawn
 * times of the new processes), and all four come back. A turn holder killed with `kill -9` during its
 * hook does not block the others: pm2 brings it back, and the daemon's list frees its turn.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mostAtOnce } from '../helpers/online-timeline.js';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { eventsFile, startApps, waitForEvents, type AppEvent } from '../apps/restart/harness.js';

/** The moments (epoch ms) each instance was down: from the old process's exit to pm2's spawn of the new one. */
function downIntervals(events: readonly AppEvent[]): Array<{ instance: string; from: number; to: number }> {
  const started = events.filter((e) => e.event === 'started');
  return events
    .filter((e) => e.event === 'exit')
    .flatMap((exit) => {
      const old = started.find((s) => s.pid === exit.pid);
      const next = started.find(
        (s) => s.instance === old?.instance && (s.pmUptime as number) > exit.at - 1 && s.pid !== exit.pid,
      );
      if (old === undefined || next === undefined) return [];
      return [{ instance: String(old.instance), from: exit.at, to: next.pmUptime as number }];
    });
}

describe('instances take turns (maxUnavailable 1)', () => {
  let sandbox: Pm2Sandbox;
  const file = (name: string) => eventsFile(sandbox, name);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-turns-');
    await startApps(sandbox, [
      {
        name: 'fleet',
        scenario: 'turns',
        env: { GO_FILE: join(sandbox.home, 'go-fleet'), HOOK_MS: '300' },
        pm2: { exec_mode: 'cluster', instances: 4, pmx: false },
      },
      {
        name: 'victim',
        scenario: 'turns',
        env: { GO_FILE: join(sandbox.home, 'go-victim'), HOOK_MS: '4000' },
        pm2: { exec_mode: 'cluster', instances: 2, pmx: false },
      },
    ]);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('four instances asked at once: never more than one down, all four back', async () => {
    await waitForEvents(
      file('fleet'),
      (all) => all.filter((e) => e.event === 'started' && e.gen === '0').length === 4,
    );
    await writeFile(join(sandbox.home, 'go-fleet'), 'go');
    const events = await waitForEvents(
      file('fleet'),
      (all) => all.filter((e) => e.event === 'started' && e.gen === '1').length === 4,
      60_000,
    );
    const outcomes = events
      .filter((e) => e.event === 'outcome')
      .map((e) => (e.outcome as { status: string }).status);
    expect(outcomes.filter((status) => status === 'restarting')).toHaveLength(1);
    expect(outcomes.filter((status) => status === 'waitingTurn')).toHaveLength(3);
    expect(events.filter((e) => e.event === 'turn-taken')).toHaveLength(3);
    const down = downIntervals(events);
    expect(down).toHaveLength(4);
    expect(mostAtOnce(down)).toBe(1);
    const list = await sandbox.waitFor(
      (l) =>
        l.filter((p) => p.name === 'fleet' && p.pm2_env.status === 'online' && p.pm2_env.restart_time === 1)
          .length === 4,
    );
    expect(list.filter((p) => p.name === 'fleet').every((p) => p.pm2_env.unstable_restarts === 0)).toBe(true);
    const longestWait = Math.max(
      ...events.filter((e) => e.event === 'turn-taken').map((e) => e.waitedMs as number),
    );
    console.log(
      `[measure] turns: 4 instances, longest wait for a turn ${longestWait} ms, down intervals ${down.map((d) => d.to - d.from).join(', ')} ms`,
    );
  });

  it('a holder killed with kill -9 during its hook does not block the other instance', async () => {
    await waitForEvents(
      file('victim'),
      (all) => all.filter((e) => e.event === 'started' && e.gen === '0').length === 2,
    );
    await writeFile(join(sandbox.home, 'go-victim'), 'go');
    // The holder runs its 4 s hook; the other waits for its turn.
    const waiting = await waitForEvents(
      file('victim'),
      (all) =>
        all.some((e) => e.event === 'outcome' && (e.outcome as { status: string }).status === 'restarting') &&
        all.some((e) => e.event === 'waiting-turn'),
    );
    const holder = waiting.find(
      (e) => e.event === 'outcome' && (e.outcome as { status: string }).status === 'restarting',
    );
    process.kill(holder?.pid as number, 'SIGKILL');
    const killedAt = Date.now();
    const events = await waitForEvents(
      file('victim'),
      (all) => all.some((e) => e.event === 'turn-taken'),
      30_000,
    );
    const taken = events.find((e) => e.event === 'turn-taken') as AppEvent;
    // Freed by the daemon's list (the killed instance is back online under a new pid), long before the
    // 30 s lease would have expired.
    expect(taken.at - killedAt).toBeLessThan(30_000);
    await sandbox.waitFor(
      (l) =>
        l.filter((p) => p.name === 'victim' && p.pm2_env.status === 'online').length === 2 &&
        l.filter((p) => p.name === 'victim').every((p) => p.pm2_env.restart_time >= 1),
      30_000,
    );
  });
});
