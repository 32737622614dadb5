/**
 * The app of bench/watchdog.mjs. MODE:
 * - cost-off / cost-on: a typical idle app (a 1 s interval), with (on) or without (off)
 *   restartWhen({ eventLoopBlockedForMs: 3000 }); after WINDOW_MS it prints one JSON line: CPU used
 *   by the whole process (main thread and watchdog thread) in the window, event-loop delay
 *   (monitorEventLoopDelay, 10 ms resolution) and RSS.
 * - block: under pm2, restartWhen({ eventLoopBlockedForMs: LIMIT_MS }); generations below REPEATS
 *   block 1.5 s after the start with `for (;;) {}`; each generation appends `started` / `blocking`
 *   lines (epoch ms) to EVENTS_FILE.
 */
const startedAt = Date.now();
const fs = require('node:fs');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const env = process.env;
const lib = require(env.PM2SELF_DIST);

if (env.MODE === 'block') {
  const record = (event) =>
    fs.appendFileSync(
      env.EVENTS_FILE,
      `${JSON.stringify({ gen: Number(env.restart_time), event, at: Date.now(), startedAt })}\n`,
    );
  record('started');
  lib.restartWhen({ eventLoopBlockedForMs: Number(env.LIMIT_MS) });
  setInterval(() => {}, 60_000);
  if (Number(env.restart_time) < Number(env.REPEATS)) {
    setTimeout(() => {
      record('blocking');
      for (;;) {
        // blocked for good
      }
    }, 1500);
  }
} else {
  const self = lib.createPm2Self();
  if (env.MODE === 'cost-on') self.restartWhen({ eventLoopBlockedForMs: 3000 });
  setInterval(() => {}, 1000);
  // Warm-up, then the window.
  setTimeout(() => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const cpu = process.cpuUsage();
    setTimeout(() => {
      const used = process.cpuUsage(cpu);
      delay.disable();
      console.log(
        JSON.stringify({
          cpuMs: (used.user + used.system) / 1000,
          delayP50Ms: delay.percentile(50) / 1e6,
          delayP99Ms: delay.percentile(99) / 1e6,
          delayMaxMs: delay.max / 1e6,
          rssBytes: process.memoryUsage.rss(),
        }),
      );
      process.exit(0);
    }, Number(env.WINDOW_MS));
  }, 2000);
}
