/**
 * The two ways a real-pm2 suite runs an app: with the @pm2/io module pm2 injects (it swallows
 * unhandled rejections and keeps a process alive for seconds), and with `pmx: false`, which hides
 * neither. `suffix` keeps the apps of both variants apart in one sandbox.
 */
export const PMX_VARIANTS = [
  { label: 'with @pm2/io', suffix: '', pmx: {} },
  { label: 'pmx: false', suffix: '-nopmx', pmx: { pmx: false } },
] as const;
