// pm2 start examples/ws-sidecar/ecosystem.config.cjs   (with HUB_URL set in the environment)
module.exports = {
  apps: [
    {
      name: 'ws-sidecar',
      script: 'sidecar.mjs',
      cwd: __dirname,
      exec_mode: 'fork',
      // pm2's defaults, spelled out: pm2-self exits with a code pm2 restarts after, and waits out
      // min_uptime first so a quick restart is never counted as unstable.
      autorestart: true,
      min_uptime: 1000,
      kill_timeout: 3000,
      env: {
        HUB_URL: process.env.HUB_URL,
      },
    },
  ],
};
