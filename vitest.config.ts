import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Each test file gets its own SQLite file / PostgreSQL database (test/helpers), so files may run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'server', include: ['test/**/*.test.ts', 'bots/**/*.test.ts'] },
      },
      {
        // The console's component tests: React in happy-dom.
        extends: true,
        plugins: [react()],
        test: { name: 'web', include: ['web/test/**/*.test.tsx'], environment: 'happy-dom', setupFiles: ['web/test/setup.ts'] },
      },
    ],
  },
});
