/**
 * What server-side metrics look like once read: the `server` records of results.ndjson (one per
 * scrape or per PromQL time step) and the `server` section of summary.json built from them.
 * Plain JSON data: no Infinity (a histogram's +Inf bucket is its `count`).
 */

export type SeriesKind = 'gauge' | 'counter' | 'histogram';

/** One series' value at one scrape. */
export interface ServerPoint {
  name: string;
  labels: Record<string, string>;
  kind: SeriesKind;
  /** gauge, counter. */
  value?: number;
  /** histogram: finite upper bounds, ascending, and the cumulative count at each. */
  bounds?: number[];
  buckets?: number[];
  /** histogram: the +Inf bucket, and the sum of observed values. */
  count?: number;
  sum?: number;
}

/** A results.ndjson line: one scrape of one endpoint (or one time step of a PromQL query). */
export interface ServerRecord {
  type: 'server';
  shard: string;
  /** The endpoint's URL (no credentials), or `promql:<query name>`. */
  source: string;
  atEpochMs: number;
  ok: boolean;
  /** Why the scrape failed (ok: false). */
  error?: string;
  series?: ServerPoint[];
}

export interface ServerSeriesSummary {
  name: string;
  labels: Record<string, string>;
  source: string;
  kind: SeriesKind;
  /** The column of this series in timeseries.csv: `name{labels}`. */
  column: string;
  /** gauge: over the scrapes in the measured window. */
  min?: number;
  mean?: number;
  max?: number;
  last?: number;
  /** counter: increase per second over the measured window (resets counted as Prometheus does). */
  rate?: number;
  /** histogram: from the bucket counts' increase over the window, in the metric's own unit. */
  p50?: number;
  p90?: number;
  p99?: number;
  /** histogram: observations in the window. */
  count?: number;
}

/** Client against server for one metric: the difference is what lies in front of the model server. */
export interface ClientServerComparison {
  metric: 'ttft' | 'latency';
  /** The server series compared (name{labels}). */
  server: string;
  clientMs: { p50: number; p90: number; p99: number };
  serverMs: { p50: number; p90: number; p99: number };
  /** client − server, ms. */
  differenceMs: { p50: number; p90: number; p99: number };
}

export interface ServerSummary {
  scrapes: number;
  failures: number;
  sources: Array<{ source: string; scrapes: number; failures: number; lastError?: string }>;
  series: ServerSeriesSummary[];
  /** Per second of the run (the client's `second`): one value per series column, null when none. */
  timeseries: { columns: string[]; rows: Array<{ second: number; values: Array<number | null> }> };
  clientVsServer: ClientServerComparison[];
}
