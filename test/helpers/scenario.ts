import type { HttpClient, ResolvedLoad, ResolvedScenario, ResolvedTarget, ResolvedWorkload } from '../../src/scenario/types.js';

/**
 * The HTTP client the transport tests run with: vitest's `lean` project sets SERVEBENCH_TEST_CLIENT
 * so that the same suites check both clients (vitest.config.ts).
 */
export function testClient(): HttpClient {
  return process.env.SERVEBENCH_TEST_CLIENT === 'lean' ? 'lean' : 'undici';
}

/** A resolved scenario built in code, for tests that do not exercise the loader. */
export function load(over: Partial<ResolvedLoad> = {}): ResolvedLoad {
  return {
    type: 'constant',
    rps: 100,
    durationMs: 1000,
    warmupMs: 0,
    requests: 0,
    workers: 1,
    connections: 16,
    maxInFlight: 1000,
    onSaturation: 'drop',
    seed: 1,
    burstiness: 1,
    stages: [],
    concurrency: 0,
    thinkTimeMs: 0,
    ...over,
  };
}

export function target(over: Partial<ResolvedTarget> = {}): ResolvedTarget {
  return {
    url: 'http://127.0.0.1:1',
    embedded: false,
    project: 'test',
    deployment: 'fraud',
    routing: 'path',
    client: testClient(),
    knativeDomain: 'hopsworks.ai',
    apiKey: 'test-key-123456',
    tls: { insecure: false },
    timeoutMs: 5000,
    connectTimeoutMs: 2000,
    ...over,
  };
}

export function predictWorkload(over: Partial<ResolvedWorkload> = {}): ResolvedWorkload {
  return {
    name: 'fraud-predict',
    kind: 'predict',
    model: 'fraud',
    weight: 1,
    bodies: [{ inputs: [[1, 2]] }],
    bodiesSource: 'inline',
    stream: false,
    ...over,
  };
}

/** A streamed chat workload with synthetic prompts of fixed lengths. */
export function chatWorkload(over: Partial<ResolvedWorkload> & { outputTokens?: number } = {}): ResolvedWorkload {
  const { outputTokens = 8, ...rest } = over;
  return {
    name: 'chat',
    kind: 'chat',
    model: 'm',
    weight: 1,
    bodies: [],
    bodiesSource: 'inline',
    stream: true,
    prompt: { inputTokens: { type: 'fixed', value: 16 }, outputTokens: { type: 'fixed', value: outputTokens }, prefixTokens: 0 },
    ...rest,
  };
}

export function scenario(over: { target?: Partial<ResolvedTarget>; load?: Partial<ResolvedLoad>; workloads?: ResolvedWorkload[]; name?: string; slo?: ResolvedScenario['slo']; thresholds?: string[]; abortOnFail?: ResolvedScenario['abortOnFail'] } = {}): ResolvedScenario {
  return {
    name: over.name ?? 'test',
    file: '',
    target: target(over.target),
    workloads: over.workloads ?? [predictWorkload()],
    load: load(over.load),
    slo: over.slo ?? {},
    thresholds: over.thresholds ?? [],
    abortOnFail: over.abortOnFail ?? [],
  };
}
