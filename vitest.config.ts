import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Each file opens its own databases; two workers match the two cores CI has.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/engine-summary-reporter.ts'],
  },
});
