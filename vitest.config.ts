import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Load tests measure timing: running files in parallel on a 2-core machine would distort them.
    fileParallelism: false,
    reporters: ['default'],
  },
});
