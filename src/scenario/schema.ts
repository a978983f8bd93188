/**
 * The zod schema of a scenario file: types, enums, ranges, strict keys and defaults that do not
 * depend on other fields. Rules that relate fields (kind-specific keys, load-type requirements,
 * exactly-one-of pairs) and everything that reads files live in resolve.ts, so that they run even
 * when zod has found problems elsewhere and every problem is listed at once.
 *
 * Leaves carry their own messages (`error:` and custom issues) so that the expectation names the
 * constraint: `expected a number > 0, got 'x'` rather than a bare type.
 */
import * as z from 'zod';
import { show, showTyped, typeName } from './messages.js';
import { bareDuration, parseDurationMs } from './units.js';
import { readPercent } from '../util/percent.js';
import { apiKeyProblem } from './api-key.js';
import type { HttpClient, LoadType, OnSaturation, Routing, TraceFormat, WorkloadKind } from './types.js';

export const ROUTINGS = ['path', 'host'] as const satisfies readonly Routing[];
export const HTTP_CLIENTS = ['undici', 'lean'] as const satisfies readonly HttpClient[];
export const KINDS = ['predict', 'classify', 'regress', 'infer', 'chat', 'completion', 'embedding'] as const satisfies readonly WorkloadKind[];
export const PREDICT_KINDS: readonly WorkloadKind[] = ['predict', 'classify', 'regress', 'infer'];
export const GENERATIVE_KINDS: readonly WorkloadKind[] = ['chat', 'completion'];
export const EMBEDDING_KINDS: readonly WorkloadKind[] = ['embedding'];
/** Upper bound of an embedding workload's `batch` (inputs per request). */
export const MAX_EMBEDDING_BATCH = 4096;
export const LOAD_TYPES = ['constant', 'poisson', 'ramp', 'concurrency', 'trace'] as const satisfies readonly LoadType[];
export const TRACE_FORMATS = ['mooncake', 'azure', 'servebench'] as const satisfies readonly TraceFormat[];
export const ON_SATURATION = ['drop', 'queue'] as const satisfies readonly OnSaturation[];

/** Workload keys that only one family of kinds accepts. */
export const PREDICT_KEYS = ['body', 'bodies'] as const;
export const GENERATIVE_KEYS = ['stream', 'prompt', 'dataset', 'maxTokens', 'ignoreEos', 'minTokens', 'temperature', 'seed', 'extraBody', 'tokenizer', 'firstTokenTimeout'] as const;

export const DEFAULTS = {
  project: 'test',
  routing: 'path',
  client: 'undici',
  knativeDomain: 'hopsworks.ai',
  timeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  /** Cap on the bytes read of one response (stream or not); past it the request fails. */
  maxResponseBytes: 16 * 1024 * 1024,
  weight: 1,
  stream: true,
  prefixTokens: 0,
  loadType: 'constant',
  durationMs: 30_000,
  warmupMs: 0,
  requests: 0,
  workers: 1,
  connections: 64,
  maxInFlight: 1000,
  onSaturation: 'drop',
  seed: 1,
  burstiness: 1,
  thinkTimeMs: 0,
  delayAbortEvalMs: 0,
} as const;

export const MAX_WORKERS = 64;
/** Turns of one conversation at most: each turn resends the whole history. */
export const MAX_TURNS = 100;

export function expected(phrase: string, v: unknown, typed = false): string {
  return `expected ${phrase}, got ${typed ? showTyped(v) : show(v)}`;
}

function num(phrase: string, ok: (n: number) => boolean, bare = false) {
  return z
    .number({ error: (iss) => expected(phrase, iss.input, bare) })
    .superRefine((n, ctx) => {
      if (!ok(n)) ctx.addIssue({ code: 'custom', message: expected(phrase, n) });
    });
}

const positive = () => num('a number > 0', (n) => n > 0);
const nonNegative = () => num('a number >= 0', (n) => n >= 0);

function int(min?: number, max?: number) {
  const phrase =
    min !== undefined && max !== undefined ? `an integer from ${min} to ${max}` : min !== undefined ? `an integer >= ${min}` : 'an integer';
  return num(
    phrase,
    (n) => Number.isSafeInteger(n) && (min === undefined || n >= min) && (max === undefined || n <= max),
    min === undefined && max === undefined,
  );
}

const text = () =>
  z
    .string({ error: (iss) => expected('a string', iss.input, true) })
    .superRefine((s, ctx) => {
      if (s.length === 0) ctx.addIssue({ code: 'custom', message: `expected a non-empty string, got ''` });
    });

const NAME = /^[A-Za-z0-9._-]+$/;
const NAME_PHRASE = `a name of letters, digits, '.', '_' and '-'`;
const scenarioName = () =>
  z
    .string({ error: (iss) => expected(NAME_PHRASE, iss.input) })
    .superRefine((s, ctx) => {
      if (!NAME.test(s)) ctx.addIssue({ code: 'custom', message: expected(NAME_PHRASE, s) });
    });

/** The secret: messages name its type, never its value. */
const apiKey = () =>
  z
    .string({ error: (iss) => `expected a string, got ${typeName(iss.input)}` })
    .superRefine((s, ctx) => {
      if (s.length === 0) ctx.addIssue({ code: 'custom', message: 'expected a non-empty string' });
      const bad = apiKeyProblem(s);
      if (bad) ctx.addIssue({ code: 'custom', message: bad });
    });

const DURATION_PHRASE = 'a duration like 250ms, 30s or 2m';

/** A duration needs its unit (units.ts): `duration: 60` would pass a CI gate on a 60 ms run. */
function duration(opts: { positive?: boolean } = {}) {
  return z.unknown().transform((v, ctx) => {
    const bare = bareDuration(v);
    if (bare !== undefined) {
      ctx.addIssue({ code: 'custom', message: `${expected(DURATION_PHRASE, v)}: a bare number has no unit; write ${bare}ms or ${bare}s` });
      return z.NEVER;
    }
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDurationMs(v) : undefined;
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: expected(DURATION_PHRASE, v) });
      return z.NEVER;
    }
    if (opts.positive && ms <= 0) {
      ctx.addIssue({ code: 'custom', message: expected('a duration > 0', v) });
      return z.NEVER;
    }
    return ms;
  });
}

const URL_PHRASE = `'embedded' or http(s)://host[:port] with no path`;

/** 'embedded' or an origin; the path is added per request by the routing mode. */
function checkUrl(s: string): boolean {
  if (s === 'embedded') return true;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.pathname === '/' && u.search === '' && u.hash === '' && !/[?#]$/.test(s);
}

const url = () =>
  z
    .string({ error: (iss) => expected(URL_PHRASE, iss.input) })
    .superRefine((s, ctx) => {
      if (!checkUrl(s)) ctx.addIssue({ code: 'custom', message: expected(URL_PHRASE, s) });
    });

const freeObject = () => z.record(z.string(), z.unknown(), { error: (iss) => expected('a mapping', iss.input, true) });

const Tls = z.strictObject({
  caFile: text().optional(),
  insecure: z.boolean().default(false),
});

/** A retry trigger: an HTTP status (400..599) or a transport error class. */
export const RETRY_CLASSES = ['connect', 'reset', 'timeout'] as const;
const RETRY_ON_PHRASE = `an HTTP status from 400 to 599 or one of ${RETRY_CLASSES.join(' | ')}`;
const retryOn = () =>
  z.unknown().superRefine((v, ctx) => {
    const ok = (typeof v === 'number' && Number.isInteger(v) && v >= 400 && v <= 599) || (RETRY_CLASSES as readonly unknown[]).includes(v);
    if (!ok) ctx.addIssue({ code: 'custom', message: expected(RETRY_ON_PHRASE, v) });
  }) as unknown as z.ZodType<number | (typeof RETRY_CLASSES)[number]>;

const Retry = z.strictObject({
  on: z.array(retryOn(), { error: (iss) => expected('a list', iss.input, true) }).min(1, { error: 'expected at least one status or error class' }),
  max: int(1, 10).default(2),
  backoff: duration().default(100),
});

const Target = z.strictObject({
  url: url(),
  project: text().default(DEFAULTS.project),
  deployment: text(),
  routing: z.enum(ROUTINGS).default(DEFAULTS.routing),
  client: z.enum(HTTP_CLIENTS).default(DEFAULTS.client),
  knativeDomain: text().default(DEFAULTS.knativeDomain),
  apiKey: apiKey().optional(),
  apiKeyFile: text().optional(),
  tls: Tls.default({ insecure: false }),
  timeout: duration({ positive: true }).default(DEFAULTS.timeoutMs),
  connectTimeout: duration({ positive: true }).default(DEFAULTS.connectTimeoutMs),
  firstTokenTimeout: duration({ positive: true }).optional(),
  mock: freeObject().optional(),
  firstByteTimeout: duration({ positive: true }).optional(),
  maxResponseBytes: int(1024).optional(),
  retry: Retry.optional(),
});

/** `{mean, stddev, min?, max?}` (normal) or `{min, max}` (uniform); which keys go together is checked in resolve.ts. */
const DistributionObject = z.strictObject({
  mean: positive().optional(),
  stddev: nonNegative().optional(),
  min: int(1).optional(),
  max: int(1).optional(),
});

const TOKENS_PHRASE = 'an integer >= 1, {mean, stddev} or {min, max}';
const tokenLength = () => z.union([int(1), DistributionObject], { error: (iss) => expected(TOKENS_PHRASE, iss.input) });

/** `share: 80%` of a prefix pool: a percentage from 0% to 100% (a bare number is refused, as for every share). */
function poolShare() {
  return z.unknown().transform((v, ctx) => {
    const r = readPercent(v);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: `${expected('a percentage from 0% to 100%', v)}${typeof v === 'number' ? `: ${r.hint}` : ''}` });
      return z.NEVER;
    }
    if (r.fraction > 1) {
      ctx.addIssue({ code: 'custom', message: expected('a percentage from 0% to 100%', v) });
      return z.NEVER;
    }
    return r.fraction;
  });
}

/** `prompt.prefix`: shared-prefix pools (src/workload/prefix-pools.ts); bounds that relate the keys are in resolve.ts. */
export const PREFIX_MAX_POOLS = 4096;
const PrefixPools = z.strictObject({
  pools: int(1, PREFIX_MAX_POOLS).default(1),
  tokens: int(1),
  share: poolShare().default(1),
});

const Prompt = z.strictObject({
  inputTokens: tokenLength(),
  // required for chat/completion (resolve.ts); an embedding generates nothing
  outputTokens: tokenLength().optional(),
  prefixTokens: int(0).default(DEFAULTS.prefixTokens),
  prefix: PrefixPools.optional(),
});

/** `turns: 3` or `{min, max}` (min <= max checked in resolve.ts), `thinkTime` between a reply and the next turn. */
const Conversation = z.strictObject({
  turns: z.union([int(1, MAX_TURNS), z.strictObject({ min: int(1, MAX_TURNS), max: int(1, MAX_TURNS) })], {
    error: (iss) => expected(`an integer from 1 to ${MAX_TURNS} or {min, max}`, iss.input),
  }),
  thinkTime: duration().default(0),
});

const Workload = z.strictObject({
  name: text(),
  kind: z.enum(KINDS),
  model: text(),
  weight: positive().default(DEFAULTS.weight),
  // predict, classify, regress, infer
  body: freeObject().optional(),
  bodies: text().optional(),
  // chat, completion
  stream: z.boolean().optional(),
  prompt: Prompt.optional(),
  dataset: text().optional(),
  maxTokens: int(1).optional(),
  ignoreEos: z.boolean().optional(),
  minTokens: int(0).optional(),
  temperature: nonNegative().optional(),
  seed: int().optional(),
  extraBody: freeObject().optional(),
  tokenizer: text().optional(),
  // chat only: each arrival starts a conversation of several turns (engine/conversation.ts)
  conversation: Conversation.optional(),
  // embedding
  batch: int(1, MAX_EMBEDDING_BATCH).optional(),
  // deadlines: any kind may set timeout; firstTokenTimeout applies to chat/completion streams
  timeout: duration({ positive: true }).optional(),
  firstTokenTimeout: duration({ positive: true }).optional(),
});

const Stage = z.strictObject({
  duration: duration({ positive: true }),
  target: nonNegative(),
});

const Load = z.strictObject({
  type: z.enum(LOAD_TYPES).default(DEFAULTS.loadType),
  // The value range depends on the type (> 0, or >= 0 for a ramp's start): checked in resolve.ts.
  rps: z.number({ error: (iss) => expected('a number > 0', iss.input) }).optional(),
  duration: duration({ positive: true }).optional(),
  warmup: duration().default(DEFAULTS.warmupMs),
  requests: int(0).default(DEFAULTS.requests),
  workers: int(1, MAX_WORKERS).default(DEFAULTS.workers),
  connections: int(1).default(DEFAULTS.connections),
  maxInFlight: int(1).default(DEFAULTS.maxInFlight),
  onSaturation: z.enum(ON_SATURATION).default(DEFAULTS.onSaturation),
  seed: int().default(DEFAULTS.seed),
  burstiness: positive().optional(),
  stages: z.array(Stage).min(1, { error: 'expected at least one stage' }).optional(),
  concurrency: int(1).optional(),
  thinkTime: duration().optional(),
  // trace only (checked in resolve.ts): the file, its format, and the time scale.
  file: z.string({ error: (iss) => expected('a file path', iss.input) }).min(1, { error: 'expected a file path' }).optional(),
  format: z.enum(TRACE_FORMATS).optional(),
  speed: positive().optional(),
});

const Slo = z.strictObject({
  ttft: duration({ positive: true }).optional(),
  tpot: duration({ positive: true }).optional(),
  itl: duration({ positive: true }).optional(),
  latency: duration({ positive: true }).optional(),
});

/**
 * `compare`: run the scenario alternately under two or more variants of one key, in rounds.
 * `routing: [path, host]` is short for `set: {target.routing: [path, host]}`. Which of the two is
 * given, and that `set` names exactly one key, is checked in resolve.ts.
 */
const Compare = z.strictObject({
  routing: z.array(z.enum(ROUTINGS)).min(2, { error: 'expected at least two routing modes' }).optional(),
  set: z.record(z.string(), z.array(z.unknown()).min(2, { error: 'expected a list of at least two values' }), { error: (iss) => expected('a mapping of one key to a list of values', iss.input, true) }).optional(),
  rounds: int(2).default(6),
});

export const SWEEP_MODES = ['ladder', 'search'] as const;
export const SWEEP_OVER = ['rate', 'concurrency'] as const;
export const SWEEP_SPACINGS = ['linear', 'geometric'] as const;
export const SWEEP_DEFAULTS = { stepDurationMs: 10_000, warmupMs: 2_000, precision: 0.05, stability: 0.1, maxRepeats: 2, maxSteps: 20 } as const;

const FRACTION_PHRASE = 'a percentage like 5%';

/** `5%` → 0.05, a share in (0, 1). A bare number is refused (util/percent.ts): 5 is not 5 %. */
function fraction() {
  return z.unknown().transform((v, ctx) => {
    const r = readPercent(v);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: `${expected(FRACTION_PHRASE, v)}${typeof v === 'number' ? `: ${r.hint}` : ''}` });
      return z.NEVER;
    }
    if (!(r.fraction > 0 && r.fraction < 1)) {
      ctx.addIssue({ code: 'custom', message: expected('a percentage between 0% and 100%', v) });
      return z.NEVER;
    }
    return r.fraction;
  });
}

/** `sweep:` of `servebench sweep` (capacity planning); which keys go together is checked in sweep.ts. */
const Sweep = z.strictObject({
  mode: z.enum(SWEEP_MODES).default('ladder'),
  over: z.enum(SWEEP_OVER).optional(),
  rates: z.array(positive()).min(1, { error: 'expected at least one rate' }).optional(),
  concurrency: z.array(int(1)).min(1, { error: 'expected at least one concurrency' }).optional(),
  from: positive().optional(),
  to: positive().optional(),
  steps: int(2, 100).optional(),
  spacing: z.enum(SWEEP_SPACINGS).default('linear'),
  stepDuration: duration({ positive: true }).default(SWEEP_DEFAULTS.stepDurationMs),
  warmup: duration().default(SWEEP_DEFAULTS.warmupMs),
  precision: fraction().default(SWEEP_DEFAULTS.precision),
  stability: fraction().default(SWEEP_DEFAULTS.stability),
  maxRepeats: int(0, 10).default(SWEEP_DEFAULTS.maxRepeats),
  maxSteps: int(2, 100).default(SWEEP_DEFAULTS.maxSteps),
  stopEarly: z.boolean().default(true),
  until: z.array(text()).default([]),
});

/** k6's long form: stop the run early once the threshold fails (after `delayAbortEval`). */
// server-metrics hook: the `server:` section (resolved in server-resolve.ts).
const METRICS_URL_PHRASE = `'embedded' or an http(s) URL with its path, like http://10.0.0.5:8000/metrics`;
const metricsUrl = () =>
  z.string({ error: (iss) => expected(METRICS_URL_PHRASE, iss.input) }).superRefine((s, ctx) => {
    let ok = s === 'embedded';
    try {
      ok ||= ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      /* not a URL */
    }
    if (!ok) ctx.addIssue({ code: 'custom', message: expected(METRICS_URL_PHRASE, s) });
  });
const serverHttp = {
  timeout: duration({ positive: true }).optional(),
  headers: z.record(z.string(), z.string(), { error: (iss) => expected('a mapping of header names to strings', iss.input, true) }).optional(),
  apiKey: apiKey().optional(),
  tls: z.strictObject({ insecure: z.boolean().default(false) }).optional(),
};
const Server = z.strictObject({
  metrics: z
    .array(z.strictObject({ url: metricsUrl(), interval: duration({ positive: true }).default(1000), select: z.array(text()).optional(), ...serverHttp }), {
      error: (iss) => expected('a list of endpoints', iss.input, true),
    })
    .default([]),
  prometheus: z
    .strictObject({
      url: metricsUrl(),
      queries: z.record(z.string(), text(), { error: (iss) => expected('a mapping of names to PromQL queries', iss.input, true) }),
      step: duration({ positive: true }).default(1000),
      ...serverHttp,
    })
    .optional(),
});

const Threshold = z.strictObject({
  expr: text(),
  abortOnFail: z.boolean().default(false),
  delayAbortEval: duration().default(DEFAULTS.delayAbortEvalMs),
});

/** `output:` what a run writes beyond its report set. */
const Output = z.strictObject({
  requests: z.boolean().default(false),
});

export const ScenarioSchema = z.strictObject({
  name: scenarioName(),
  target: Target,
  workloads: z.array(Workload).min(1, { error: 'expected at least one workload' }),
  load: Load,
  slo: Slo.default({}),
  thresholds: z.array(z.union([text(), Threshold], { error: (iss) => expected("an expression like 'latency.p99 < 250ms' or { expr, abortOnFail, delayAbortEval }", iss.input, true) })).default([]),
  compare: Compare.optional(),
  sweep: Sweep.optional(),
  server: Server.optional(),
  output: Output.optional(),
});

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type ScenarioParsed = z.output<typeof ScenarioSchema>;
export type WorkloadParsed = ScenarioParsed['workloads'][number];
export type TokenLengthParsed = z.output<ReturnType<typeof tokenLength>>;

/** Messages for the issues zod raises itself (object/list/boolean types, enums). */
export const issueMessages: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return expected(typePhraseOf(iss.expected), iss.input, true);
    case 'invalid_value':
      return expected(`one of ${iss.values.map(String).join(' | ')}`, iss.input);
    default:
      return undefined;
  }
};

function typePhraseOf(t: string): string {
  return t === 'object' || t === 'record' ? 'a mapping' : t === 'array' ? 'a list' : t === 'boolean' ? 'a boolean' : `a ${t}`;
}

// ---------------------------------------------------------------------------------------------
// Schema introspection: which keys an object at a path accepts (for "did you mean"), and what kind
// of leaf a path holds (so `${VAR}` can fill a number). zod 4 keeps this in `_zod.def`.

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly shape?: Readonly<Record<string, z.ZodType>>;
}

function def(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** Through optional/default/pipe wrappers to the schema that decides the value's shape. */
function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const d = def(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

function step(s: z.ZodType, seg: string | number): z.ZodType | undefined {
  const d = def(unwrap(s));
  if (d.type === 'object' && typeof seg === 'string') return d.shape && Object.hasOwn(d.shape, seg) ? d.shape[seg] : undefined;
  if (d.type === 'array' && typeof seg === 'number') return d.element;
  if (d.type === 'union') {
    for (const o of d.options ?? []) {
      const r = step(o, seg);
      if (r) return r;
    }
  }
  return undefined;
}

/** The schemas a path may hold (several inside a union); empty when the path is unknown or free-form. */
function schemasAt(path: readonly (string | number)[]): z.ZodType[] {
  let cur: z.ZodType | undefined = ScenarioSchema;
  for (const seg of path) {
    if (!cur) return [];
    cur = step(cur, seg);
  }
  if (!cur) return [];
  const u = unwrap(cur);
  const d = def(u);
  return d.type === 'union' ? (d.options ?? []).map(unwrap) : [u];
}

/** The keys the object at path accepts, in schema order. */
export function keysAt(path: readonly (string | number)[]): string[] {
  for (const s of schemasAt(path)) {
    const d = def(s);
    if (d.type === 'object' && d.shape) return Object.keys(d.shape);
  }
  return [];
}

/** The scalar types (number/boolean) the leaf at path accepts, for typing `${VAR}` values. */
export function scalarTypesAt(path: readonly (string | number)[]): Set<string> {
  return new Set(schemasAt(path).map((s) => def(s).type));
}
