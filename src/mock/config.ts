/**
 * Configuration of the mock gateway: the types, the defaults, and `mockConfigFrom()`, which
 * validates plain JSON (a `--config` file or a scenario's `target.mock`) once, at the edge.
 * The mock depends on nothing else in src/, so validation is hand-written here instead of zod;
 * it follows the same rule: every problem is listed with its field path, unknown keys are errors
 * that suggest the closest known key.
 */
import { Checker, describe, join, MockConfigError, type Obj } from './config-check.js';
import { EMBEDDING_DEFAULTS, embeddingInto, type MockEmbeddingConfig, type ResolvedMockEmbeddingConfig } from './embedding-config.js';

export type ServiceTimeConfig =
  | { type: 'fixed'; ms: number }
  | { type: 'uniform'; minMs: number; maxMs: number }
  | { type: 'lognormal'; medianMs: number; sigma: number };

export interface MockDeployment {
  project: string;
  deployment: string;
  /** Model names served; empty (the default) serves any model name. */
  models?: string[];
}

export interface MockLlmConfig {
  /** Prefill cost per input token. */
  prefillMsPerToken?: number;
  /** Decode step time with one active stream. */
  decodeMsPerToken?: number;
  /** Each decode step takes decodeMsPerToken * (1 + slowdown * (activeStreams - 1)). */
  decodeSlowdownPerStream?: number;
  /** Sequences in the running batch at once; more wait FIFO before prefill. */
  maxBatch?: number;
  /** Probability that a streamed chunk carries 2-3 tokens instead of one. */
  multiTokenChunkRate?: number;
  /**
   * The model's natural answer length (where it would emit EOS). Default: the request's
   * max_tokens, or 64 without one. Capped by max_tokens, raised to min_tokens; ignore_eos runs on
   * to max_tokens.
   */
  outputTokens?: number;
  /** Probability that a request (ignore_eos false) stops early at a random length >= min_tokens. */
  eosRate?: number;
  /** Emit an error event inside the 200 stream (or answer 500 unstreamed) after this many tokens. */
  errorAfterTokens?: number;
  /** vLLM error body: `{"error": {message, type, code}}` ('error') or `{"object": "error", ...}` ('object'). */
  errorShape?: 'error' | 'object';
  /** Exact timing (overrides the model): first content token this long after the request arrives. */
  firstTokenMs?: number;
  /** Exact timing (overrides the model): one token every interTokenMs after the first. */
  interTokenMs?: number;
  /** Prompt cache (prefix-cache.ts): KV blocks the LRU holds; 0 turns the cache off. */
  prefixCacheBlocks?: number;
  /** Tokens per cached block (vLLM's default block size is 16). */
  prefixCacheBlockTokens?: number;
}

export interface MockFaults {
  /** Share of predict-like and LLM calls answered 500 (0..1). */
  errorRate?: number;
  /** Extra latency added only to requests routed by that mode. */
  routingDelayMs?: { path?: number; host?: number };
  /** All responses (and stream chunks) are held during [afterMs, afterMs + forMs) from server start. */
  stallAt?: { afterMs: number; forMs: number };
}

/** Everything optional; `mockConfigFrom` / `resolveMockConfig` fill the defaults. */
export interface MockConfig {
  deployments?: MockDeployment[];
  knativeDomain?: string;
  apiKeys?: string[];
  /** false: no authorization header needed at all. */
  auth?: boolean;
  cors?: { allowedOrigins?: string[] };
  /** A number is shorthand for `{type: 'fixed', ms: n}`. */
  serviceTime?: ServiceTimeConfig | number;
  slots?: number;
  seed?: number;
  faults?: MockFaults;
  llm?: MockLlmConfig;
  /** `/v1/embeddings`: vector length and latency model (embedding-config.ts). */
  embedding?: MockEmbeddingConfig;
}

export interface ResolvedMockLlmConfig {
  prefillMsPerToken: number;
  decodeMsPerToken: number;
  decodeSlowdownPerStream: number;
  maxBatch: number;
  multiTokenChunkRate: number;
  outputTokens?: number;
  eosRate: number;
  errorAfterTokens?: number;
  errorShape: 'error' | 'object';
  firstTokenMs?: number;
  interTokenMs?: number;
  prefixCacheBlocks: number;
  prefixCacheBlockTokens: number;
}

/** The config with every default applied. Assignable to MockConfig. */
export interface ResolvedMockConfig {
  deployments: { project: string; deployment: string; models: string[] }[];
  knativeDomain: string;
  apiKeys: string[];
  auth: boolean;
  cors: { allowedOrigins: string[] };
  serviceTime: ServiceTimeConfig;
  slots: number;
  seed: number;
  faults: {
    errorRate: number;
    routingDelayMs: { path: number; host: number };
    stallAt?: { afterMs: number; forMs: number };
  };
  llm: ResolvedMockLlmConfig;
  embedding: ResolvedMockEmbeddingConfig;
}

export const MOCK_DEFAULTS: Readonly<ResolvedMockConfig> = deepFreeze({
  deployments: [{ project: 'test', deployment: 'fraud', models: [] }],
  knativeDomain: 'hopsworks.ai',
  apiKeys: [],
  auth: true,
  cors: { allowedOrigins: ['*'] },
  serviceTime: { type: 'fixed', ms: 1 },
  slots: 64,
  seed: 1,
  faults: { errorRate: 0, routingDelayMs: { path: 0, host: 0 } },
  llm: {
    prefillMsPerToken: 0.05,
    decodeMsPerToken: 10,
    decodeSlowdownPerStream: 0.02,
    maxBatch: 64,
    multiTokenChunkRate: 0,
    eosRate: 0,
    errorShape: 'error',
    // 16384 blocks of 16: 262,144 tokens of KV, an 8B model's on one large GPU.
    prefixCacheBlocks: 16384,
    prefixCacheBlockTokens: 16,
  },
  embedding: EMBEDDING_DEFAULTS,
} satisfies ResolvedMockConfig);

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

const TOP_KEYS = ['deployments', 'knativeDomain', 'apiKeys', 'auth', 'cors', 'serviceTime', 'slots', 'seed', 'faults', 'llm', 'embedding'] as const;
const LLM_KEYS = [
  'prefillMsPerToken',
  'decodeMsPerToken',
  'decodeSlowdownPerStream',
  'maxBatch',
  'multiTokenChunkRate',
  'outputTokens',
  'eosRate',
  'errorAfterTokens',
  'errorShape',
  'firstTokenMs',
  'interTokenMs',
  'prefixCacheBlocks',
  'prefixCacheBlockTokens',
] as const;

function serviceTimeFrom(c: Checker, v: unknown, path: string): ServiceTimeConfig | undefined {
  if (typeof v === 'number') {
    const ms = c.number(v, path, { min: 0 });
    return ms === undefined ? undefined : { type: 'fixed', ms };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return c.fail(path, `expected {type: "fixed"|"uniform"|"lognormal", ...} or a number of ms, got ${describe(v)}`);
  }
  const type = c.oneOf((v as Obj).type, join(path, 'type'), ['fixed', 'uniform', 'lognormal'] as const);
  if (type === 'fixed') {
    const o = c.object(v, path, ['type', 'ms']);
    const ms = c.number(o?.ms, join(path, 'ms'), { min: 0 });
    return ms === undefined ? undefined : { type, ms };
  }
  if (type === 'uniform') {
    const o = c.object(v, path, ['type', 'minMs', 'maxMs']);
    const minMs = c.number(o?.minMs, join(path, 'minMs'), { min: 0 });
    const maxMs = c.number(o?.maxMs, join(path, 'maxMs'), { min: 0 });
    if (minMs === undefined || maxMs === undefined) return undefined;
    if (maxMs < minMs) return c.fail(join(path, 'maxMs'), `must be >= minMs (${minMs}), got ${maxMs}`);
    return { type, minMs, maxMs };
  }
  if (type === 'lognormal') {
    const o = c.object(v, path, ['type', 'medianMs', 'sigma']);
    const medianMs = c.number(o?.medianMs, join(path, 'medianMs'), { min: 0 });
    const sigma = c.number(o?.sigma, join(path, 'sigma'), { min: 0 });
    return medianMs === undefined || sigma === undefined ? undefined : { type, medianMs, sigma };
  }
  return undefined;
}

function deploymentsFrom(c: Checker, v: unknown): ResolvedMockConfig['deployments'] | undefined {
  if (!Array.isArray(v) || v.length === 0) {
    return c.fail('deployments', `expected a non-empty array of {project, deployment, models?}, got ${describe(v)}`);
  }
  const seen = new Set<string>();
  const out: ResolvedMockConfig['deployments'] = [];
  v.forEach((dep, i) => {
    const p = `deployments[${i}]`;
    const x = c.object(dep, p, ['project', 'deployment', 'models']);
    if (!x) return;
    const project = c.string(x.project, `${p}.project`);
    const deployment = c.string(x.deployment, `${p}.deployment`);
    const models = x.models === undefined ? [] : c.stringArray(x.models, `${p}.models`);
    if (project === undefined || deployment === undefined || models === undefined) return;
    if (project.includes('/') || deployment.includes('/')) {
      c.fail(p, `project and deployment must not contain "/"`);
      return;
    }
    const key = `${project}/${deployment}`;
    if (seen.has(key)) c.fail(p, `duplicate deployment ${key}`);
    seen.add(key);
    out.push({ project, deployment, models });
  });
  return out;
}

function faultsInto(c: Checker, v: unknown, faults: ResolvedMockConfig['faults']): void {
  const f = c.object(v, 'faults', ['errorRate', 'routingDelayMs', 'stallAt']);
  if (f?.errorRate !== undefined) {
    const r = c.number(f.errorRate, 'faults.errorRate', { min: 0, max: 1 });
    if (r !== undefined) faults.errorRate = r;
  }
  if (f?.routingDelayMs !== undefined) {
    const r = c.object(f.routingDelayMs, 'faults.routingDelayMs', ['path', 'host']);
    for (const mode of ['path', 'host'] as const) {
      if (r?.[mode] === undefined) continue;
      const ms = c.number(r[mode], `faults.routingDelayMs.${mode}`, { min: 0 });
      if (ms !== undefined) faults.routingDelayMs[mode] = ms;
    }
  }
  if (f?.stallAt !== undefined) {
    const s = c.object(f.stallAt, 'faults.stallAt', ['afterMs', 'forMs']);
    const afterMs = c.number(s?.afterMs, 'faults.stallAt.afterMs', { min: 0 });
    const forMs = c.number(s?.forMs, 'faults.stallAt.forMs', { min: 0 });
    if (afterMs !== undefined && forMs !== undefined) faults.stallAt = { afterMs, forMs };
  }
}

function llmInto(c: Checker, v: unknown, llm: ResolvedMockLlmConfig): void {
  const l = c.object(v, 'llm', LLM_KEYS);
  if (!l) return;
  const num = (k: (typeof LLM_KEYS)[number], opts: Parameters<Checker['number']>[2]): number | undefined =>
    l[k] === undefined ? undefined : c.number(l[k], `llm.${k}`, opts);
  const set = <K extends keyof ResolvedMockLlmConfig>(k: K, x: ResolvedMockLlmConfig[K] | undefined): void => {
    if (x !== undefined) llm[k] = x;
  };
  set('prefillMsPerToken', num('prefillMsPerToken', { min: 0 }));
  set('decodeMsPerToken', num('decodeMsPerToken', { min: 0 }));
  set('decodeSlowdownPerStream', num('decodeSlowdownPerStream', { min: 0 }));
  set('maxBatch', num('maxBatch', { min: 1, integer: true }));
  set('multiTokenChunkRate', num('multiTokenChunkRate', { min: 0, max: 1 }));
  set('outputTokens', num('outputTokens', { min: 1, integer: true }));
  set('eosRate', num('eosRate', { min: 0, max: 1 }));
  set('errorAfterTokens', num('errorAfterTokens', { min: 0, integer: true }));
  set('firstTokenMs', num('firstTokenMs', { min: 0 }));
  set('interTokenMs', num('interTokenMs', { min: 0 }));
  set('prefixCacheBlocks', num('prefixCacheBlocks', { min: 0, integer: true }));
  set('prefixCacheBlockTokens', num('prefixCacheBlockTokens', { min: 1, integer: true }));
  if (l.errorShape !== undefined) set('errorShape', c.oneOf(l.errorShape, 'llm.errorShape', ['error', 'object'] as const));
}

/** Sets `cfg[key]` when the checked value is valid. */
function setIf<K extends keyof ResolvedMockConfig>(cfg: ResolvedMockConfig, key: K, v: ResolvedMockConfig[K] | undefined): void {
  if (v !== undefined) cfg[key] = v;
}

/**
 * Validates plain JSON and applies the defaults. Throws a MockConfigError whose message names
 * every bad field (e.g. `invalid mock config: llm.decodeMsPerToken: expected a number >= 0, got "x"`).
 * `undefined` and `null` mean "all defaults".
 */
export function mockConfigFrom(raw: unknown): ResolvedMockConfig {
  const c = new Checker();
  const cfg: ResolvedMockConfig = structuredClone(MOCK_DEFAULTS) as ResolvedMockConfig;
  if (raw === undefined || raw === null) return cfg;
  const o = c.object(raw, '', TOP_KEYS);
  if (!o) throw new MockConfigError(c.problems);

  if (o.deployments !== undefined) setIf(cfg, 'deployments', deploymentsFrom(c, o.deployments));
  if (o.knativeDomain !== undefined) {
    setIf(cfg, 'knativeDomain', c.string(o.knativeDomain, 'knativeDomain')?.toLowerCase().replace(/^\.+|\.+$/g, ''));
  }
  if (o.apiKeys !== undefined) setIf(cfg, 'apiKeys', c.stringArray(o.apiKeys, 'apiKeys'));
  if (o.auth !== undefined) setIf(cfg, 'auth', c.boolean(o.auth, 'auth'));
  if (o.cors !== undefined) {
    const x = c.object(o.cors, 'cors', ['allowedOrigins']);
    if (x?.allowedOrigins !== undefined) {
      const v = c.stringArray(x.allowedOrigins, 'cors.allowedOrigins');
      if (v !== undefined) cfg.cors.allowedOrigins = v;
    }
  }
  if (o.serviceTime !== undefined) setIf(cfg, 'serviceTime', serviceTimeFrom(c, o.serviceTime, 'serviceTime'));
  if (o.slots !== undefined) setIf(cfg, 'slots', c.number(o.slots, 'slots', { min: 1, integer: true }));
  if (o.seed !== undefined) setIf(cfg, 'seed', c.number(o.seed, 'seed', { integer: true }));
  if (o.faults !== undefined) faultsInto(c, o.faults, cfg.faults);
  if (o.llm !== undefined) llmInto(c, o.llm, cfg.llm);
  if (o.embedding !== undefined) embeddingInto(c, o.embedding, cfg.embedding);
  if (c.problems.length > 0) throw new MockConfigError(c.problems);
  return cfg;
}
