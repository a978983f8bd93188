/**
 * The records a run streams to results.ndjson, one JSON object a line. They hold everything a
 * report needs (counters and encoded histograms per interval, per worker, per workload), so that
 * `servebench report` rebuilds every file from them alone and `merge` joins shards exactly.
 */
import type { HttpClient, LoadType, ResolvedScenario, Routing, WorkloadKind } from '../scenario/types.js';
import { TIME_METRICS, type MetricName } from '../scenario/metric-names.js';
import type { TokenInterval } from './tokens.js';
import type { ConversationInterval } from './conversations.js';
import type { ServerRecord } from '../server-metrics/types.js';

export const SCHEMA_VERSION = 1;

export { METRICS, TIME_METRICS, type MetricName } from '../scenario/metric-names.js';

export function metricScale(m: MetricName): number {
  return TIME_METRICS.has(m) ? 1e-3 : 1;
}

/** Fixed error classes; HTTP status errors are `http_<code>`. */
export const ERROR_CLASSES = ['timeout', 'connect', 'reset', 'stream_error', 'invalid_response'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface WorkloadInterval {
  /** Requests whose send began in this interval (measured slots only). */
  sent: number;
  ok: number;
  /** Error counts by class, only classes with a count. */
  errors: Record<string, number>;
  dropped: number;
  /** Requests in flight when the interval closed. */
  inFlight: number;
  outputTokens: number;
  inputTokens: number;
  /** Completed requests that met every SLO (goodput numerator). */
  sloMet: number;
  /** Completed streams that produced fewer tokens than asked. */
  short: number;
  /** Extra attempts made by target.retry in this interval (absent in older records). */
  retries?: number;
  /**
   * Prompt tokens the server's prefix cache held (usage.prompt_tokens_details.cached_tokens), summed
   * over the answers that reported it; absent when none did (and in older records).
   */
  cachedInputTokens?: number;
  /** Encoded histograms recorded in this interval, only non-empty ones. */
  hist: Partial<Record<MetricName, string>>;
  /** Generative workloads: token-count sources, divergence, short outputs by reason, timeouts by deadline. */
  tokens?: TokenInterval;
  /** `conversation` workloads: conversations started and finished, and per-turn counts and histograms. */
  conversations?: ConversationInterval;
}

export interface IntervalRecord {
  type: 'interval';
  /** Shard id ("0/1" when not sharded) and worker index within the shard. */
  shard: string;
  worker: number;
  /** Seconds since the measured start; index i covers [i, i+1) s. */
  index: number;
  workloads: WorkloadInterval[];
  /** Generator health for this interval. */
  health: {
    /** Event-loop delay of the worker thread, µs, encoded HDR. */
    loopLagUs?: string;
    /** Delay between a slot's intended instant and its dispatch() call, µs, encoded HDR (slots that waited for maxInFlight are in queueWaitUs instead). */
    dispatchLagUs?: string;
    /** Event-loop utilization of the worker thread in this interval (0..1). */
    elu: number;
    /** Wall time this interval covered, ms (absent in older files: the interval length). */
    wallMs?: number;
    /** The worker thread's own time on a CPU in this interval, ms (Linux schedstat; absent elsewhere). */
    threadCpuMs?: number;
    /** Time the worker thread was ready to run but waited for a CPU (another process held it), ms. */
    runQueueMs?: number;
    /** Time from dispatch() to the request going on a connection, µs, encoded HDR (measured requests). */
    connWaitUs?: string;
    /** Time a slot waited for a free maxInFlight place (onSaturation: queue), µs, encoded HDR; such slots are not in dispatchLagUs. */
    queueWaitUs?: string;
  };
  /** The first message seen for each error class in this interval (no secrets: see redact). */
  errorSamples?: Record<string, string>;
}

export interface RunInfo {
  schemaVersion: number;
  servebenchVersion: string;
  scenario: { name: string; file: string };
  /** `client` is absent in summaries written before target.client existed (they used undici). */
  /** `alternated path/host` in the whole run of a `compare: {routing}` scenario (each variant's own records name its mode). */
  target: { url: string; routing: Routing | `alternated ${string}`; client?: HttpClient; project: string; deployment: string; embedded: boolean };
  load: {
    type: LoadType;
    targetRps: number;
    durationMs: number;
    warmupMs: number;
    requests: number;
    workers: number;
    connections: number;
    maxInFlight: number;
    onSaturation: string;
    concurrency: number;
  };
  workloads: Array<{ name: string; kind: WorkloadKind; model: string; weight: number; stream: boolean }>;
  slo: ResolvedScenario['slo'];
  thresholds: readonly string[];
  /** Wall-clock instant of measured second 0. */
  measureStartEpochMs: number;
  startedAt: string;
  shard: string;
  /** sha256 of the resolved scenario without secrets or file locations (src/scenario/fingerprint.ts): `merge` joins only equal ones. */
  scenarioFingerprint?: string;
  /** CPU cores this process could run on (os.availableParallelism(), which honours taskset). */
  cores?: number;
  /** A `compare:` run: the key its rounds alternated, the variants' labels and the rounds. */
  variants?: { key: string; labels: string[]; rounds: number; roundS: number };
  /** Whether V8 ran with --single-threaded-gc, as the servebench command starts it (absent in older files). */
  singleThreadedGc?: boolean;
}

export interface StartRecord {
  type: 'start';
  run: RunInfo;
}

export interface EndRecord {
  type: 'end';
  shard: string;
  /** Length of the measured window actually run. */
  measuredDurationMs: number;
  /** The measured slots of this shard's plan that its workers walked through (absent in older files). */
  plannedSlots?: number;
  /** How late the last measured request went on the wire after its slot (absent in older files: 0). */
  sendOverrunMs?: number;
  interrupted: boolean;
  /** Process CPU use over the run, percent of one core. */
  cpuPercent: number;
  workerErrors: Array<{ worker: number; code: string; message: string }>;
  endedAt: string;
  /** Why the run stopped before its plan ended, when it did not stop on a signal. */
  stopReason?: string;
}

/**
 * First record of a merged results.ndjson (`servebench merge`): the run as a whole. The shards'
 * own start/interval/end records follow, their interval indexes already moved onto the merged
 * run's wall-clock seconds (see src/metrics/merge.ts).
 */
export interface MergeRecord {
  type: 'merge';
  /** The merged run: the earliest shard's RunInfo with the shards' target rates summed. */
  run: RunInfo;
  /** n of the i/n shard ids. */
  shardCount: number;
  /** Shard ids merged, sorted by index. */
  shards: string[];
  /** Shard ids of the plan that are not in the merge (only with --allow-partial). */
  missing: string[];
  partial: boolean;
  /** Per shard: where it came from and how far its measured start was from the merged one. */
  sources: Array<{ shard: string; dir: string; measureStartEpochMs: number; offsetMs: number; shiftS: number }>;
}

// server-metrics hook: scrapes of the server's own metrics (src/server-metrics/types.ts).
export type RunRecord = StartRecord | IntervalRecord | EndRecord | MergeRecord | ServerRecord;

export function emptyWorkloadInterval(): WorkloadInterval {
  return { sent: 0, ok: 0, errors: {}, dropped: 0, inFlight: 0, outputTokens: 0, inputTokens: 0, sloMet: 0, short: 0, hist: {} };
}
