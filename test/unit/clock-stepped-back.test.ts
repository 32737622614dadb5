/**
 * Issue 18: ages measured inside the process use the clock port's monotonic time, so a wall clock
 * stepped back 1 h (NTP, an operator's `date -s`) changes none of them. The in-process cache of the
 * daemon's answer does not serve one answer for the length of the step, and `stopping` still shows
 * after pm2's signal.
 */
import { describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import { DEFAULTS } from '../../src/common/defaults.js';
import type { FakeClock } from '../helpers/fake-ports.js';
import { portsWithStatus } from '../helpers/status-daemon.js';

const HOUR_MS = 3_600_000;

/** The fake clock's time as the monotonic clock, and a wall clock that can be stepped. */
function withSteppedWall(clock: FakeClock): { stepBack(ms: number): void } {
  const monotonic = clock.now.bind(clock);
  let offset = 0;
  clock.now = () => monotonic() - offset;
  clock.monotonicNow = monotonic;
  return { stepBack: (ms) => (offset += ms) };
}

function setup() {
  const { ports, setStatus } = portsWithStatus();
  const wall = withSteppedWall(ports.clock);
  const self = createPm2Self({ ports, route: 'rpc' });
  const queries = () => ports.daemon.methods().filter((m) => m === 'getMonitorData').length;
  return { ports, self, queries, setStatus, wall };
}

describe('a wall clock stepped back 1 h', () => {
  it('the cached answer is reused for cacheTtlMs only, not for the length of the step', async () => {
    const { ports, self, queries, setStatus, wall } = setup();
    expect(await self.getStatus()).toBe('online');
    wall.stepBack(HOUR_MS);
    setStatus('errored');
    expect(await self.getStatus()).toBe('online');
    ports.clock.advance(DEFAULTS.cacheTtlMs + 1);
    expect(await self.getStatus()).toBe('errored');
    expect(queries()).toBe(2);
  });

  it.each(['SIGINT', 'message'] as const)(
    'stopping shows after pm2 %s although the answer before it carries a later wall time',
    async (source) => {
      const { ports, self, queries, setStatus, wall } = setup();
      self.installShutdownHandler();
      expect(await self.getStatus()).toBe('online');
      wall.stepBack(HOUR_MS);
      setStatus('stopping');
      ports.process.emitShutdown(source);
      ports.clock.advance(1);
      expect(await self.getStatus()).toBe('stopping');
      expect((await self.getInfo({ live: true }))?.status).toBe('stopping');
      expect(queries()).toBe(2);
    },
  );

  it('a wall clock stepped forward 1 h does not age the cached answer either', async () => {
    const { self, queries, setStatus, wall } = setup();
    expect(await self.getStatus()).toBe('online');
    wall.stepBack(-HOUR_MS);
    setStatus('errored');
    expect(await self.getStatus()).toBe('online');
    expect(queries()).toBe(1);
  });
});
