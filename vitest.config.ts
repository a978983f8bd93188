import { defineConfig } from 'vitest/config';

/**
 * The suites that exercise the transport end to end. The `lean` project runs them again with
 * target.client: lean (test/helpers/scenario.ts reads SERVEBENCH_TEST_CLIENT), so both HTTP
 * clients meet the same faults, streams, retries, TLS cases and timing checks.
 */
const TRANSPORT_SUITES = ['run', 'faults', 'llm-run', 'retry', 'tls', 'accuracy'].map((f) => `test/integration/${f}.test.ts`);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Load tests measure timing: running files in parallel on a 2-core machine would distort them.
    fileParallelism: false,
    // Worker threads load dist/: rebuild it first when src/ changed, so a test never runs stale code.
    globalSetup: ['test/helpers/build-dist.ts'],
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'lean', include: TRANSPORT_SUITES, env: { SERVEBENCH_TEST_CLIENT: 'lean' } } },
    ],
  },
});
