'use strict';
/**
 * The app of test/pm2/cluster-first-status.test.ts. As soon as its code runs it asks getStatus() once
 * and appends { pid, instance, status } to EVENTS_FILE; then it idles until pm2 stops it.
 */
const fs = require('node:fs');

const env = process.env;
const lib = require(env.PM2_SELF_DIST);
void lib.getStatus().then((status) => {
  const instance = env[env.instance_var] ?? null;
  fs.appendFileSync(env.EVENTS_FILE, `${JSON.stringify({ pid: process.pid, instance, status })}\n`);
});
setInterval(() => undefined, 60_000);
