/**
 * The pm2 releases the real-pm2 suites run against, side by side: 7.0.4 (the `pm2` devDependency, the
 * default) and the older releases most machines run, installed under npm aliases (`pm2-6`, `pm2-5` in
 * package.json, pinned in package-lock.json).
 *
 * To run a suite against every release, wrap it in `describe.each(PM2_RELEASES)('... ($label)', (release) => ...)`
 * and create its sandbox with `createPm2Sandbox(prefix, { bin: release.bin })` (`pm2WithEnv` then runs that
 * release's CLI too). A case whose PM2_HOME has a space: `it.skipIf(release.hangsWithSpaceInHome)(...)`.
 * Each release adds its suite's whole run time: keep per-release suites to what can differ by release.
 */
import { resolve } from 'node:path';

/** One installed pm2 release. */
export interface Pm2Release {
  /** Shown in test names, e.g. `pm2 6.0.14`. */
  readonly label: string;
  /** The version its package.json (and its daemon's `getVersion`) states. */
  readonly version: string;
  /** Its CLI script (`<package>/bin/pm2`), run with this Node. */
  readonly bin: string;
  /**
   * Its CLI hangs when `PM2_HOME` contains a space: pm2-axon 4.0.1 (5.4.x, 6.0.x) turns the socket path
   * into a URL (`url.parse`), so the daemon binds `a%20b/rpc.sock`, a folder that does not exist, and
   * never opens its sockets. pm2 7 passes the path as is. Suites that use such a home skip these releases.
   */
  readonly hangsWithSpaceInHome: boolean;
  /**
   * Its fork mode hands the app every setting as text, arrays too (`stop_exit_codes: [0, 7]` arrives as
   * `"0,7"`, objects as `"[object Object]"`), as cluster mode does. pm2 7 passes only scalars in fork
   * mode (lib/God/ForkMode.js `spawn_env`), so there the app cannot see a `stop_exit_codes` list of two
   * or more codes (pm2 turns a one-element list into a scalar, which every release passes).
   */
  readonly forkEnvHasArrays: boolean;
}

const modules = resolve(import.meta.dirname, '../../node_modules');

/** Every release, the default (the `pm2` devDependency) first. */
export const PM2_RELEASES: readonly Pm2Release[] = [
  {
    label: 'pm2 7.0.4',
    version: '7.0.4',
    bin: resolve(modules, 'pm2/bin/pm2'),
    hangsWithSpaceInHome: false,
    forkEnvHasArrays: false,
  },
  {
    label: 'pm2 6.0.14',
    version: '6.0.14',
    bin: resolve(modules, 'pm2-6/bin/pm2'),
    hangsWithSpaceInHome: true,
    forkEnvHasArrays: true,
  },
  {
    label: 'pm2 5.4.3',
    version: '5.4.3',
    bin: resolve(modules, 'pm2-5/bin/pm2'),
    hangsWithSpaceInHome: true,
    forkEnvHasArrays: true,
  },
];

/** The release every other real-pm2 test (examples, soak, bench) runs: the `pm2` devDependency. */
export const DEFAULT_PM2_RELEASE = PM2_RELEASES[0] as Pm2Release;
