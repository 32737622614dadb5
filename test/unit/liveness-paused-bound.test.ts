/**
 * A paused daemon and the heartbeat (issue 18, review clocks2 B8): every process answering about itself
 * reports `timeout` once the heartbeat is `livenessIntervalMs + queryTimeoutMs` old, give or take the gap
 * between its calls: one process pings once the heartbeat is an interval old, shares its `timeout`, and
 * the others take it; an `ok` verdict is not reused past its heartbeat's interval.
 */
import { describe, expect, it } from 'vitest';
import { createDaemonLiveness, LIVENESS_FILE } from '../../src/daemon/daemon-liveness.js';
import { createFakeClock, createFakeFileSystem } from '../helpers/fake-ports.js';
import { flush } from '../helpers/sim-clock.js';

const DAEMON_PID = 555;
const INTERVAL = 5000;
const TIMEOUT = 5000;
const FILE = `/srv/pm2home/pm2-self/${LIVENESS_FILE}`;

/** Processes of one PM2_HOME looking at the heartbeat; the daemon answers pings until `pause()`. */
function world(pids: readonly number[]) {
  const clock = createFakeClock();
  const fs = createFakeFileSystem({}, clock);
  let paused = false;
  let pings = 0;
  const processes = pids.map((pid) =>
    createDaemonLiveness({
      fs: fs as Parameters<typeof createDaemonLiveness>[0]['fs'],
      modifiedAt: fs.modifiedAt!.bind(fs),
      clock,
      pid,
      isAlive: (other) => other === DAEMON_PID || pids.includes(other),
      daemonPid: async () => DAEMON_PID,
      ping: (timeoutMs) => {
        pings += 1;
        if (!paused) return Promise.resolve({ ok: true as const });
        return new Promise((resolve) =>
          clock.setTimeout(
            () => resolve({ ok: false, problem: 'timeout', message: 'paused (fake)' }),
            timeoutMs,
          ),
        );
      },
      file: FILE,
      intervalMs: INTERVAL,
      timeoutMs: TIMEOUT,
    }),
  );
  return {
    clock,
    fs,
    processes,
    pings: () => pings,
    pause: () => {
      paused = true;
    },
  };
}

describe('heartbeat: a paused daemon is a timeout within livenessIntervalMs + queryTimeoutMs', () => {
  it('3 processes calling once a second at different phases: each first timeout within I + T + 1 s of the last heartbeat', async () => {
    const w = world([1000, 1001, 1002]);
    const phases = [0, 330, 660];
    const firstTimeout = new Map<number, number>();
    let beatAt = 0;
    let pingsBefore = 0;
    // 60 s of calls, each process once a second; the daemon is paused 20 s in.
    const start = w.clock.now();
    for (let t = 0; t < 60_000; t += 10) {
      if (t === 20_000) {
        w.pause();
        // The heartbeat as the last answered ping wrote it.
        beatAt = (await w.fs.modifiedAt!(FILE))! - start;
        pingsBefore = w.pings();
      }
      w.processes.forEach((process, index) => {
        if ((t - phases[index]!) % 1000 !== 0 || t < phases[index]!) return;
        void process.check().then((verdict) => {
          if (!verdict.ok && !firstTimeout.has(index)) firstTimeout.set(index, w.clock.now() - start);
        });
      });
      await flush(3);
      w.clock.advance(10);
    }
    expect(firstTimeout.size).toBe(3);
    const afterBeat = [...firstTimeout.values()].map((at) => at - beatAt);
    for (const ms of afterBeat) expect(ms).toBeLessThanOrEqual(INTERVAL + TIMEOUT + 1000 + 20);
    // While paused (40 s): one ping per interval + ping budget at most, never one per process and call.
    expect(w.pings() - pingsBefore).toBeLessThanOrEqual(40_000 / INTERVAL);
  });
});
