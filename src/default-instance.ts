import { createPm2Self, type Pm2Self } from './create-pm2-self.js';

const KEY = Symbol.for('pm2-self');

interface SharedState {
  instance?: Pm2Self;
}

/**
 * The process-wide default instance, created on first use and kept on
 * `globalThis[Symbol.for('pm2-self')]`, so the ESM and CJS copies of the package share one controller.
 */
export function getDefaultPm2Self(): Pm2Self {
  const holder = globalThis as typeof globalThis & { [KEY]?: SharedState };
  const shared = (holder[KEY] ??= {});
  return (shared.instance ??= createPm2Self());
}
