/**
 * The resolved scenario: what the rest of servebench trusts. It is produced once, at the edge,
 * by `loadScenario()` (load → validate → resolve) and never checked again downstream.
 * Every duration is in ms, every rate per second. Plain data only: it is posted to worker threads.
 */

export type Routing = 'path' | 'host';
/** The HTTP/1.1 client of the workers: undici's Pool, or servebench's own lean one (engine/h1.ts). */
export type HttpClient = 'undici' | 'lean';
export type WorkloadKind = 'predict' | 'classify' | 'regress' | 'infer' | 'chat' | 'completion' | 'embedding';
export type LoadType = 'constant' | 'poisson' | 'ramp' | 'concurrency' | 'trace';
/** Trace file formats of `load.type: trace` (docs/trace-replay.md). */
export type TraceFormat = 'mooncake' | 'azure' | 'servebench';
export type OnSaturation = 'drop' | 'queue';

/** A length distribution for synthetic prompts (token counts). */
export type Distribution =
  | { readonly type: 'fixed'; readonly value: number }
  | { readonly type: 'uniform'; readonly min: number; readonly max: number }
  | { readonly type: 'normal'; readonly mean: number; readonly stddev: number; readonly min: number; readonly max: number };

export interface ResolvedTls {
  /** Path of a PEM bundle to trust (a self-signed gateway certificate). */
  readonly caFile?: string;
  /** The PEM contents of caFile, read at resolve time so workers need no file access. */
  readonly ca?: string;
  readonly insecure: boolean;
}

/** Options of the built-in mock gateway (see src/mock). Only used when target.url is 'embedded'. */
export type MockOptions = Readonly<Record<string, unknown>>;

export interface ResolvedTarget {
  /** Base URL without trailing slash; for 'embedded' the coordinator replaces it with the mock's address. */
  readonly url: string;
  readonly embedded: boolean;
  readonly project: string;
  readonly deployment: string;
  readonly routing: Routing;
  readonly client: HttpClient;
  readonly knativeDomain: string;
  /** Never written to any output. Undefined means no authorization header. */
  readonly apiKey?: string;
  readonly tls: ResolvedTls;
  /** Whole-request timeout. */
  readonly timeoutMs: number;
  /** Streams: deadline for the first content token, from dispatch (unset: only timeoutMs applies). */
  readonly firstTokenTimeoutMs?: number;
  readonly connectTimeoutMs: number;
  readonly mock?: MockOptions;
  /** Deadline for the response headers (streams: the first content token); undefined = none. */
  readonly firstByteTimeoutMs?: number;
  /** Past this many bytes of one response the request fails as invalid_response; undefined = 16 MiB. */
  readonly maxResponseBytes?: number;
  /** Off when undefined. */
  readonly retry?: ResolvedRetry;
}

/** target.retry: which failures are tried again, how often, and how long to wait first. */
export interface ResolvedRetry {
  /** HTTP statuses and transport classes ('connect' | 'reset' | 'timeout') that are retried. */
  readonly on: ReadonlyArray<number | string>;
  /** Extra attempts after the first. */
  readonly max: number;
  /** Wait before retry k (1-based) is backoffMs * 2^(k-1). */
  readonly backoffMs: number;
}

export interface ResolvedPrompt {
  readonly inputTokens: Distribution;
  readonly outputTokens: Distribution;
  /** Shared prefix length in tokens prepended to every synthetic prompt (prefix-cache workloads). */
  readonly prefixTokens: number;
  /** Shared-prefix pools (`prompt.prefix`); `prefixTokens: n` is the same as pools 1, tokens n, share 1. */
  readonly prefix?: ResolvedPrefixPools;
}

/** `prompt.prefix`: each request starts with one of `pools` fixed prefixes of `tokens` tokens, with probability `share`. */
export interface ResolvedPrefixPools {
  readonly pools: number;
  readonly tokens: number;
  /** 0..1 */
  readonly share: number;
}

export interface ResolvedWorkload {
  readonly name: string;
  readonly kind: WorkloadKind;
  readonly model: string;
  readonly weight: number;
  /** predict/classify/regress/infer: the request bodies, cycled in order. Always at least one. */
  readonly bodies: readonly unknown[];
  /** Where the bodies came from, for messages: 'inline' or the JSONL path. */
  readonly bodiesSource: string;
  /** chat/completion only. */
  readonly stream: boolean;
  readonly prompt?: ResolvedPrompt;
  /** chat/completion: dataset file (JSONL of {prompt}|{messages}, or ShareGPT JSON). */
  readonly dataset?: string;
  readonly maxTokens?: number;
  readonly ignoreEos?: boolean;
  readonly minTokens?: number;
  readonly temperature?: number;
  readonly seed?: number;
  /** Extra top-level body fields (vLLM sampling options). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  readonly tokenizer?: string;
  /** Overrides target.timeoutMs for this workload. */
  readonly timeoutMs?: number;
  /** chat/completion streams: overrides target.firstTokenTimeoutMs for this workload. */
  readonly firstTokenTimeoutMs?: number;
  /** chat only: each arrival starts a conversation of several turns (engine/conversation.ts). */
  readonly conversation?: ResolvedConversation;
  /** embedding: inputs per request (1 sends `input` as a string, more as a list). */
  readonly batch?: number;
}

/** A chat workload's `conversation`: turns drawn uniformly from [turnsMin, turnsMax]. */
export interface ResolvedConversation {
  readonly turnsMin: number;
  readonly turnsMax: number;
  /** Between the end of a reply and the next turn's send. */
  readonly thinkTimeMs: number;
}

export interface RampStage {
  readonly durationMs: number;
  /** Rate at the end of the stage; the rate moves linearly from the previous stage's target. */
  readonly targetRps: number;
}

export interface ResolvedLoad {
  readonly type: LoadType;
  /** constant/poisson rate; for ramp, the starting rate. */
  readonly rps: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Stop after this many measured requests instead of after durationMs (0 = use the duration). */
  readonly requests: number;
  readonly workers: number;
  readonly connections: number;
  readonly maxInFlight: number;
  readonly onSaturation: OnSaturation;
  readonly seed: number;
  /** poisson only: 1 = Poisson; < 1 burstier; > 1 more regular (gamma shape). */
  readonly burstiness: number;
  readonly stages: readonly RampStage[];
  /** concurrency only: number of virtual users and think time between their requests. */
  readonly concurrency: number;
  readonly thinkTimeMs: number;
  /** trace only: the file replayed, one request per record at its own instant. */
  readonly trace?: ResolvedTrace;
}

/** `load.type: trace`: what validation read of the trace file (src/workload/trace-reader.ts). */
export interface ResolvedTrace {
  /** Absolute path of the trace file. */
  readonly file: string;
  /** The path as the scenario names it, for messages. */
  readonly shown: string;
  readonly format: TraceFormat;
  /** Time scale: 2 replays the trace twice as fast. */
  readonly speed: number;
  /** Requests (records) in the file. */
  readonly records: number;
  /** Time from the first record to the last, as written in the file (before `speed`). */
  readonly spanMs: number;
}

export interface ResolvedSlo {
  readonly ttftMs?: number;
  readonly tpotMs?: number;
  readonly itlMs?: number;
  readonly latencyMs?: number;
}

/** `compare:` in a scenario: the variants a run alternates between, in rounds (first = baseline). */
export interface ResolvedCompare {
  /** The scenario key the variants set, as a `--set` path (e.g. `target.routing`). */
  readonly key: string;
  readonly values: readonly unknown[];
  /** One short name per variant, unique, usable as a folder name. */
  readonly labels: readonly string[];
  /** Rounds in all (A B A B …), a multiple of the number of variants. */
  readonly rounds: number;
}

export interface ResolvedScenario {
  readonly name: string;
  /** Absolute path of the scenario file ('' when built in code). */
  readonly file: string;
  readonly target: ResolvedTarget;
  readonly workloads: readonly ResolvedWorkload[];
  readonly load: ResolvedLoad;
  readonly slo: ResolvedSlo;
  /** Threshold expressions, validated (src/metrics/thresholds.ts). */
  readonly thresholds: readonly string[];
  /** Set when the run compares variants of one key (see src/compare/rounds.ts). */
  readonly compare?: ResolvedCompare;
  /** Thresholds that stop the run once they fail, checked from `delayMs` after the measured start. */
  readonly abortOnFail: readonly { readonly expr: string; readonly delayMs: number }[];
  /** Only for `servebench sweep`: the ladder or search over rates or concurrencies. */
  readonly sweep?: ResolvedSweep;
  /** The server's own metrics, scraped or queried during the run (src/server-metrics). */
  readonly server?: ResolvedServer;
  /** `output:`; absent when nothing beyond the report set is asked for. */
  readonly output?: ResolvedOutput;
}

export interface ResolvedOutput {
  /** Write every request to requests.csv.gz (report/requests-file.ts). */
  readonly requests: boolean;
}

/** `server.metrics[]`: one Prometheus text endpoint scraped during the run (src/server-metrics). */
export interface ResolvedServerEndpoint {
  /** Full URL with its path, or 'embedded' (the embedded mock's /metrics). */
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Family or sample names to keep; empty keeps every series. */
  readonly select: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly apiKey?: string;
  readonly tls: ResolvedTls;
}

/** `server.prometheus`: range queries over the run's window against a Prometheus server's API. */
export interface ResolvedPrometheus {
  /** Base URL of the Prometheus server (the API is under /api/v1). */
  readonly url: string;
  /** Name → PromQL expression. */
  readonly queries: Readonly<Record<string, string>>;
  readonly stepMs: number;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly apiKey?: string;
  readonly tls: ResolvedTls;
}

export interface ResolvedServer {
  readonly metrics: readonly ResolvedServerEndpoint[];
  readonly prometheus?: ResolvedPrometheus;
}

/**
 * `servebench sweep`: each step runs the scenario with load.rps (or load.concurrency) set to one
 * value for stepDurationMs after warmupMs. `values` is the ladder (ladder mode); search mode
 * brackets then bisects between `from` and `to`.
 */
export interface ResolvedSweep {
  readonly mode: 'ladder' | 'search';
  readonly over: 'rate' | 'concurrency';
  /** Ladder: every value to run, ascending. Search: empty. */
  readonly values: readonly number[];
  readonly from: number;
  readonly to: number;
  readonly stepDurationMs: number;
  readonly warmupMs: number;
  /** Search stops when (fail − pass) / pass <= precision (a fraction). */
  readonly precision: number;
  /** A step is stable when its last windows agree within this fraction. */
  readonly stability: number;
  readonly maxRepeats: number;
  readonly maxSteps: number;
  /** Ladder: stop at the first step that fails `until` or saturates the server. */
  readonly stopEarly: boolean;
  /** Threshold expressions every passing step must meet. */
  readonly until: readonly string[];
}
