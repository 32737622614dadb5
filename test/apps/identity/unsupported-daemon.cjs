'use strict';
// A stand-in for the daemon of a pm2 release pm2-self does not support: pm2's own RPC server (the
// pm2-axon and pm2-axon-rpc modules pm2 7.0.4 ships, bound as lib/Daemon.js binds them) on
// $PM2_HOME/rpc.sock, with its pid in $PM2_HOME/pm2.pid. It answers getVersion with $DAEMON_VERSION,
// ping and getMonitorData like a daemon running this process (pm_id 0), and appends every method
// called to $CALLS_FILE (one line each). Prints "ready" once bound; exits on SIGTERM or when stdin ends.
const fs = require('node:fs');
const path = require('node:path');

const PM2_DIR = path.resolve(__dirname, '../../../node_modules/pm2');
const axon = require(path.join(PM2_DIR, 'modules/pm2-axon'));
const rpc = require(path.join(PM2_DIR, 'modules/pm2-axon-rpc'));

const home = process.env.PM2_HOME;
const calls = process.env.CALLS_FILE;
const record = (method) => fs.appendFileSync(calls, `${method}\n`);

const rep = axon.socket('rep');
const server = new rpc.Server(rep);
server.expose({
  getVersion(_arg, cb) {
    record('getVersion');
    cb(null, process.env.DAEMON_VERSION);
  },
  ping(_arg, cb) {
    record('ping');
    cb(null, { msg: 'pong' });
  },
  getMonitorData(_arg, cb) {
    record('getMonitorData');
    cb(null, [
      {
        pid: process.pid,
        name: 'old',
        pm_id: 0,
        monit: { memory: 1, cpu: 0 },
        pm2_env: { name: 'old', pm_id: 0, status: 'online', exec_mode: 'fork_mode', restart_time: 0 },
      },
    ]);
  },
});
fs.writeFileSync(path.join(home, 'pm2.pid'), String(process.pid));
rep.bind(path.join(home, 'rpc.sock'));
rep.once('bind', () => process.stdout.write('ready\n'));

const stop = () => {
  rep.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
