import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    globalSetup: ['test/temp-dir-setup.ts', 'test/postgres-setup.ts'],
    // Tests spawn real process trees and measure real stops; on a 2-core
    // machine two files at once is the most that keeps timings honest.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
