import type { DeadlinePolicy } from '../restart/machine.js';
import { parseDuration } from './parse-duration.js';
import { DEFAULT_SETTLE_MS } from './rollout-follow.js';

/** The commands of the `pm2-self` CLI. */
export type CommandName = 'status' | 'restart' | 'cancel';

/** What the command line asks for. */
export type CliCommand =
  | { readonly kind: 'help'; readonly topic: CommandName | null }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage'; readonly topic: CommandName | null; readonly message: string }
  | {
      readonly kind: 'status';
      readonly target: string | null;
      readonly json: boolean;
      readonly pm2Home: string | null;
    }
  | {
      readonly kind: 'restart';
      readonly target: string;
      readonly reason: string;
      readonly deadlineMs: number | null;
      readonly onDeadline: DeadlinePolicy;
      readonly parallel: number;
      readonly timeoutMs: number;
      readonly settleMs: number;
      readonly pm2Home: string | null;
    }
  | { readonly kind: 'cancel'; readonly target: string; readonly pm2Home: string | null };

/** Defaults of `pm2-self restart`. */
export const RESTART_DEFAULTS = {
  reason: 'pm2-self restart',
  parallel: 1,
  timeoutMs: 120_000,
  settleMs: DEFAULT_SETTLE_MS,
} as const;

/** Options each command accepts, and whether they take a value. */
const OPTIONS: Readonly<Record<CommandName, Readonly<Record<string, boolean>>>> = {
  status: { json: false, 'pm2-home': true },
  restart: {
    reason: true,
    deadline: true,
    'on-deadline': true,
    parallel: true,
    timeout: true,
    settle: true,
    'pm2-home': true,
  },
  cancel: { 'pm2-home': true },
};

type Parsed = { positional: string[]; values: Map<string, string>; flags: Set<string> };

function splitArgs(command: CommandName, args: readonly string[]): Parsed | string {
  const parsed: Parsed = { positional: [], values: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      parsed.positional.push(arg);
      continue;
    }
    const [name = '', inline] = arg.slice(2).split(/=(.*)/s, 2);
    const takesValue = Object.hasOwn(OPTIONS[command], name) ? OPTIONS[command][name] : undefined;
    if (takesValue === undefined) return `unknown option --${name}`;
    if (!takesValue) {
      if (inline !== undefined) return `--${name} takes no value`;
      parsed.flags.add(name);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === '') return `--${name} needs a value`;
    parsed.values.set(name, value);
  }
  return parsed;
}

function restartCommand(parsed: Parsed, pm2Home: string | null): CliCommand {
  const usage = (message: string): CliCommand => ({ kind: 'usage', topic: 'restart', message });
  const [target, ...extra] = parsed.positional;
  if (target === undefined) return usage('restart needs an app name, a pm_id or "all"');
  if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
  const text = (name: string) => parsed.values.get(name);
  const deadline = text('deadline');
  const deadlineMs = deadline === undefined ? null : parseDuration(deadline);
  if (deadlineMs === null && deadline !== undefined)
    return usage(`--deadline: "${deadline}" is not a duration`);
  const timeout = text('timeout');
  const timeoutMs = timeout === undefined ? RESTART_DEFAULTS.timeoutMs : parseDuration(timeout);
  if (timeoutMs === null || timeoutMs === 0)
    return usage(`--timeout: "${timeout}" is not a positive duration`);
  const settle = text('settle');
  const settleMs = settle === undefined ? RESTART_DEFAULTS.settleMs : parseDuration(settle);
  if (settleMs === null) return usage(`--settle: "${settle}" is not a duration`);
  const parallelText = text('parallel');
  const parallel = parallelText === undefined ? RESTART_DEFAULTS.parallel : Number(parallelText);
  if (!Number.isSafeInteger(parallel) || parallel < 1)
    return usage(`--parallel: "${parallelText}" is not a whole number of at least 1`);
  const onDeadline = text('on-deadline') ?? 'force';
  if (onDeadline !== 'force' && onDeadline !== 'giveUp')
    return usage(`--on-deadline: "${onDeadline}" is neither "force" nor "giveUp"`);
  const reason = text('reason') ?? RESTART_DEFAULTS.reason;
  if (reason.length > 1024) return usage('--reason: longer than 1024 characters');
  return {
    kind: 'restart',
    target,
    reason,
    deadlineMs,
    onDeadline,
    parallel,
    timeoutMs,
    settleMs,
    pm2Home,
  };
}

/** Reads the command line (without `node` and the script). Pure. */
export function parseArgs(args: readonly string[]): CliCommand {
  const [first, ...rest] = args;
  if (first === undefined || first === '--help' || first === '-h') return { kind: 'help', topic: null };
  if (first === '--version' || first === '-v' || first === 'version') return { kind: 'version' };
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { kind: 'help', topic: null };
    return Object.hasOwn(OPTIONS, topic)
      ? { kind: 'help', topic: topic as CommandName }
      : { kind: 'usage', topic: null, message: `no help for "${topic}"` };
  }
  if (!Object.hasOwn(OPTIONS, first))
    return { kind: 'usage', topic: null, message: `unknown command "${first}"` };
  const command = first as CommandName;
  if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', topic: command };
  const parsed = splitArgs(command, rest);
  if (typeof parsed === 'string') return { kind: 'usage', topic: command, message: parsed };
  const pm2Home = parsed.values.get('pm2-home') ?? null;
  const [target, ...extra] = parsed.positional;
  if (command === 'restart') return restartCommand(parsed, pm2Home);
  if (extra.length > 0)
    return { kind: 'usage', topic: command, message: `unexpected argument "${extra[0]}"` };
  if (command === 'status')
    return { kind: 'status', target: target ?? null, json: parsed.flags.has('json'), pm2Home };
  if (target === undefined)
    return { kind: 'usage', topic: 'cancel', message: 'cancel needs an app name, a pm_id or "all"' };
  return { kind: 'cancel', target, pm2Home };
}
