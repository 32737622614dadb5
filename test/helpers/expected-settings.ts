/** pm2's restart settings when an app configures none (God.js / constants.js defaults), as read back. */
export const PM2_DEFAULT_SETTINGS = {
  autorestart: true,
  stopExitCodes: [] as number[],
  minUptimeMs: 1000,
  maxRestarts: 16,
  killTimeoutMs: 1600,
  restartDelayMs: 0,
  expBackoffRestartDelayMs: null,
  shutdownWithMessage: false,
  waitReady: false,
} as const;
