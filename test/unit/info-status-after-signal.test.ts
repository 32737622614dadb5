/**
 * pm2 marks an app `stopping` before it signals it. Once the shutdown handler has seen the signal, a live
 * answer asked before it is stale: the next getStatus()/getInfo({ live: true }) asks again, even within
 * cacheTtlMs; without a signal the answer is reused.
 */
import { describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import { portsWithStatus } from '../helpers/status-daemon.js';

function setup() {
  const { ports, setStatus } = portsWithStatus();
  const self = createPm2Self({ ports, route: 'rpc' });
  const queries = () => ports.daemon.methods().filter((m) => m === 'getMonitorData').length;
  return { ports, self, queries, setStatus };
}

describe('live status after a shutdown signal', () => {
  it('without a signal, an answer younger than cacheTtlMs is reused', async () => {
    const { self, queries, setStatus } = setup();
    expect(await self.getStatus()).toBe('online');
    setStatus('stopping');
    expect(await self.getStatus()).toBe('online');
    expect(queries()).toBe(1);
  });

  it.each(['SIGINT', 'message'] as const)(
    'after %s seen by the shutdown handler, the next answers show stopping',
    async (source) => {
      const { ports, self, queries, setStatus } = setup();
      self.installShutdownHandler();
      expect(await self.getStatus()).toBe('online');
      setStatus('stopping');
      ports.process.emitShutdown(source);
      // Answers asked in the signal's own millisecond cannot be ordered after it: time moves on first.
      ports.clock.advance(1);
      expect(await self.getStatus()).toBe('stopping');
      expect((await self.getInfo({ live: true }))?.status).toBe('stopping');
      expect(queries()).toBe(2);
    },
  );
});
