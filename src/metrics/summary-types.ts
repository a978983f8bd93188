/**
 * The shape of summary.json: what buildSummary (summary.ts) produces and every reader (thresholds,
 * report writers, compare, sweep) consumes. Types only, so readers need not
 * import the builder.
 */
import type { LatencyHeatmap } from './heatmap.js';
import type { Stats } from './hdr.js';
import type { GeneratorCause } from './diagnosis.js';
import type { WorkerHealth } from './health.js';
import type { EndRecord, MetricName, RunInfo } from './records.js';
import type { MergeInfo } from './merge.js';
import type { TokenCountsSummary } from './tokens.js';
import type { ConversationSummary } from './conversations.js';
export type { ConversationSummary, TurnSummary } from './conversations.js';
import type { ServerSummary } from '../server-metrics/types.js';

export interface MetricSummary extends Stats {
  unit: 'ms' | 'tokens';
  /** The whole histogram, compressed base64 (µs for time metrics). */
  hdr: string;
}

export interface Totals {
  scheduled: number;
  sent: number;
  completed: number;
  ok: number;
  errors: number;
  dropped: number;
  outputTokens: number;
  inputTokens: number;
  /** Sent but without an outcome: still in flight when the run was cut off (sent = ok + errors + unfinished). */
  unfinished: number;
  /** Extra attempts made by target.retry (not in `sent`: a request counts once, by its final outcome). */
  retries: number;
  /** Input tokens the server's prefix cache held (usage.prompt_tokens_details.cached_tokens); absent in older summaries. */
  cachedInputTokens?: number;
}

export interface WorkloadSummary {
  name: string;
  kind: string;
  model: string;
  targetRps: number;
  achievedRps: number;
  totals: Totals;
  errors: Record<string, number>;
  metrics: Partial<Record<MetricName, MetricSummary>>;
  goodput: { ratePerS: number; sloMet: number; attainment: number } | null;
  shortOutputs: number;
  outputTokensPerS: number;
  /** Embedding workloads: input tokens embedded per second (their throughput; they generate none). */
  inputTokensPerS?: number;
  /** Generative workloads: where token counts came from, usage-vs-tokenizer divergence, short outputs by reason, timeouts by deadline. */
  tokenCounts?: TokenCountsSummary;
  /** `conversation` workloads: conversations started and finished, and metrics by turn index. */
  conversations?: ConversationSummary;
  /** cachedInputTokens / inputTokens (0..1), when the server reported cached tokens. */
  cacheHitRatio?: number;
}

export interface TimeseriesRow {
  second: number;
  workload: string;
  sent: number;
  ok: number;
  errors: number;
  dropped: number;
  inFlight: number;
  rps: number;
  targetRps: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  ttftP50Ms: number;
  tokensPerS: number;
}

export interface ThresholdResult {
  expr: string;
  ok: boolean;
  value: number | null;
  message?: string;
}

export interface Summary {
  schemaVersion: number;
  servebenchVersion: string;
  scenario: { name: string; file: string };
  target: RunInfo['target'];
  /** A `compare:` run: what its rounds alternated (absent otherwise). */
  variants?: RunInfo['variants'];
  startedAt: string;
  durationS: number;
  interrupted: boolean;
  /** Why the run stopped early (an abortOnFail threshold), when it did. */
  stopReason?: string;
  shards: string[];
  load: RunInfo['load'] & { targetRps: number; achievedRps: number };
  totals: Totals;
  /** cachedInputTokens / inputTokens of the whole run (0..1), when the server reported cached tokens. */
  cacheHitRatio?: number;
  errors: Record<string, number>;
  errorSamples: Record<string, string>;
  metrics: Partial<Record<MetricName, MetricSummary>>;
  workloads: WorkloadSummary[];
  slo: RunInfo['slo'];
  thresholds: ThresholdResult[];
  generator: {
    saturated: boolean;
    warnings: string[];
    eventLoopLagMs: Stats;
    dispatchLagMs: Stats;
    scheduleLagP99Ms: number;
    cpuPercent: number;
    maxEventLoopUtilization: number;
    workerErrors: EndRecord['workerErrors'];
    /** Each worker's own event-loop lag, utilization and thread CPU (the merged figures above can hide one busy worker). */
    workers?: WorkerHealth[];
    /** What made sends late, in the order of `warnings` (only generatorBusy and startUp set `saturated`). */
    causes?: GeneratorCause[];
    /** The busiest worker thread's own CPU, percent of one core over the run (Linux only). */
    threadCpuPercent?: number;
    /** Most requests one worker had in flight at the close of a second (streams it followed, for a streamed workload); absent in older summaries. */
    peakInFlightPerWorker?: number;
    /** The share of the run the busiest-waiting worker thread spent ready to run but without a CPU, percent (Linux only). */
    runQueuePercent?: number;
    /** dispatch() → on a connection, over measured requests. */
    connectionWaitMs?: Stats;
    /** Slots that waited for maxInFlight (onSaturation: queue): intended → dispatch. */
    queueWaitMs?: Stats;
    /** The plan's own count of measured slots, against which the offered rate is judged. */
    plannedSlots?: number;
    /** The bound on scheduleLag p99 above which the run counts as saturated. */
    scheduleLagBoundMs?: number;
    /** Facts about the load model a reader must know to read the figures (closed loop: hidden queueing). */
    notes?: string[];
    /** Whether node ran with --single-threaded-gc, as the servebench command starts it (absent: not recorded). */
    singleThreadedGc?: boolean;
  };
  timeseries: TimeseriesRow[];
  /** Completions per second per latency band, per workload (report.html's heatmap). */
  heatmaps?: LatencyHeatmap[];
  /** Set on a run built by `servebench merge`: its shards, and which are missing when partial. */
  merge?: MergeInfo;
  /** server-metrics hook: the server's own series over the run (scenario `server:`). */
  server?: ServerSummary;
}
