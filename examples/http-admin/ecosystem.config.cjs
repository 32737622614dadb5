// ADMIN_TOKEN=... PORT=8787 pm2 start examples/http-admin/ecosystem.config.cjs
//
// pm2 keeps an app's environment in its process list (`pm2 env`, `pm2 jlist`): anyone who can talk
// to this pm2 daemon can read ADMIN_TOKEN. Run the daemon as a dedicated user.
module.exports = {
  apps: [
    {
      name: 'http-admin',
      script: 'server.mjs',
      cwd: __dirname,
      exec_mode: 'fork',
      autorestart: true,
      kill_timeout: 3000,
      env: {
        ADMIN_TOKEN: process.env.ADMIN_TOKEN,
        HOST: process.env.HOST || '127.0.0.1',
        PORT: process.env.PORT || '8787',
      },
    },
  ],
};
