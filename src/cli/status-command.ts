import type { AppInstance } from './app-instances.js';
import type { CliPorts } from './daemon-link.js';
import { withTargets } from './with-targets.js';
import { renderTable, type Cell } from './render-table.js';
import { statusStyle } from './style.js';
import { EXIT } from './exit-codes.js';
import { jsonForTerminal } from './terminal-text.js';

const NAMESPACE = { title: 'namespace', max: 10 };
const COLUMNS = [
  { title: 'name', max: 16 },
  { title: 'id', max: 4 },
  { title: 'pid', max: 7 },
  { title: 'status', max: 8 },
  { title: '↺', max: 4 },
  { title: 'state', max: 8 },
  { title: 'tasks', max: 11 },
  { title: 'last restart', max: 80 },
];

/** Shown only when an instance runs a health check or a watchdog (`restartWhen()`). */
const HEALTH = [
  { title: 'health', max: 26 },
  { title: 'loop', max: 6 },
];
const hasHealth = (instances: readonly AppInstance[]) =>
  instances.some((i) => i.exposed && i.health !== null);

/** Shown only when an app lives outside pm2's `default` namespace: 80 columns are few. */
const hasNamespaces = (instances: readonly AppInstance[]) =>
  instances.some((i) => (i.entry.namespace ?? 'default') !== 'default');

/**
 * The health in a table cell (`ok 14:02:11`, `failing 14:01:30 hub down`) and the loop delay
 * (`10ms`); `-` when no health check or watchdog runs.
 */
function healthCells(instance: AppInstance): Cell[] {
  if (instance.health === null) return [DASH, DASH];
  const text = instance.health
    .replace(/^ok, checked /, 'ok ')
    .replace(/^failing since (\d\d:\d\d:\d\d): /, 'failing $1 ');
  const style = instance.health.startsWith('failing') ? 'yellow' : 'plain';
  return [{ text, style }, instance.loopDelayMs === null ? DASH : { text: `${instance.loopDelayMs}ms` }];
}

const DASH: Cell = { text: '-', style: 'dim' };

/** The running tasks (`2`), with the stale ones marked (`2 (1 stale)`, yellow); `?` when unknown. */
function tasksCell(instance: AppInstance): Cell {
  if (instance.runningTasks === null) return { text: '?' };
  const stale = instance.staleTasks ?? 0;
  if (stale === 0) return { text: String(instance.runningTasks) };
  return { text: `${instance.runningTasks} (${stale} stale)`, style: 'yellow' };
}

function row(instance: AppInstance, withNamespace: boolean, withHealth: boolean): Cell[] {
  const { entry } = instance;
  const exposed: Cell[] = instance.exposed
    ? [
        {
          text: instance.restartState ?? '?',
          style: instance.restartState === 'idle' ? 'plain' : 'yellow',
        },
        tasksCell(instance),
        ...(withHealth ? healthCells(instance) : []),
        { text: instance.lastRestart ?? '?' },
      ]
    : [
        { text: '-', style: 'dim' },
        { text: '-', style: 'dim' },
        ...(withHealth ? [DASH, DASH] : []),
        { text: instance.launcher === null ? 'not exposed' : 'no IPC channel', style: 'dim' },
      ];
  return [
    { text: entry.name },
    ...(withNamespace ? [{ text: entry.namespace ?? '-' }] : []),
    { text: String(entry.pmId) },
    { text: entry.pid > 0 ? String(entry.pid) : '-' },
    { text: entry.status, style: statusStyle(entry.status) },
    { text: entry.restarts === null ? '?' : String(entry.restarts) },
    ...exposed,
  ];
}

/** What `status --json` prints for one process. */
export function statusJson(instance: AppInstance) {
  const { entry } = instance;
  return {
    name: entry.name,
    namespace: entry.namespace,
    pmId: entry.pmId,
    pid: entry.pid,
    status: entry.status,
    restarts: entry.restarts,
    exposed: instance.exposed,
    restartState: instance.exposed ? instance.restartState : null,
    tasks: instance.exposed ? { running: instance.runningTasks, stale: instance.staleTasks ?? 0 } : null,
    lastRestart: instance.exposed ? instance.lastRestart : null,
    health:
      instance.exposed && instance.health !== null
        ? { summary: instance.health, loopDelayMs: instance.loopDelayMs }
        : null,
  };
}

/** The status table's lines (a namespace column when needed, a health column when one is sent). Pure. */
export function statusLines(instances: readonly AppInstance[], color: boolean): string[] {
  const withNamespace = hasNamespaces(instances);
  const withHealth = hasHealth(instances);
  const columns = [
    COLUMNS[0],
    ...(withNamespace ? [NAMESPACE] : []),
    ...COLUMNS.slice(1, -1),
    ...(withHealth ? HEALTH : []),
    COLUMNS[COLUMNS.length - 1],
  ];
  const rows = instances.map((instance) => row(instance, withNamespace, withHealth));
  return renderTable(columns as typeof COLUMNS, rows, color);
}

/** `pm2-self status [app] [--json]`: the daemon's apps and what each exposed. */
export async function runStatus(
  ports: CliPorts,
  command: { target: string | null; json: boolean; pm2Home: string | null },
): Promise<number> {
  const request = { target: command.target ?? 'all', pm2Home: command.pm2Home, bus: false };
  return withTargets(ports, request, async (link, instances) => {
    if (command.json) {
      ports.out(jsonForTerminal(instances.map(statusJson)));
      return EXIT.ok;
    }
    if (instances.length === 0) {
      ports.out(`no apps in PM2_HOME ${link.home}`);
      return EXIT.ok;
    }
    for (const line of statusLines(instances, ports.color)) ports.out(line);
    return EXIT.ok;
  });
}
