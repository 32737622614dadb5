// An app whose only work is its own IPC 'message' listener, with exposeToPm2() before or after it.
// ORDER=expose-first: exposeToPm2(), then the app's listener, kept for good.
// ORDER=app-first: the app's listener, then exposeToPm2(); the app removes its listener after 1 s,
// and then has nothing left to do.
const { appendFileSync } = require('node:fs');
const { exposeToPm2 } = require(process.env.PM2SELF_DIST);

const log = (event) =>
  appendFileSync(process.env.EVENTS_FILE, `${JSON.stringify({ pid: process.pid, event, at: Date.now() })}\n`);
const onMessage = () => undefined;

log('started');
if (process.env.ORDER === 'expose-first') {
  exposeToPm2();
  process.on('message', onMessage);
} else {
  process.on('message', onMessage);
  exposeToPm2();
  setTimeout(() => {
    process.off('message', onMessage);
    log('listenerRemoved');
  }, 1_000);
}
process.on('exit', (code) => log(`exit ${code}`));
