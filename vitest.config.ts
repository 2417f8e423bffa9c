import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The machine has two cores; model tests are CPU-bound, so more workers only add contention.
    maxWorkers: 2,
  },
});
