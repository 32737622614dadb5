/**
 * A child with an IPC channel, for test/pm2/ipc-and-debug.test.ts. MODE:
 * - installed: installs the shutdown handler and does nothing else (it must still exit by itself);
 * - uninstalled: installs and uninstalls it, then listens for one message from its parent and answers
 *   (the channel must keep it alive as Node's own counting says, whatever the handler did);
 * - refuse: outside pm2, asks for a restart and prints the outcome.
 */
const { createPm2Self } = await import(process.env.PM2_SELF_DIST_ESM);
const self = createPm2Self();
const mode = process.env.MODE;
if (mode === 'installed') {
  self.installShutdownHandler();
} else if (mode === 'uninstalled') {
  self.installShutdownHandler()();
  process.on('message', (message) => {
    process.send(`pong:${message}`);
    process.disconnect();
  });
  process.send('listening');
} else if (mode === 'refuse') {
  const outcome = await self.gracefulRestart({ reason: 'debug' });
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}
