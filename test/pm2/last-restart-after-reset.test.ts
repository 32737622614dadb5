/**
 * `pm2 restart`, `pm2 reset`, `pm2 restart` under a real pm2: the reset sets pm2's restart count to 0
 * and tells the running process nothing, so its record carries the count of its spawn (1) while the
 * next generation counts 1 again. That generation still reads the record its predecessor wrote. Then
 * `pm2 stop` + `pm2 start` (the count stays 1): nothing is read, as the README promises. With pm2's
 * injected @pm2/io and with `pmx: false`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import { eventsFile, startApps, waitForEvents, type AppEvent } from '../apps/restart/harness.js';

describe('getLastRestart() after a pm2 reset, under a real pm2', () => {
  let sandbox: Pm2Sandbox;

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-reset-record-');
    await startApps(
      sandbox,
      PMX_VARIANTS.map(({ suffix, pmx }) => ({
        name: `reset${suffix}`,
        scenario: 'measure-cli',
        env: { SHUTDOWN_HANDLER: '1' },
        pm2: pmx,
      })),
    );
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  /** The `started` event of the first generation whose pid is none of `seen`, once it is there. */
  const nextGeneration = async (file: string, seen: readonly number[]): Promise<AppEvent> => {
    const isNew = (e: AppEvent) => e.event === 'started' && !seen.includes(e.pid);
    const events = await waitForEvents(file, (all) => all.some(isNew), 30_000);
    const started = events.find(isNew);
    if (started === undefined) throw new Error('no new generation');
    return started;
  };

  describe.each(PMX_VARIANTS)('$label', ({ suffix }) => {
    it('restart, reset, restart: the record is read; stop + start: nothing is read', async () => {
      const name = `reset${suffix}`;
      const file = eventsFile(sandbox, name);
      const first = await nextGeneration(file, []);
      await sandbox.pm2(['restart', name]);
      const second = await nextGeneration(file, [first.pid]);
      expect(second.gen).toBe('1');
      expect(second.lastRestart).toMatchObject({ initiator: 'pm2', previousPid: first.pid });

      await sandbox.pm2(['reset', name]);
      await sandbox.pm2(['restart', name]);
      const third = await nextGeneration(file, [first.pid, second.pid]);
      expect(third.gen).toBe('1');
      expect(third.lastRestart).toMatchObject({
        initiator: 'pm2',
        previousPid: second.pid,
        previousRestarts: 1,
      });

      await sandbox.pm2(['stop', name]);
      await sandbox.pm2(['start', name]);
      const fourth = await nextGeneration(file, [first.pid, second.pid, third.pid]);
      expect(fourth.gen).toBe('1');
      expect(fourth.lastRestart).toBeNull();
    });
  });
});
