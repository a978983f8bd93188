/**
 * What a results.ndjson line must hold before `servebench report` (or merge) trusts it: a file
 * edited by hand or by another tool gets an error at its line, not a crash or a wrong report.
 * Objects are loose (a newer servebench may add fields); the fields the summary reads are checked.
 */
import * as z from 'zod';

const count = z.number().finite().nonnegative();
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'expected an encoded histogram (base64)' });
/** Error classes are keys of plain objects: a name like `constructor` would reach the prototype. */
const errorClass = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, { message: 'expected an error class like http_503 or timeout' })
  .refine((k) => !(k in Object.prototype), { message: 'is not an error class' });
const counts = z.record(errorClass, count);

const WorkloadInterval = z.looseObject({
  sent: count,
  ok: count,
  errors: counts,
  dropped: count,
  inFlight: count,
  outputTokens: count,
  inputTokens: count,
  sloMet: count,
  short: count,
  retries: count.optional(),
  cachedInputTokens: count.optional(),
  hist: z.record(z.string(), base64),
  tokens: z.looseObject({}).optional(),
  conversations: z
    .looseObject({ started: count, finished: count, turns: z.array(z.looseObject({ sent: count, ok: count, ttft: base64.optional(), latency: base64.optional() })) })
    .optional(),
});

const IntervalRecord = z.looseObject({
  type: z.literal('interval'),
  shard: z.string(),
  worker: z.number().int().nonnegative(),
  index: z.number().int().nonnegative(),
  workloads: z.array(WorkloadInterval),
  health: z.looseObject({ loopLagUs: base64.optional(), dispatchLagUs: base64.optional(), elu: z.number().finite() }),
  errorSamples: z.record(errorClass, z.string()).optional(),
});

const RunInfo = z.looseObject({
  schemaVersion: z.number().int(),
  scenario: z.looseObject({ name: z.string() }),
  target: z.looseObject({ url: z.string(), routing: z.string() }),
  load: z.looseObject({ type: z.string(), targetRps: count, durationMs: count, warmupMs: count, workers: z.number().int().positive() }),
  workloads: z.array(z.looseObject({ name: z.string(), kind: z.string() })),
  measureStartEpochMs: z.number().finite(),
  shard: z.string(),
});

const StartRecord = z.looseObject({ type: z.literal('start'), run: RunInfo });
const MergeRecord = z.looseObject({ type: z.literal('merge'), run: RunInfo, shardCount: z.number().int().positive(), shards: z.array(z.string()) });
const EndRecord = z.looseObject({
  type: z.literal('end'),
  shard: z.string(),
  measuredDurationMs: count,
  sendOverrunMs: count.optional(),
  interrupted: z.boolean(),
  cpuPercent: count,
  workerErrors: z.array(z.looseObject({ worker: z.number(), message: z.string() })),
});

// server-metrics hook: one scrape of a server's /metrics (src/server-metrics/types.ts).
const ServerRecord = z.looseObject({ type: z.literal('server'), source: z.string(), atEpochMs: z.number().finite(), ok: z.boolean(), series: z.array(z.looseObject({ name: z.string(), kind: z.enum(['gauge', 'counter', 'histogram']) })).optional() });

export const RunRecordSchema = z.discriminatedUnion('type', [StartRecord, IntervalRecord, EndRecord, MergeRecord, ServerRecord], {
  error: () => "expected a record with type 'start', 'interval', 'end', 'merge' or 'server'",
});

/** The first problem of a record as `field: message`, or null when it is valid. */
export function recordProblem(v: unknown): string | null {
  const r = RunRecordSchema.safeParse(v);
  if (r.success) return null;
  const first = r.error.issues[0];
  // A bad key of a record (an error class) nests its reason one level down.
  const iss = first.code === 'invalid_key' && first.issues.length > 0 ? { ...first.issues[0], path: first.path } : first;
  const path = iss.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const got = iss.code === 'invalid_type' ? ` (got ${JSON.stringify(pick(v, iss.path))?.slice(0, 40) ?? 'nothing'})` : '';
  return `${path || '(record)'}: ${iss.message}${got}`;
}

function pick(v: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = v;
  for (const k of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[k] : undefined;
  return cur;
}
