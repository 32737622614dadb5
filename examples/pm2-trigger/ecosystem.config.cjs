// pm2 start examples/pm2-trigger/ecosystem.config.cjs
// pm2 trigger pm2-trigger pm2-self:restart ["reason"]   or   npx pm2-self restart pm2-trigger
module.exports = {
  apps: [
    {
      name: 'pm2-trigger',
      script: 'app.mjs',
      cwd: __dirname,
      exec_mode: 'fork',
      autorestart: true,
      kill_timeout: 3000,
      env: {
        JOB_MS: process.env.JOB_MS || '1500',
      },
    },
  ],
};
