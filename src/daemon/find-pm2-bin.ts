import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** How the pm2 CLI will be run: a program and the arguments that precede pm2's own. */
export interface Pm2Command {
  readonly file: string;
  readonly prefixArgs: readonly string[];
  /** Where the choice came from. */
  readonly source: 'option' | 'envVar' | 'localInstall' | 'path';
}

/** Inputs of {@link findPm2Command}. */
export interface FindPm2Options {
  /** An explicit CLI path (the `pm2Bin` option). */
  readonly explicit?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Name of the env var naming the CLI. */
  readonly binEnvVar: string;
  /** Folder from which a local `pm2` package is resolved. */
  readonly cwd: string;
  /** The Node binary used to run a JavaScript CLI. */
  readonly execPath: string;
}

function asCommand(file: string, execPath: string, source: Pm2Command['source']): Pm2Command {
  return /\.(c|m)?js$/.test(file) || source === 'localInstall'
    ? { file: execPath, prefixArgs: [file], source }
    : { file, prefixArgs: [], source };
}

/**
 * Chooses the pm2 CLI: the `pm2Bin` option, then the `PM2_BIN` env var, then the `pm2` package
 * resolvable from the working directory (run with this Node), then `pm2` on `PATH`.
 * A missing CLI is reported when it is run (`cliNotFound`), never here.
 */
export function findPm2Command(options: FindPm2Options): Pm2Command {
  if (options.explicit) return asCommand(options.explicit, options.execPath, 'option');
  const fromEnv = options.env[options.binEnvVar];
  if (fromEnv) return asCommand(fromEnv, options.execPath, 'envVar');
  try {
    const requireFromCwd = createRequire(join(options.cwd, 'noop.js'));
    const manifest = requireFromCwd.resolve('pm2/package.json');
    return asCommand(join(dirname(manifest), 'bin', 'pm2'), options.execPath, 'localInstall');
  } catch {
    return { file: 'pm2', prefixArgs: [], source: 'path' };
  }
}
