'use strict';
/**
 * The app of test/pm2/live-status.test.ts. Every POLL_MS it asks `getInfo({ live: true })` and appends
 * one JSON line to EVENTS_FILE: { pid, gen, event: 'answer', askedAt, status, restarts, counters }.
 * On pm2's SIGINT it appends { event: 'signal', at } and keeps polling until it exits:
 * - SHUTDOWN=handler: installShutdownHandler() with a task that never ends, so the handler waits out its
 *   budget (kill_timeout minus the margin) and then exits;
 * - SHUTDOWN=own: its own SIGINT listener, which exits EXIT_AFTER_MS after the signal;
 * - SHUTDOWN=none: pm2's SIGINT ends it (only ever restarted, never stopped, by the test).
 */
const fs = require('node:fs');

const env = process.env;
const lib = require(env.PM2_SELF_DIST);
const gen = env.restart_time ?? null;
const line = (fields) =>
  fs.appendFileSync(env.EVENTS_FILE, `${JSON.stringify({ pid: process.pid, gen, ...fields })}\n`);

if (env.SHUTDOWN === 'handler') {
  lib.getDefaultPm2Self().installShutdownHandler();
  lib.getDefaultPm2Self().beginTask('never-ends');
}
if (env.SHUTDOWN === 'handler' || env.SHUTDOWN === 'own')
  process.on('SIGINT', () => {
    line({ event: 'signal', at: Date.now() });
    if (env.SHUTDOWN === 'own') setTimeout(() => process.exit(0), Number(env.EXIT_AFTER_MS));
  });

const poll = async () => {
  const askedAt = Date.now();
  const info = await lib.getInfo({ live: true });
  line({
    event: 'answer',
    askedAt,
    status: info?.status ?? null,
    restarts: info?.restarts ?? null,
    counters: info?.sources.counters ?? null,
  });
};
setInterval(() => void poll(), Number(env.POLL_MS));
