import type { Clock } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';

/** What a pre-exit hook is told. */
export interface HookContext {
  readonly reason: string;
  /** `restart` when this library restarts the app; `shutdown` when pm2 stops or restarts it. */
  readonly kind: 'restart' | 'shutdown';
  /** Aborted when the hook's share of the time budget runs out. */
  readonly signal: AbortSignal;
}

/** A function run before the exit, e.g. to tell a hub and wait for the socket to flush. */
export type ExitHook = (context: HookContext) => void | Promise<void>;

/** A hook that threw, rejected, ran past its share or was skipped. */
export interface HookFailure {
  /** The hook's function name, else its position (`#2`). */
  readonly hook: string;
  /** The time the hook had, in milliseconds (0 when it was skipped). */
  readonly budgetMs: number;
  readonly message: string;
}

/** The hook's function name, else `#<position>` (1-based). */
export function hookName(hook: ExitHook, index: number): string {
  return hook.name === '' ? `#${index + 1}` : hook.name;
}

/**
 * Runs hooks one after another within one time budget. Each hook gets its own share: the time left
 * divided by the hooks not yet run, so a hook that hangs costs only its share and the next ones still
 * run (a hook that ends early leaves its unused time to the next). A hook that throws, rejects or
 * overruns is reported through `onFailure` and the rest still run. Aborting `stop` ends the whole
 * budget at once (pm2's kill budget arrived while the hooks ran): the running hook is aborted and the
 * rest are skipped.
 */
export async function runHooks(
  hooks: readonly ExitHook[],
  context: Omit<HookContext, 'signal'>,
  budgetMs: number,
  clock: Clock,
  onFailure: (failure: HookFailure) => void,
  stop?: AbortSignal,
): Promise<void> {
  const endAt = monotonicNow(clock) + budgetMs;
  for (const [index, hook] of hooks.entries()) {
    const name = hookName(hook, index);
    if (stop?.aborted === true) {
      onFailure({ hook: name, budgetMs: 0, message: 'hook skipped: the time budget is spent' });
      continue;
    }
    const shareMs = Math.max(0, Math.floor((endAt - monotonicNow(clock)) / (hooks.length - index)));
    const failure = await runOne(hook, context, shareMs, clock, stop);
    if (failure !== null) onFailure({ hook: name, budgetMs: shareMs, message: failure });
  }
}

/** Runs one hook within `shareMs`; resolves with why it failed, or null. */
async function runOne(
  hook: ExitHook,
  context: Omit<HookContext, 'signal'>,
  shareMs: number,
  clock: Clock,
  stop: AbortSignal | undefined,
): Promise<string | null> {
  const controller = new AbortController();
  let expire = (_why: string): void => undefined;
  const outOfTime = new Promise<string>((resolve) => {
    expire = (why) => {
      controller.abort(new Error('hook budget exhausted'));
      resolve(why);
    };
  });
  const timer = clock.setTimeout(() => expire(`hook exceeded its ${shareMs} ms budget`), shareMs);
  const cut = () => expire('hook cut: the time budget is spent');
  stop?.addEventListener('abort', cut);
  try {
    const run = (async () => hook({ ...context, signal: controller.signal }))().then(
      () => null,
      (error: unknown) => `hook failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return await Promise.race([run, outOfTime]);
  } finally {
    clock.clearTimeout(timer);
    stop?.removeEventListener('abort', cut);
  }
}
