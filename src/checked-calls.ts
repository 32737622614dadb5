/**
 * The runtime checks of a {@link Pm2Self}'s methods, for JavaScript callers: each options object is
 * checked against its table (option-tables.ts), event names against the known ones and listeners for
 * being functions, and `runTask` for being given work. A misuse throws a `TypeError` at the call
 * (`runTask`, being async, rejects with it) and changes nothing.
 */
import { checkOptions, nearestKey } from './common/check-options.js';
import { describeReceived } from './common/describe-received.js';
import { invalidOption } from './common/errors.js';
import { OPTION_TABLES, PORT_FUNCTIONS } from './option-tables.js';
import { RESTART_EVENT_NAMES } from './restart/events.js';

/** Checks `createPm2Self()`'s options against their table, and each port given. @throws TypeError */
export function checkCreateOptions(options: unknown): void {
  checkOptions('createPm2Self', options, OPTION_TABLES.createPm2Self);
  const ports = (options as { ports?: unknown } | undefined)?.ports;
  if (ports !== undefined) checkPorts(ports as Record<string, unknown>);
}

/** Each given port is a known one, an object with its functions. */
function checkPorts(ports: Record<string, unknown>): void {
  const known = Object.keys(PORT_FUNCTIONS);
  for (const [name, port] of Object.entries(ports)) {
    if (port === undefined) continue;
    const needed = PORT_FUNCTIONS[name as keyof typeof PORT_FUNCTIONS] as readonly string[] | undefined;
    if (needed === undefined) {
      const near = nearestKey(name, known);
      const help = near === null ? `known ports: ${known.join(', ')}` : `did you mean \`${near}\`?`;
      throw new TypeError(`Unknown port \`${name}\` of createPm2Self(): ${help}`);
    }
    const isObject = typeof port === 'object' && port !== null;
    const missing = isObject
      ? needed.find((fn) => typeof (port as Record<string, unknown>)[fn] !== 'function')
      : undefined;
    if (isObject && missing === undefined) continue;
    const list = `${needed.slice(0, -1).join(', ')}${needed.length > 1 ? ' and ' : ''}${needed.at(-1)}`;
    const got = isObject ? `an object without ${missing}` : describeReceived(port);
    throw new TypeError(`Expected the port \`${name}\` to be an object with ${list}, got ${got}`);
  }
}

function checkEventName(name: unknown): void {
  if (typeof name === 'string' && (RESTART_EVENT_NAMES as readonly string[]).includes(name)) return;
  const near = typeof name === 'string' ? nearestKey(name, RESTART_EVENT_NAMES) : null;
  const help =
    near === null ? `known events: ${RESTART_EVENT_NAMES.join(', ')}` : `did you mean \`${near}\`?`;
  throw new TypeError(`Unknown event ${JSON.stringify(name) ?? String(name)} for on(): ${help}`);
}

function isWork(work: unknown): boolean {
  return typeof work === 'function' || (typeof work === 'object' && work !== null && 'then' in work);
}

/** The methods of a pm2-self instance that take options or callbacks (as JavaScript may call them). */
interface Checkable {
  getInfo(options?: unknown): unknown;
  gracefulRestart(options?: unknown): unknown;
  installShutdownHandler(options?: unknown): unknown;
  restartWhen(policy: unknown): unknown;
  exposeToPm2(options?: unknown): unknown;
  on(name: never, listener: never): unknown;
  runTask(work: unknown, label?: string): unknown;
}

/** Replaces the methods of `self` that take options or callbacks with checked ones; returns `self`. */
export function withRuntimeChecks<T extends Checkable>(self: T): T {
  const { getInfo, gracefulRestart, installShutdownHandler, restartWhen, exposeToPm2, on, runTask } = self;
  const checked: Checkable = {
    getInfo(options) {
      checkOptions('getInfo', options, OPTION_TABLES.getInfo);
      const live = (options as { live?: unknown } | undefined)?.live;
      if (live !== undefined && typeof live !== 'boolean' && live !== 'daemon')
        invalidOption('live', "a boolean or 'daemon'", live);
      return getInfo(options);
    },
    gracefulRestart(options) {
      checkOptions('gracefulRestart', options, OPTION_TABLES.gracefulRestart);
      return gracefulRestart(options);
    },
    installShutdownHandler(options) {
      checkOptions('installShutdownHandler', options, OPTION_TABLES.installShutdownHandler);
      return installShutdownHandler(options);
    },
    restartWhen(policy) {
      if (policy === undefined) checkOptions('restartWhen', null, OPTION_TABLES.restartWhen);
      checkOptions('restartWhen', policy, OPTION_TABLES.restartWhen);
      return restartWhen(policy);
    },
    exposeToPm2(options) {
      checkOptions('exposeToPm2', options, OPTION_TABLES.exposeToPm2);
      return exposeToPm2(options);
    },
    on(name: unknown, listener: unknown) {
      checkEventName(name);
      if (typeof listener !== 'function')
        throw new TypeError(
          `Expected the listener of on('${name}') to be a function, got ${describeReceived(listener)}`,
        );
      return on(name as never, listener as never);
    },
    runTask(work, label) {
      if (!isWork(work)) {
        const shown = describeReceived(work);
        return Promise.reject(new TypeError(`Expected \`work\` to be a function or a promise, got ${shown}`));
      }
      return runTask(work, label);
    },
  };
  return Object.assign(self, checked);
}
