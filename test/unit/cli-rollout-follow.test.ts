/**
 * The rollout's follow of one instance, as a pure function of the daemon's looks: pm2 lists an exited
 * process `stopped` with its pid kept until its restart timer fires, so only `stopped` with pid 0 is
 * a stop that the 3 s clock may call final; a wait_ready process is ready at its `pm2-self ready`.
 */
import { describe, expect, it } from 'vitest';
import { followLook, startFollow, STOPPED_FINAL_MS, type Sighting } from '../../src/cli/rollout-follow.js';

const look = (sightings: readonly [number, Sighting][], settleMs = 1_000) => {
  let state = startFollow(100, 3);
  const verdicts: string[] = [];
  for (const [at, seen] of sightings) {
    const next = followLook(state, seen, at, settleMs);
    state = next.state;
    verdicts.push(next.verdict.kind);
  }
  return verdicts;
};
const seen = (pid: number, status: string, more: Partial<Sighting> = {}): Sighting => ({
  pid,
  status,
  restarts: null,
  exposed: true,
  ready: true,
  ...more,
});

describe('rollout follow', () => {
  it('stopped with a pid kept (waiting for its restart_delay) is not a stop, however long', () => {
    const verdicts = look([
      [0, seen(200, 'stopped')],
      [STOPPED_FINAL_MS + 5_000, seen(200, 'stopped')],
      [STOPPED_FINAL_MS + 6_000, seen(201, 'online')],
      [STOPPED_FINAL_MS + 7_000, seen(201, 'online')],
    ]);
    expect(verdicts).toEqual(['waiting', 'waiting', 'waiting', 'back']);
  });

  it('stopped with pid 0 for the 3 s is final: not back', () => {
    const verdicts = look([
      [0, seen(0, 'stopped')],
      [STOPPED_FINAL_MS, seen(0, 'stopped')],
    ]);
    expect(verdicts).toEqual(['waiting', 'notBack']);
  });

  it('a new process online and exposed is not ready while its ready metric says no, however long', () => {
    const verdicts = look([
      [0, seen(201, 'online', { ready: false })],
      [60_000, seen(201, 'online', { ready: false })],
      [60_100, seen(201, 'online', { ready: true })],
      [61_000, seen(201, 'online', { ready: true })],
      [61_100, seen(201, 'online', { ready: true })],
    ]);
    expect(verdicts).toEqual(['waiting', 'waiting', 'waiting', 'waiting', 'back']);
  });
});
