/**
 * Launchers: programs that start an app as their one child and exit with its exit code (shells,
 * npm/npx/yarn/pnpm, tsx, `env`). pm2 often tracks one of them instead of the app
 * (`pm2 start npm -- start`). Pure checks on command lines and paths.
 */

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'busybox']);
const LAUNCHER_NAMES = new Set(['npm', 'npx', 'yarn', 'yarnpkg', 'pnpm', 'pnpx', 'tsx', 'env']);
/** The JavaScript entry points of the Node launchers, as pm2 or Node see them. */
const LAUNCHER_SCRIPTS =
  /(?:^|[\\/])(?:npm-cli|npx-cli|yarn|pnpm|pnpx)\.[cm]?js$|[\\/]tsx[\\/]dist[\\/]cli\.[cm]?js$/;

function baseName(path: string): string {
  return (path.split(/[\\/]/).pop() ?? '').replace(/\.(exe|cmd)$/i, '');
}

/**
 * The words of a command line. A process that set its title (npm sets `npm start`) shows one
 * space-padded string instead of its arguments.
 */
function words(argv: readonly string[]): string[] {
  const parts = argv.length === 1 ? (argv[0] ?? '').trim().split(/\s+/) : [...argv];
  return parts.filter((part) => part !== '');
}

/** True for a program name or path that is a launcher (`npm`, `/bin/sh`, `tsx`, ...). */
export function isLauncherScript(path: string | null): boolean {
  if (path === null || path === '') return false;
  const base = baseName(path);
  return SHELLS.has(base) || LAUNCHER_NAMES.has(base) || LAUNCHER_SCRIPTS.test(path);
}

/** True when a command line runs a launcher: a shell, a launcher by name, or Node running one's script. */
export function isLauncherCommand(argv: readonly string[]): boolean {
  const [program, script] = words(argv);
  if (program === undefined) return false;
  if (isLauncherScript(program)) return true;
  return /^node(js)?$/.test(baseName(program)) && script !== undefined && LAUNCHER_SCRIPTS.test(script);
}

/** True for the command line of a pm2 daemon (`PM2 v7.0.4: God Daemon (/root/.pm2)`). */
export function isDaemonCommand(argv: readonly string[]): boolean {
  return /^PM2 v\d+\.\d+\.\d+\S*: God Daemon/.test(argv.join(' ').trim());
}
