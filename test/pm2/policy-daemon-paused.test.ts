/**
 * restartWhen() across a daemon that stops answering for a while (SIGSTOP for 8 s, as a busy host
 * during `pm2 reload all` can look): the uptime limit is reached while the daemon is paused, the
 * restart is refused (`ERR_PM2SELF_DAEMON_UNREACHABLE`, a `refused` event each time), and the policy
 * asks again with back-off, so the app restarts once the daemon resumes. With pm2's injected @pm2/io
 * and with `pmx: false`; one daemon (ours, paused by its pid) for both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPm2Sandbox, type Pm2Sandbox } from '../helpers/pm2-sandbox.js';
import { PMX_VARIANTS } from '../helpers/pmx-variants.js';
import {
  eventsFile,
  startApps,
  startedOf,
  waitForEvents,
  type AppEvent,
  type AppSpec,
} from '../apps/restart/harness.js';

describe('restartWhen across a paused daemon', () => {
  let sandbox: Pm2Sandbox;
  let daemonPid: number | null = null;
  let resumedAt = 0;
  const file = (name: string) => eventsFile(sandbox, name);

  beforeAll(async () => {
    sandbox = await createPm2Sandbox('pm2-self-paused-');
    await startApps(
      sandbox,
      PMX_VARIANTS.map(({ suffix, pmx }): AppSpec => ({
        name: `paused${suffix}`,
        scenario: 'uptime-policy',
        env: { MAX_UPTIME_MS: '2500', JITTER_MS: '0' },
        pm2: pmx,
      })),
    );
    await Promise.all(
      PMX_VARIANTS.map(({ suffix }) => waitForEvents(file(`paused${suffix}`), startedOf('0'))),
    );
    daemonPid = await sandbox.daemonPid();
    if (daemonPid === null) throw new Error('no daemon');
    // Paused before the 2.5 s limit, for 8 s: the limit is reached while the daemon does not answer,
    // and the daemon query (5 s) gives up before it resumes.
    process.kill(daemonPid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 8_000));
    process.kill(daemonPid, 'SIGCONT');
    resumedAt = Date.now();
  }, 60_000);

  afterAll(async () => {
    if (daemonPid !== null) process.kill(daemonPid, 'SIGCONT');
    await sandbox?.dispose();
  });

  describe.each(PMX_VARIANTS)('$label', ({ suffix }) => {
    it('the restart refused while the daemon is paused is asked again, and happens after it resumes', async () => {
      const events = await waitForEvents(file(`paused${suffix}`), startedOf('1'), 40_000);
      const gen0 = events.filter((e) => e.gen === '0');
      const refused = gen0.filter((e) => e.event === 'refused');
      expect(refused.length).toBeGreaterThanOrEqual(1);
      for (const event of refused)
        expect((event.detail as { code: string }).code).toBe('ERR_PM2SELF_DAEMON_UNREACHABLE');
      const gen1 = events.find((e) => e.event === 'started' && e.gen === '1') as AppEvent;
      expect(gen1.at).toBeGreaterThan(resumedAt);
      expect((gen1.lastRestart as { reason: string }).reason).toMatch(
        /^uptime \d+ (ms|s) reached \(max 2500 ms\)$/,
      );
    });
  });
});
