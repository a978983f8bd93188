/**
 * Configuration of the mock gateway: the types, the defaults, and `mockConfigFrom()`, which
 * validates plain JSON (a `--config` file or a scenario's `target.mock`) once, at the edge.
 * The mock depends on nothing else in src/, so validation is hand-written here instead of zod;
 * it follows the same rule: every problem is listed with its field path, unknown keys are errors
 * that suggest the closest known key.
 */

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
  },
} satisfies ResolvedMockConfig);

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export interface MockConfigProblem {
  /** Dotted field path, e.g. `llm.decodeMsPerToken` or `deployments[0].project`. */
  path: string;
  message: string;
}

/** Thrown by mockConfigFrom: the message names every bad field; `problems` has them one by one. */
export class MockConfigError extends Error {
  readonly problems: readonly MockConfigProblem[];
  constructor(problems: MockConfigProblem[]) {
    super(
      problems.length === 1
        ? `invalid mock config: ${fmt(problems[0])}`
        : `invalid mock config (${problems.length} problems):\n${problems.map((p) => `  ${fmt(p)}`).join('\n')}`,
    );
    this.name = 'MockConfigError';
    this.problems = problems;
  }
}

function fmt(p: MockConfigProblem): string {
  return `${p.path || '(root)'}: ${p.message}`;
}

// ---------------------------------------------------------------------------------------------
// validation helpers

type Obj = Record<string, unknown>;

class Checker {
  readonly problems: MockConfigProblem[] = [];

  fail(path: string, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }

  /** A plain object with only the known keys; unknown keys are reported with a suggestion. */
  object(v: unknown, path: string, keys: readonly string[]): Obj | undefined {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return this.fail(path, `expected an object, got ${describe(v)}`);
    }
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) {
        const near = closest(k, keys);
        this.fail(join(path, k), `unknown key${near ? ` (did you mean "${near}"?)` : ''}`);
      }
    }
    return v as Obj;
  }

  number(
    v: unknown,
    path: string,
    opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
  ): number | undefined {
    const kind = opts.integer ? 'an integer' : 'a number';
    const range =
      opts.min !== undefined && opts.max !== undefined
        ? ` in ${opts.min}..${opts.max}`
        : opts.min !== undefined
          ? opts.exclusiveMin
            ? ` > ${opts.min}`
            : ` >= ${opts.min}`
          : '';
    // A share is a fraction: say so, or `errorRate: 5` (meant as 5 %) reads as merely out of range.
    const share = opts.min === 0 && opts.max === 1 ? ' (a fraction: 0.05 is 5%)' : '';
    const bad = (): undefined => this.fail(path, `expected ${kind}${range}${share}, got ${describe(v)}`);
    if (typeof v !== 'number' || !Number.isFinite(v)) return bad();
    if (opts.integer && !Number.isInteger(v)) return bad();
    if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) return bad();
    if (opts.max !== undefined && v > opts.max) return bad();
    return v;
  }

  string(v: unknown, path: string, nonEmpty = true): string | undefined {
    if (typeof v !== 'string' || (nonEmpty && v.length === 0)) {
      return this.fail(path, `expected a${nonEmpty ? ' non-empty' : ''} string, got ${describe(v)}`);
    }
    return v;
  }

  boolean(v: unknown, path: string): boolean | undefined {
    if (typeof v !== 'boolean') return this.fail(path, `expected true or false, got ${describe(v)}`);
    return v;
  }

  stringArray(v: unknown, path: string): string[] | undefined {
    if (!Array.isArray(v)) return this.fail(path, `expected an array of strings, got ${describe(v)}`);
    const out: string[] = [];
    v.forEach((s, i) => {
      const r = this.string(s, `${path}[${i}]`);
      if (r !== undefined) out.push(r);
    });
    return out;
  }

  oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T | undefined {
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
      return this.fail(path, `expected one of ${options.map((o) => `"${o}"`).join(', ')}, got ${describe(v)}`);
    }
    return v as T;
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

function closest(key: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const k = key.toLowerCase();
  for (const o of options) {
    const d = levenshtein(k, o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

// ---------------------------------------------------------------------------------------------

const TOP_KEYS = ['deployments', 'knativeDomain', 'apiKeys', 'auth', 'cors', 'serviceTime', 'slots', 'seed', 'faults', 'llm'] as const;
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

/**
 * Validates plain JSON and applies the defaults. Throws a MockConfigError whose message names
 * every bad field (e.g. `invalid mock config: llm.decodeMsPerToken: expected a number >= 0, got "x"`).
 * `undefined` and `null` mean "all defaults".
 */
export function mockConfigFrom(raw: unknown): ResolvedMockConfig {
  const c = new Checker();
  const d = MOCK_DEFAULTS;
  const cfg: ResolvedMockConfig = structuredClone(d) as ResolvedMockConfig;
  if (raw === undefined || raw === null) return cfg;
  const o = c.object(raw, '', TOP_KEYS);
  if (!o) throw new MockConfigError(c.problems);

  if (o.deployments !== undefined) {
    if (!Array.isArray(o.deployments) || o.deployments.length === 0) {
      c.fail('deployments', `expected a non-empty array of {project, deployment, models?}, got ${describe(o.deployments)}`);
    } else {
      const seen = new Set<string>();
      cfg.deployments = [];
      o.deployments.forEach((dep, i) => {
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
        cfg.deployments.push({ project, deployment, models });
      });
    }
  }
  if (o.knativeDomain !== undefined) {
    const v = c.string(o.knativeDomain, 'knativeDomain');
    if (v !== undefined) cfg.knativeDomain = v.toLowerCase().replace(/^\.+|\.+$/g, '');
  }
  if (o.apiKeys !== undefined) {
    const v = c.stringArray(o.apiKeys, 'apiKeys');
    if (v !== undefined) cfg.apiKeys = v;
  }
  if (o.auth !== undefined) {
    const v = c.boolean(o.auth, 'auth');
    if (v !== undefined) cfg.auth = v;
  }
  if (o.cors !== undefined) {
    const x = c.object(o.cors, 'cors', ['allowedOrigins']);
    if (x?.allowedOrigins !== undefined) {
      const v = c.stringArray(x.allowedOrigins, 'cors.allowedOrigins');
      if (v !== undefined) cfg.cors.allowedOrigins = v;
    }
  }
  if (o.serviceTime !== undefined) {
    const v = serviceTimeFrom(c, o.serviceTime, 'serviceTime');
    if (v !== undefined) cfg.serviceTime = v;
  }
  if (o.slots !== undefined) {
    const v = c.number(o.slots, 'slots', { min: 1, integer: true });
    if (v !== undefined) cfg.slots = v;
  }
  if (o.seed !== undefined) {
    const v = c.number(o.seed, 'seed', { integer: true });
    if (v !== undefined) cfg.seed = v;
  }
  if (o.faults !== undefined) {
    const f = c.object(o.faults, 'faults', ['errorRate', 'routingDelayMs', 'stallAt']);
    if (f?.errorRate !== undefined) {
      const v = c.number(f.errorRate, 'faults.errorRate', { min: 0, max: 1 });
      if (v !== undefined) cfg.faults.errorRate = v;
    }
    if (f?.routingDelayMs !== undefined) {
      const r = c.object(f.routingDelayMs, 'faults.routingDelayMs', ['path', 'host']);
      for (const mode of ['path', 'host'] as const) {
        if (r?.[mode] === undefined) continue;
        const v = c.number(r[mode], `faults.routingDelayMs.${mode}`, { min: 0 });
        if (v !== undefined) cfg.faults.routingDelayMs[mode] = v;
      }
    }
    if (f?.stallAt !== undefined) {
      const s = c.object(f.stallAt, 'faults.stallAt', ['afterMs', 'forMs']);
      const afterMs = c.number(s?.afterMs, 'faults.stallAt.afterMs', { min: 0 });
      const forMs = c.number(s?.forMs, 'faults.stallAt.forMs', { min: 0 });
      if (afterMs !== undefined && forMs !== undefined) cfg.faults.stallAt = { afterMs, forMs };
    }
  }
  if (o.llm !== undefined) {
    const l = c.object(o.llm, 'llm', LLM_KEYS);
    if (l) {
      const num = (k: (typeof LLM_KEYS)[number], opts: Parameters<Checker['number']>[2]): number | undefined =>
        l[k] === undefined ? undefined : c.number(l[k], `llm.${k}`, opts);
      const set = <K extends keyof ResolvedMockLlmConfig>(k: K, v: ResolvedMockLlmConfig[K] | undefined): void => {
        if (v !== undefined) cfg.llm[k] = v;
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
      if (l.errorShape !== undefined) set('errorShape', c.oneOf(l.errorShape, 'llm.errorShape', ['error', 'object'] as const));
    }
  }
  if (c.problems.length > 0) throw new MockConfigError(c.problems);
  return cfg;
}
