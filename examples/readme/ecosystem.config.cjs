// HUB_URL=ws://127.0.0.1:8080 pm2 start ecosystem.config.cjs
module.exports = {
  apps: [
    {
      name: 'sidecar',
      script: 'app.mjs',
      cwd: __dirname,
      // On stop, restart and reload pm2 sends SIGINT, then SIGKILL kill_timeout ms later (default
      // 1600). Running tasks must end within it (less a 300 ms margin): set it above the longest.
      kill_timeout: 10000,
      env: { HUB_URL: process.env.HUB_URL },
    },
  ],
};
