/**
 * Turns across a daemon that does not answer (SIGSTOP for 12 s, as a host busy with `pm2 reload all`
 * can look): 3 cluster instances ask to restart in one instant while the daemon is paused, so the
 * plan's list and the turn's first list both time out (5 s each). The instances still go one at a
 * time: a list that does not come never lets a restart go without its turn. With pm2's injected
 * @pm2/io and with `pmx: false`; one daemon of its own (paused by its pid), since pausing it would
 * hold up every other test sharing it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downIntervals,
  eventsFile,
  startApps,
  waitForEvents,
  type AppEvent,
  type AppSpec,
} from '../apps/restart/harness.js';
import { mostAtOnce } from '../helpers/online-timeline.js';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';

const INSTANCES = 3;
const count = (events: readonly AppEvent[], gen: string) =>
  events.filter((e) => e.event === 'started' && e.gen === gen).length;

describe('turns across a paused daemon', () => {
  let sandbox: Pm2Sandbox;
  let daemonPid: number | null = null;
  const file = (name: string) => eventsFile(sandbox, name);
  const go = (name: string) => join(sandbox.home, `go-${name}`);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-turns-paused-');
    await startApps(
      sandbox,
      PMX_VARIANTS.map(({ suffix, pmx }): AppSpec => ({
        name: `paused${suffix}`,
        scenario: 'turns',
        env: { GO_FILE: go(`paused${suffix}`), BOOT_MS: '300', HOOK_MS: '300' },
        pm2: { exec_mode: 'cluster', instances: INSTANCES, ...pmx },
      })),
    );
    await Promise.all(
      PMX_VARIANTS.map(({ suffix }) =>
        waitForEvents(file(`paused${suffix}`), (all) => count(all, '0') === INSTANCES, 60_000),
      ),
    );
    daemonPid = await sandbox.daemonPid();
    if (daemonPid === null) throw new Error('no daemon');
    process.kill(daemonPid, 'SIGSTOP');
    await Promise.all(PMX_VARIANTS.map(({ suffix }) => writeFile(go(`paused${suffix}`), 'go')));
    // Longer than the plan's list and the turn's first list together (5 s each).
    await new Promise((r) => setTimeout(r, 12_000));
    process.kill(daemonPid, 'SIGCONT');
  }, 90_000);

  afterAll(async () => {
    if (daemonPid !== null) process.kill(daemonPid, 'SIGCONT');
    await sandbox?.dispose();
  });

  describe.concurrent.each(PMX_VARIANTS)('$label', ({ suffix }) => {
    it('3 cluster instances asked while the daemon does not answer: never more than one down', async () => {
      const events = await waitForEvents(
        file(`paused${suffix}`),
        (all) => count(all, '1') === INSTANCES,
        60_000,
      );
      const down = downIntervals(events);
      expect(down).toHaveLength(INSTANCES);
      expect(mostAtOnce(down)).toBe(1);
    }, 90_000);
  });
});
