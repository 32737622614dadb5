import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real-pm2 suites each run a private daemon; two cores fit two at once.
    maxWorkers: 2,
  },
});
