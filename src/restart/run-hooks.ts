import type { Clock } from '../ports/ports.js';

/** What a pre-exit hook is told. */
export interface HookContext {
  readonly reason: string;
  /** `restart` when this library restarts the app; `shutdown` when pm2 stops or restarts it. */
  readonly kind: 'restart' | 'shutdown';
  /** Aborted when the hook's time budget runs out. */
  readonly signal: AbortSignal;
}

/** A function run before the exit, e.g. to tell a hub and wait for the socket to flush. */
export type ExitHook = (context: HookContext) => void | Promise<void>;

/**
 * Runs hooks one after another within one time budget; a hook that throws, rejects or overruns is
 * reported through `onFailure` and the rest still run. Resolves when all are done or the budget is out.
 * Aborting `stop` ends the budget early (pm2's kill budget arrived while the hooks ran).
 */
export async function runHooks(
  hooks: readonly ExitHook[],
  context: Omit<HookContext, 'signal'>,
  budgetMs: number,
  clock: Clock,
  onFailure: (message: string) => void,
  stop?: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  let timer: unknown;
  let expire = (): void => undefined;
  const outOfTime = new Promise<'timeout'>((resolve) => {
    expire = () => {
      controller.abort(new Error('hook budget exhausted'));
      resolve('timeout');
    };
    timer = clock.setTimeout(expire, budgetMs);
  });
  stop?.addEventListener('abort', expire);
  if (stop?.aborted) expire();
  try {
    for (const hook of hooks) {
      if (controller.signal.aborted) {
        onFailure('hook skipped: time budget exhausted');
        continue;
      }
      const run = (async () => hook({ ...context, signal: controller.signal }))().then(
        () => 'done' as const,
        (error: unknown) => {
          onFailure(`hook failed: ${error instanceof Error ? error.message : String(error)}`);
          return 'done' as const;
        },
      );
      if ((await Promise.race([run, outOfTime])) === 'timeout')
        onFailure(`hook exceeded the ${budgetMs} ms budget`);
    }
  } finally {
    clock.clearTimeout(timer);
    stop?.removeEventListener('abort', expire);
  }
}
