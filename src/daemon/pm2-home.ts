import { join } from 'node:path';

/**
 * The `PM2_HOME` pm2 would use from this environment: `OVER_HOME`, then `PM2_HOME`, then `~/.pm2`
 * (pm2's constants.js and paths.js).
 */
export function resolvePm2Home(env: Readonly<Record<string, string | undefined>>, homedir: string): string {
  const over = env.OVER_HOME;
  if (over) return over;
  const home = env.PM2_HOME;
  if (home) return home;
  return join(homedir, '.pm2');
}

/** The files of a pm2 home that pm2-self reads. */
export interface Pm2HomePaths {
  readonly home: string;
  readonly daemonPidFile: string;
  readonly rpcSocket: string;
  /** The daemon's event bus (axon pub/sub), where action replies are published. */
  readonly pubSocket: string;
  /** Where pm2-self keeps restart records for the next generation. */
  readonly recordDir: string;
}

/** Paths inside a pm2 home; on Windows pm2 uses a fixed named pipe whatever the home. */
export function pm2HomePaths(home: string, platform: NodeJS.Platform): Pm2HomePaths {
  return {
    home,
    daemonPidFile: join(home, 'pm2.pid'),
    rpcSocket: platform === 'win32' ? '\\\\.\\pipe\\rpc.sock' : join(home, 'rpc.sock'),
    pubSocket: platform === 'win32' ? '\\\\.\\pipe\\pub.sock' : join(home, 'pub.sock'),
    recordDir: join(home, 'pm2-self'),
  };
}
