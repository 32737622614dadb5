import { readRestartSettings, type RestartSettings } from './restart-settings.js';
import { parseCount, parseName, parseText } from './parse-values.js';
import { parseExecMode, type ExecMode } from './pm2-env.js';
import { isRecord } from '../common/json-values.js';

/**
 * One process of the daemon's list, curated: identity, status, counters and settings.
 * It holds no environment value, so it is safe to log or send to a dashboard. `name` and `namespace`
 * are pm2's as given, control characters included: escape them before they reach a terminal.
 */
export interface ProcessEntry {
  readonly pid: number;
  readonly pmId: number;
  readonly name: string;
  readonly namespace: string | null;
  readonly execMode: ExecMode | null;
  readonly instance: number | null;
  /** pm2's live status (`online`, `stopping`, `stopped`, `errored`, `launching`, `waiting restart`, ...). */
  readonly status: string;
  readonly restarts: number | null;
  readonly unstableRestarts: number | null;
  readonly startedAt: number | null;
  /** Memory of the tracked pid as the daemon measured it, in bytes. */
  readonly memoryBytes: number | null;
  /** CPU of the tracked pid as the daemon measured it, in percent. */
  readonly cpuPercent: number | null;
  readonly interpreter: string | null;
  readonly settings: RestartSettings;
}

/** Why a process list could not be read. */
export type ProcessListProblem = 'empty' | 'noJson' | 'invalidJson' | 'notAList';

/** The outcome of reading a process list. */
export type ProcessListReading =
  | { readonly ok: true; readonly entries: readonly ProcessEntry[]; readonly skipped: number }
  | { readonly ok: false; readonly problem: ProcessListProblem };

const MAX_JSON_STARTS = 32;

/**
 * Finds and parses the JSON array in `pm2 jlist` output, skipping banners and warnings printed
 * before it (first-run banner, `In-memory PM2 is out-of-date`, daemon spawn notices).
 */
export function parseJlistOutput(text: string): ProcessListReading {
  if (text.trim() === '') return { ok: false, problem: 'empty' };
  let attempts = 0;
  let sawStart = false;
  for (let at = text.indexOf('['); at !== -1 && attempts < MAX_JSON_STARTS; at = text.indexOf('[', at + 1)) {
    if (at > 0 && text[at - 1] !== '\n' && text[at - 1] !== '\r') continue;
    sawStart = true;
    attempts += 1;
    let value: unknown;
    try {
      value = JSON.parse(text.slice(at));
    } catch {
      continue;
    }
    return readProcessList(value);
  }
  if (sawStart) return { ok: false, problem: 'invalidJson' };
  const trimmed = text.trimStart();
  return trimmed.startsWith('{') || trimmed.startsWith('"')
    ? { ok: false, problem: 'notAList' }
    : { ok: false, problem: 'noJson' };
}

function readEntry(raw: unknown): ProcessEntry | undefined {
  if (!isRecord(raw) || !isRecord(raw.pm2_env)) return undefined;
  const env = raw.pm2_env;
  const pid = parseCount(raw.pid);
  const pmId = parseCount(raw.pm_id);
  // A name pm2 accepted is kept whatever it holds (the command escapes it): never an app that vanishes.
  const name = parseText(raw.name);
  const status = parseName(env.status, 64);
  if (pid === undefined || pmId === undefined || name === undefined || status === undefined) return undefined;
  const execMode = parseExecMode(env.exec_mode);
  const instanceVar = parseName(env.instance_var, 128) ?? 'NODE_APP_INSTANCE';
  const monit = isRecord(raw.monit) ? raw.monit : {};
  const cpu =
    typeof monit.cpu === 'number' && Number.isFinite(monit.cpu) && monit.cpu >= 0 ? monit.cpu : null;
  return {
    pid,
    pmId,
    name,
    namespace: parseText(env.namespace) ?? null,
    execMode,
    instance: parseCount(env[instanceVar]) ?? null,
    status,
    restarts: parseCount(env.restart_time) ?? null,
    unstableRestarts: parseCount(env.unstable_restarts) ?? null,
    startedAt: parseCount(env.pm_uptime) ?? null,
    memoryBytes: parseCount(monit.memory) ?? null,
    cpuPercent: cpu,
    interpreter: parseName(env.exec_interpreter, 4096) ?? null,
    settings: readRestartSettings(env, 'daemon'),
  };
}

/**
 * Validates a process list (the parsed `pm2 jlist` JSON or the RPC `getMonitorData` reply).
 * Entries without a usable pid, pm_id, name and status are skipped and counted.
 */
export function readProcessList(value: unknown): ProcessListReading {
  if (!Array.isArray(value)) return { ok: false, problem: 'notAList' };
  const entries: ProcessEntry[] = [];
  for (const raw of value) {
    const entry = readEntry(raw);
    if (entry !== undefined) entries.push(entry);
  }
  return { ok: true, entries, skipped: value.length - entries.length };
}
