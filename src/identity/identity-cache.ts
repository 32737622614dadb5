import type { Clock } from '../ports/ports.js';
import { monotonicNow } from '../ports/monotonic-now.js';
import type { Identity, ManagedIdentity } from './identity.js';

/** Identity resolution with one in-flight resolution shared by all callers. */
export interface IdentityCache {
  /** A managed identity is kept for the life of the process; a "not under pm2" answer for `ttlMs`. */
  get(): Promise<Identity>;
  /** Resolves anew (before a restart decision), sharing a resolution already in flight. */
  refresh(): Promise<Identity>;
  /** The last managed identity, without waiting; undefined before one was resolved. */
  readonly current: ManagedIdentity | undefined;
}

/** Creates an {@link IdentityCache} over a resolver. */
export function createIdentityCache(
  resolve: () => Promise<Identity>,
  clock: Clock,
  ttlMs: number,
): IdentityCache {
  let managed: ManagedIdentity | undefined;
  let unmanaged: { identity: Identity; at: number } | undefined;
  let resolving: Promise<Identity> | undefined;

  const remember = (identity: Identity): Identity => {
    if (identity.managed) {
      managed = identity;
      unmanaged = undefined;
    } else {
      managed = undefined;
      unmanaged = { identity, at: monotonicNow(clock) };
    }
    return identity;
  };

  // A resolver that throws is answered as not managed, and nothing is cached: the next call retries.
  const failed = (error: unknown): Identity => ({
    managed: false,
    reason: 'resolverFailed',
    message: `identity resolution failed: ${error instanceof Error ? error.message : String(error)}`,
  });

  const refresh = (): Promise<Identity> =>
    (resolving ??= resolve()
      .then(remember, failed)
      .finally(() => {
        resolving = undefined;
      }));

  return {
    get() {
      if (managed) return Promise.resolve(managed);
      const ageMs = unmanaged === undefined ? Infinity : monotonicNow(clock) - unmanaged.at;
      if (unmanaged && ageMs >= 0 && ageMs < ttlMs) return Promise.resolve(unmanaged.identity);
      return refresh();
    },
    refresh,
    get current() {
      return managed;
    },
  };
}
