'use strict';
/**
 * The app of test/pm2/live-local-view.test.ts. It installs the shutdown handler and holds one task that
 * never ends (so pm2's stop waits out the handler's budget), then every POLL_MS asks getInfo({ live: true })
 * and getInfo({ live: 'daemon' }) and appends one JSON line to EVENTS_FILE:
 * { event: 'answer', gen, pid, askedAt, local, daemon }. On pm2's SIGINT it appends { event: 'signal', at }.
 * LIVENESS_MS and QUERY_TIMEOUT_MS set livenessIntervalMs and queryTimeoutMs. With LOCAL_ONLY=1 it never
 * asks getInfo({ live: 'daemon' }) (daemon: null), so nothing but the library itself asks the daemon.
 */
const fs = require('node:fs');

const env = process.env;
const lib = require(env.PM2_SELF_DIST);
const self = lib.createPm2Self({
  livenessIntervalMs: Number(env.LIVENESS_MS),
  queryTimeoutMs: Number(env.QUERY_TIMEOUT_MS),
});
const gen = env.restart_time ?? null;
const line = (fields) =>
  fs.appendFileSync(env.EVENTS_FILE, `${JSON.stringify({ gen, pid: process.pid, ...fields })}\n`);

self.installShutdownHandler();
self.beginTask('never-ends');
process.on('SIGINT', () => line({ event: 'signal', at: Date.now() }));

const fields = (info) =>
  info && {
    name: info.name,
    pmId: info.pmId,
    pid: info.pid,
    trackedPid: info.trackedPid,
    relation: info.relation,
    instance: info.instance,
    namespace: info.namespace,
    execMode: info.execMode,
    status: info.status,
    restarts: info.restarts,
    unstableRestarts: info.unstableRestarts,
    settings: info.settings,
    uptimeMs: info.uptimeMs,
    source: info.sources.status,
    daemon: info.daemon,
  };

let busy = false;
setInterval(async () => {
  if (busy) return;
  busy = true;
  const askedAt = Date.now();
  const local = fields(await self.getInfo({ live: true }));
  const daemon = env.LOCAL_ONLY === '1' ? null : fields(await self.getInfo({ live: 'daemon' }));
  line({ event: 'answer', askedAt, local, daemon });
  busy = false;
}, Number(env.POLL_MS));
