import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'bots/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Each test file gets its own SQLite file / PostgreSQL database (test/helpers), so files may run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
