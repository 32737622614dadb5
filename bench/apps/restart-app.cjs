'use strict';
/**
 * The app of the restart-downtime benchmark, run under pm2 (fork mode). Every generation appends
 * JSON lines to RESTART_LOG: `start` (Date.now() as the very first statement), `listening` (its
 * HTTP port), and on request `request` (Date.now() when the restart is asked for) then either
 * gracefulRestart() or a bare process.exit(0). The `pm2 restart` case is driven from the CLI.
 * The package is loaded in every generation and every mode, so start-up costs are the same.
 */
const startedAt = Date.now();
const fs = require('node:fs');
const http = require('node:http');

const LOG = process.env.RESTART_LOG;
// Sync appends: the line must be on disk before a process.exit() that may follow at once.
const line = (fields) => fs.appendFileSync(LOG, `${JSON.stringify({ pid: process.pid, ...fields })}\n`);
line({ ev: 'start', at: startedAt, gen: Number(process.env.restart_time) });
const lib = require(process.env.PM2_SELF_DIST);
// Where the graceful path spends its time: request -> draining (plan: identity + a fresh daemon
// query) -> restarting (hooks, restart record written) -> exit.
const self = lib.getDefaultPm2Self();
self.on('draining', () => line({ ev: 'draining', at: Date.now() }));
self.on('restarting', (event) => line({ ev: 'restarting', at: Date.now(), strategy: event.strategy.type }));

const server = http.createServer((req, res) => {
  const mode = (req.url ?? '').slice(1);
  if (mode !== 'graceful' && mode !== 'exit') {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.end('ok', () => {
    const at = Date.now();
    line({ ev: 'request', mode, at });
    if (mode === 'exit') process.exit(0);
    lib.gracefulRestart({ reason: 'bench' }).then(
      (outcome) => line({ ev: 'outcome', outcome }),
      (error) => line({ ev: 'outcome', error: String(error) }),
    );
  });
});
server.listen(0, '127.0.0.1', () => line({ ev: 'listening', port: server.address().port }));
