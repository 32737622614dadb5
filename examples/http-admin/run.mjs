/**
 * npm run example:http-admin
 *
 * Starts the admin server under a private pm2 daemon with a random token and port, sends it a
 * series of bad requests (each answered, none fatal), then an authorized restart, and waits for
 * the new process. The daemon is always killed at the end (also on Ctrl+C).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNarrator, freePort, guard, startPrivatePm2 } from '../_support/private-pm2.mjs';

const say = createNarrator();
const ecosystem = join(import.meta.dirname, 'ecosystem.config.cjs');
const pm2 = await startPrivatePm2({ prefix: 'pm2-self-example-http-admin-' });
const token = randomBytes(24).toString('base64url');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const auth = { authorization: `Bearer ${token}` };

/**
 * @param {string} method
 * @param {string} path
 * @param {{ headers?: Record<string, string>, body?: string }} [options]
 */
async function call(method, path, { headers = {}, body } = {}) {
  const response = await fetch(base + path, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Polls the identity endpoint until `predicate(info)` holds (the server may be restarting). */
async function waitForIdentity(predicate, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const answer = await call('GET', '/admin/identity', { headers: auth }).catch(() => null);
    if (answer?.status === 200 && predicate(answer.body)) return answer.body;
    if (Date.now() > until) throw new Error('the admin server did not answer as expected in time');
    await sleep(150);
  }
}

async function show(label, method, path, options) {
  const { status, body } = await call(method, path, options);
  say(`${label.padEnd(44)} -> ${status} ${JSON.stringify(body)}`);
  return { status, body };
}

await guard(
  async () => {
    await pm2.pm2(['start', ecosystem], { env: { ADMIN_TOKEN: token, PORT: String(port) } });
    say(`pm2 start http-admin on ${base} (private daemon, PM2_HOME=${pm2.home})`);
    const first = await waitForIdentity((body) => body.info !== null);
    say(
      `identity: pid ${first.info.pid}, pm_id ${first.info.pmId}, status ${first.info.status}, restarts ${first.info.restarts}`,
    );

    const json = { ...auth, 'content-type': 'application/json' };
    await show('GET  /admin/identity, no token', 'GET', '/admin/identity');
    await show('POST /admin/restart, wrong token', 'POST', '/admin/restart', {
      headers: { authorization: 'Bearer nope' },
    });
    await show('POST /admin/restart, malformed JSON', 'POST', '/admin/restart', {
      headers: json,
      body: '{"reason":',
    });
    await show('POST /admin/restart, reason is a number', 'POST', '/admin/restart', {
      headers: json,
      body: '{"reason":42}',
    });
    await show('POST /admin/restart, 17 KiB body', 'POST', '/admin/restart', {
      headers: json,
      body: JSON.stringify({ reason: 'x'.repeat(17 * 1024) }),
    });
    await show('DELETE /admin/restart', 'DELETE', '/admin/restart', { headers: auth });
    await show('GET  /admin/nothing-here', 'GET', '/admin/nothing-here', { headers: auth });
    const still = await waitForIdentity(() => true);
    say(
      `still the same process after the bad requests: pid ${still.info.pid}, restarts ${still.info.restarts}`,
    );

    await show('POST /admin/restart {"reason":"rotate certs"}', 'POST', '/admin/restart', {
      headers: json,
      body: JSON.stringify({ reason: 'rotate certs', deadlineMs: 10_000 }),
    });
    const second = await waitForIdentity((body) => body.info !== null && body.info.pid !== first.info.pid);
    say(
      `new pid ${second.info.pid} (was ${first.info.pid}), restarts ${first.info.restarts} -> ${second.info.restarts}, lastRestart.reason "${second.lastRestart?.reason}"`,
    );
  },
  async () => {
    await pm2.dispose();
    say('private pm2 daemon killed');
  },
);
