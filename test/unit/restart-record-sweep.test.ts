/**
 * Issue 18: `pm2 delete` leaves `restart-<pm_id>.json` (and `live-<pm_id>.json`) behind. A process that
 * has just asked the daemon itself removes the records of pm_ids the daemon no longer has, at most once
 * a minute; the records of apps that still exist stay.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPm2Self } from '../../src/create-pm2-self.js';
import { orphanRecords, RECORD_SWEEP_INTERVAL_MS } from '../../src/restart/record-sweep.js';
import { flush } from '../helpers/sim-clock.js';
import { portsWithStatus } from '../helpers/status-daemon.js';

describe('records of deleted apps', () => {
  it('orphanRecords names the records whose pm_id is not in the list, and nothing else', () => {
    const names = ['restart-0.json', 'restart-9.json', 'live-9.json', 'live-1.json', 'list-v1.json', 'turns'];
    expect(orphanRecords(names, new Set([0, 1]))).toEqual(['restart-9.json', 'live-9.json']);
  });

  it("after the process's own daemon query, records of pm_ids the daemon no longer has are removed, once a minute", async () => {
    const { ports } = portsWithStatus();
    const dir = join(ports.process.env.PM2_HOME as string, 'pm2-self');
    const record = (name: string) => ports.fs.files.set(join(dir, name), '{}');
    // The daemon's list has pm_ids 0 to 5.
    for (const name of ['restart-0.json', 'live-5.json', 'restart-9.json', 'live-9.json']) record(name);
    const self = createPm2Self({ ports, route: 'rpc' });
    await self.getInfo({ live: true });
    await flush(5);
    const left = () =>
      [...ports.fs.files.keys()].filter((p) => p.startsWith(dir)).map((p) => p.slice(dir.length + 1));
    expect(left().sort()).toEqual(['list-v1.json', 'live-5.json', 'restart-0.json']);

    record('restart-7.json');
    ports.clock.advance(2_000);
    await self.getInfo({ live: true });
    await flush(5);
    expect(left()).toContain('restart-7.json');
    ports.clock.advance(RECORD_SWEEP_INTERVAL_MS);
    await self.getInfo({ live: true });
    await flush(5);
    expect(left()).not.toContain('restart-7.json');
  });
});
