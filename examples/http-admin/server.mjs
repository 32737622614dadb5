/**
 * A small admin HTTP endpoint for an app under pm2:
 *
 *   GET  /admin/identity   -> 200 { info, lastRestart, restartPending }
 *   POST /admin/restart    -> 202 { outcome }   (outcome.status: restarting | deferred | alreadyPending)
 *                             409 { outcome }   (refused: e.g. not under pm2; the process keeps running)
 *        body (optional JSON): { "reason"?: string, "deadlineMs"?: number }
 *
 * Both need `Authorization: Bearer <ADMIN_TOKEN>` (401 otherwise). Bad requests never stop the
 * process: malformed JSON or wrong types -> 400, a body over 16 KiB -> 413 (never buffered past 16 KiB),
 * wrong method -> 405, unknown path -> 404.
 *
 * Environment: ADMIN_TOKEN (required: the server refuses to start without it), HOST (default
 * 127.0.0.1: keep admin endpoints off public interfaces), PORT (default 8787).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import {
  getInfo,
  getLastRestart,
  gracefulRestart,
  hasPendingRestart,
  installShutdownHandler,
  on,
} from 'pm2-self';

const MAX_BODY_BYTES = 16 * 1024;
const MAX_REASON_LENGTH = 200;

const token = process.env.ADMIN_TOKEN ?? '';
if (token.trim() === '') {
  console.error('http-admin: ADMIN_TOKEN is not set; refusing to start');
  process.exit(78); // EX_CONFIG
}
const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(
    `http-admin: PORT must be an integer from 0 to 65535, got ${JSON.stringify(process.env.PORT)}`,
  );
  process.exit(78);
}

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest();
const tokenDigest = sha256(token);

/** Constant-time check of `Authorization: Bearer <token>`: both sides are hashed, so lengths always match. */
function isAuthorized(request) {
  const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
  const same = timingSafeEqual(sha256(match?.[1] ?? ''), tokenDigest);
  return match !== null && same;
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Collects at most MAX_BODY_BYTES; past that it stops collecting and reports 413 (see discardRest). */
function readBody(request) {
  const declared = Number(request.headers['content-length']);
  if (declared > MAX_BODY_BYTES)
    return Promise.reject(new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`));
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const stop = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        stop();
        request.pause();
        reject(new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error) => {
      stop();
      reject(new HttpError(400, `could not read the body: ${error.message}`));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

/**
 * After a 413 the body is no longer collected. Closing the socket at once, with unread data in it,
 * makes the kernel send a reset, and a client still uploading then sees EPIPE/ECONNRESET instead of
 * the 413. So, like nginx's lingering close, what it still sends is thrown away (never stored), at
 * most LINGER_BYTES or for LINGER_MS; past that the connection is cut. A client that stops in time
 * keeps its connection.
 */
const LINGER_BYTES = 1024 * 1024;
const LINGER_MS = 5_000;
function discardRest(request) {
  let discarded = 0;
  const timer = setTimeout(() => request.destroy(), LINGER_MS);
  timer.unref();
  request.on('data', (chunk) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) request.destroy();
  });
  request.once('close', () => clearTimeout(timer));
  request.resume();
}

/** Parses and checks `{ reason?, deadlineMs? }`; an empty body means `{}`. */
function parseRestartBody(text) {
  if (text.trim() === '') return {};
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'body must be a JSON object');
  const unknown = Object.keys(body).filter((key) => key !== 'reason' && key !== 'deadlineMs');
  if (unknown.length > 0) throw new HttpError(400, `unknown field(s): ${unknown.join(', ')}`);
  const { reason, deadlineMs } = body;
  if (
    reason !== undefined &&
    (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON_LENGTH)
  ) {
    throw new HttpError(400, `reason must be a non-empty string of at most ${MAX_REASON_LENGTH} characters`);
  }
  if (
    deadlineMs !== undefined &&
    (typeof deadlineMs !== 'number' ||
      !Number.isInteger(deadlineMs) ||
      deadlineMs < 0 ||
      deadlineMs > 2_147_483_647)
  ) {
    throw new HttpError(400, 'deadlineMs must be a non-negative integer number of milliseconds');
  }
  return { reason, deadlineMs };
}

function sendJson(response, status, body, headers = {}) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    // Once the server is closing, a keep-alive connection closes after this response.
    ...(server.listening ? {} : { connection: 'close' }),
    ...headers,
  });
  response.end(text);
}

const routes = {
  '/admin/identity': {
    GET: async (_request, response) => {
      sendJson(response, 200, {
        info: await getInfo({ live: true }),
        lastRestart: await getLastRestart(),
        restartPending: hasPendingRestart(),
      });
    },
  },
  '/admin/restart': {
    POST: async (request, response) => {
      const { reason = 'admin request', deadlineMs } = parseRestartBody(await readBody(request));
      // The exit must not cut this response short: the hook waits for it, then stops the server.
      const answered = new Promise((resolve) => response.once('close', resolve));
      const outcome = await gracefulRestart({
        reason,
        deadlineMs,
        beforeExit: async ({ signal }) => {
          await answered;
          await closeServer(signal);
        },
      });
      console.log(`http-admin: restart requested (${reason}): ${outcome.status}`);
      sendJson(response, outcome.status === 'refused' ? 409 : 202, { outcome });
    },
  },
};

async function handle(request, response) {
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  const route = Object.hasOwn(routes, pathname) ? routes[pathname] : undefined;
  if (route === undefined) throw new HttpError(404, 'not found');
  const handler = Object.hasOwn(route, request.method) ? route[request.method] : undefined;
  if (handler === undefined) throw new HttpError(405, 'method not allowed');
  if (!isAuthorized(request)) throw new HttpError(401, 'missing or invalid bearer token');
  await handler(request, response);
}

const server = createServer((request, response) => {
  handle(request, response).catch((error) => {
    const status = error instanceof HttpError ? error.status : 500;
    if (status === 500) console.error('http-admin: request failed', error);
    if (response.headersSent) return void response.destroy();
    const headers = {};
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    if (status === 405)
      headers.allow = Object.keys(
        routes[new URL(request.url ?? '/', 'http://localhost').pathname] ?? {},
      ).join(', ');
    sendJson(response, status, { error: status === 500 ? 'internal error' : error.message }, headers);
    if (status === 413) discardRest(request);
  });
});
server.requestTimeout = 10_000;
server.headersTimeout = 5_000;

/**
 * Stops accepting connections, closes the idle keep-alive ones (a busy one closes after its response,
 * see sendJson) and resolves once all are closed; when `signal` aborts (the hook's time budget ran
 * out), closes the rest at once.
 */
function closeServer(signal) {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
    signal?.addEventListener(
      'abort',
      () => {
        server.closeAllConnections();
        resolve();
      },
      { once: true },
    );
  });
}

// pm2 stopping or restarting us: stop taking requests before the exit.
installShutdownHandler({ beforeExit: ({ signal }) => closeServer(signal) });
on('hookFailed', ({ message }) => console.error(`http-admin: ${message}`));

server.listen(port, host, () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`http-admin: listening on http://${address.address}:${address.port}`);
});
