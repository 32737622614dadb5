/**
 * npm run example:ws-sidecar
 *
 * Starts the hub in this process and the sidecar under a private pm2 daemon, sends the sidecar a
 * 1.5 s task and then a restart request, and narrates what the hub sees. The daemon is always
 * killed at the end (also on Ctrl+C).
 */
import { join } from 'node:path';
import { createNarrator, guard, startPrivatePm2 } from '../_support/private-pm2.mjs';
import { startHub } from './hub.mjs';

const say = createNarrator();
const ecosystem = join(import.meta.dirname, 'ecosystem.config.cjs');
const pm2 = await startPrivatePm2({ prefix: 'pm2-self-example-ws-sidecar-' });
let hub = null;
let narrating = true;

const describe = (event) => {
  if (event.kind === 'connected') return `hub: sidecar connected (connection #${event.connection})`;
  if (event.kind === 'closed')
    return `hub: disconnected, code ${event.code}${event.reason ? ` (${event.reason})` : ''}`;
  const m = event.message;
  switch (m.type) {
    case 'identify':
      return `hub <- identify: pid ${m.info?.pid}, pm_id ${m.info?.pmId}, restarts ${m.info?.restarts}, lastRestart ${m.lastRestart ? `"${m.lastRestart.reason}" (${m.lastRestart.initiator}, ${m.lastRestart.deferredMs} ms from request to exit)` : 'none'}`;
    case 'restart-ack':
      return `hub <- restart-ack: ${m.outcome.status}${m.outcome.status === 'deferred' ? ` (${m.outcome.tasks} task running)` : ''}`;
    case 'task-done':
      return `hub <- task-done ${m.id}`;
    case 'restarting':
      return `hub <- restarting notice (reason "${m.reason}")`;
    default:
      return `hub <- ${JSON.stringify(m)}`;
  }
};

await guard(
  async () => {
    hub = await startHub({ onEvent: (event) => narrating && say(describe(event)) });
    say(`hub listening on ${hub.url}`);

    const firstIdentify = hub.nextMessage('identify', { timeoutMs: 30_000 });
    await pm2.pm2(['start', ecosystem], { env: { HUB_URL: hub.url } });
    say(`pm2 start ws-sidecar (private daemon, PM2_HOME=${pm2.home})`);
    const first = (await firstIdentify).message;

    const mark = hub.events.length;
    hub.send({ type: 'task', id: 't1', ms: 1500 });
    say('hub -> task t1 (1500 ms)');
    hub.send({ type: 'restart', reason: 'config changed' });
    say('hub -> restart (reason "config changed")');

    const second = (
      await hub.waitFor((e) => e.kind === 'message' && e.message.type === 'identify', {
        from: mark,
        timeoutMs: 30_000,
      })
    ).message;
    const seen = hub.events
      .slice(mark)
      .map((e) =>
        e.kind === 'message' ? e.message.type : e.kind === 'closed' ? `closed:${e.code}` : e.kind,
      );
    const expected = ['restart-ack', 'task-done', 'restarting', 'closed:1012', 'connected', 'identify'];
    say(`order seen by the hub: ${seen.join(' -> ')}`);
    if (seen.join() !== expected.join())
      throw new Error(`unexpected order; expected ${expected.join(' -> ')}`);
    say(
      `new pid ${second.info.pid} (was ${first.info.pid}), restarts ${first.info.restarts} -> ${second.info.restarts}, lastRestart.reason "${second.lastRestart?.reason}"`,
    );
  },
  async () => {
    narrating = false;
    await hub?.close();
    await pm2.dispose();
    say('private pm2 daemon killed');
  },
);
