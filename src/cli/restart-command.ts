import type { AppInstance } from './app-instances.js';
import type { CliPorts } from './daemon-link.js';
import { withTargets } from './with-targets.js';
import { EXIT } from './exit-codes.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import { formatDuration } from './parse-duration.js';
import {
  restartInstance,
  type AcceptedOutcome,
  type InstanceResult,
  type RestartAsk,
} from './restart-instance.js';
import { fit, LINE_WIDTH, wrap } from './render-table.js';
import { paint, type Style } from './style.js';

/** The options of `pm2-self restart`. */
export interface RestartCommand extends RestartAsk {
  readonly target: string;
  readonly parallel: number;
  readonly pm2Home: string | null;
}

const label = (instance: AppInstance) => `${instance.entry.name} ${instance.entry.pmId}`;

/** One line about an instance's answer. Pure. */
export function describeAccepted(outcome: AcceptedOutcome): string {
  if (outcome.status === 'restarting') return `restarting now (${outcome.strategy.type})`;
  if (outcome.status === 'deferred')
    return `restart deferred: waiting for ${outcome.tasks} task${outcome.tasks === 1 ? '' : 's'}`;
  if (outcome.status === 'waitingTurn') return `waiting for its turn (${outcome.holders} restarting)`;
  if (outcome.pending.kind === 'shutdown') return `pm2 is already stopping it (${outcome.phase})`;
  return `a restart was already pending (${outcome.phase})`;
}

/** One line about how an instance's restart ended. Pure. */
export function describeResult(result: InstanceResult, oldPid: number): string {
  switch (result.kind) {
    case 'back':
      return (
        `back online and settled: pid ${oldPid} -> ${result.newPid}, after ${formatDuration(result.afterMs)}` +
        (result.exposed ? '' : ' (it has not called exposeToPm2() again)')
      );
    case 'notExposed':
      return `${result.why}: not asked (restart it with pm2 itself)`;
    case 'notOnline':
      return `${result.status} before it was asked: not asked, and the rollout stops here`;
    case 'gone':
      return 'no longer in the list';
    case 'triggerFailed':
      return `could not be asked: ${result.why}`;
    case 'noReply':
      return 'no reply: is it busy, or blocking its event loop?';
    case 'invalid':
      return `rejected the request: ${result.why}`;
    case 'refused':
      return `refused (${result.code}): ${result.why}`;
    case 'dropped':
      return `restart dropped (${result.cause})${result.message === null ? '' : `: ${result.message}`}`;
    case 'notBack':
      return `did not come back: pm2 shows it ${result.status}`;
    case 'crashed':
      return `crashed after its restart: ${result.why}`;
    case 'timedOut':
      return describeTimedOut(result);
  }
}

/** What had happened when `--timeout` ran out: not restarted yet, or restarted and not (yet) ready. */
function describeTimedOut(result: Extract<InstanceResult, { kind: 'timedOut' }>): string {
  const within = `within --timeout ${formatDuration(result.timeoutMs)}`;
  if (result.newPid === null) {
    return `not restarted ${within} (pm2 shows it ${result.status}); its restart stays pending, \`pm2-self cancel\` drops it`;
  }
  if (result.ready) {
    return `restarted: its new process ${result.newPid} said it is ready but had not stayed up the settle time ${within}`;
  }
  return `restarted: its new process ${result.newPid} has not said it is ready ${within} (pm2 shows it ${result.status}, \`pm2-self ready\` not yes)`;
}

/** Results after which the next instances are not asked: this one is (or may be) down. */
const HALTS: ReadonlySet<InstanceResult['kind']> = new Set([
  'noReply',
  'notBack',
  'timedOut',
  'crashed',
  'notOnline',
]);

/**
 * `pm2-self restart <app|pm_id|all>`: asks each online instance in turn (`parallel` at a time) to
 * restart through `pm2-self:restart`, and starts the next only once the previous is back and settled;
 * a crash, a rising restart count, `errored`, `stopped`, or no return within the timeout halts it.
 */
export async function runRestart(ports: CliPorts, command: RestartCommand): Promise<number> {
  const { target, pm2Home } = command;
  return withTargets(ports, { target, pm2Home, bus: true }, async (link, instances) => {
    if (instances.length === 0) {
      ports.out('no apps to restart');
      return EXIT.failed;
    }
    const startedAt = monotonicNow(ports.clock);
    const print = (text: string, style: Style, indent = 0) => {
      for (const line of wrap(text, LINE_WIDTH, indent)) ports.out(paint(line, style, ports.color));
    };
    const say = (instance: AppInstance, text: string, style: Style = 'plain') => {
      const [first = '', ...rest] = wrap(`${fit(label(instance), 20).padEnd(20)} ${text}`, LINE_WIDTH, 21);
      ports.out(
        `${paint(first.slice(0, 20), 'bold', ports.color)}${paint(first.slice(20), style, ports.color)}`,
      );
      for (const line of rest) ports.out(paint(line, style, ports.color));
    };
    print(
      `restarting ${instances.length} instance${instances.length === 1 ? '' : 's'}, ${command.parallel} at a time, reason "${command.reason}"`,
      'plain',
      2,
    );

    const results = new Map<AppInstance, InstanceResult>();
    const queue = [...instances];
    let halted = false;
    const worker = async () => {
      for (let instance = queue.shift(); instance && !halted; instance = queue.shift()) {
        const current = instance;
        const result = await restartInstance(ports, link, current.entry.pmId, command, {
          asking: (fresh) => say(current, `asking pid ${fresh.entry.pid}...`),
          accepted: (outcome) => say(current, describeAccepted(outcome)),
        });
        results.set(current, result);
        const ok = result.kind === 'back';
        say(current, describeResult(result, current.entry.pid), ok ? 'green' : 'red');
        if (HALTS.has(result.kind)) halted = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(command.parallel, instances.length) }, worker));

    const failed = instances.filter((i) => results.get(i)?.kind !== 'back');
    const back = instances.filter((i) => results.get(i)?.kind === 'back').length;
    const took = formatDuration(monotonicNow(ports.clock) - startedAt);
    if (failed.length === 0 && back > 0) {
      print(`all ${back} came back in ${took}`, 'green');
      return EXIT.ok;
    }
    const notAsked = failed.filter((i) => !results.has(i)).map(label);
    const failures = failed.filter((i) => results.has(i)).map(label);
    print(
      `${back} of ${instances.length} came back in ${took}` +
        (failures.length > 0 ? `; not back: ${failures.join(', ')}` : '') +
        (notAsked.length > 0 ? `; not asked after that: ${notAsked.join(', ')}` : ''),
      'red',
      2,
    );
    return EXIT.failed;
  });
}
