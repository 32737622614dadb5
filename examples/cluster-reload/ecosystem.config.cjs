// TASK_LOG=/tmp/tasks.log PORT=8788 pm2 start examples/cluster-reload/ecosystem.config.cjs
// pm2 reload cluster-reload
module.exports = {
  apps: [
    {
      name: 'cluster-reload',
      script: 'app.mjs',
      cwd: __dirname,
      exec_mode: 'cluster',
      instances: 2,
      // The old worker gets SIGINT, then SIGKILL 5 s later: pm2-self drains within that, minus a margin.
      kill_timeout: 5000,
      env: {
        TASK_LOG: process.env.TASK_LOG,
        PORT: process.env.PORT || '8788',
      },
    },
  ],
};
