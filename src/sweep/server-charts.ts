/**
 * sweep.html's server charts: every server series against the offered rate, one chart per series
 * (gauge mean and max, counter rate, histogram p50/p90/p99), so the step where vLLM's queue starts
 * to grow or its KV cache fills stands out next to the latency chart.
 */
import { PALETTE, type ChartSpec, type SeriesSpec } from '../report/html-data.js';
import { labelText, unitOf } from '../report/html-server.js';
import type { StepServer, StepServerSeries } from './server.js';

/** More charts than this and the page is a wall; every figure is still in sweep.json. */
export const MAX_SERVER_CHARTS = 12;

/**
 * Signals first, in the order a reader asks about them: the queues and the KV cache that
 * saturation reasons name (signals.ts), what is running, then the server's latency histograms.
 */
const FIRST = [/num_requests_waiting$/, /queue_depth$/, /(kv|gpu)_cache_usage_perc$/, /num_requests_running$/, /time_to_first_token_seconds$/, /e2e_request_latency_seconds$/, /request_predict_seconds$/];

function rank(name: string): number {
  const i = FIRST.findIndex((r) => r.test(name));
  return i < 0 ? FIRST.length : i;
}

export interface StepLike {
  value: number;
  server?: StepServer;
}

/** Series present in any step, signals first, each with its chart's lines. */
export function serverSweepCharts(steps: readonly StepLike[], xLabel: string): { charts: ChartSpec[]; total: number } {
  const rows = steps.filter((s) => s.server).sort((a, b) => a.value - b.value);
  const first = new Map<string, StepServerSeries>();
  for (const s of rows) for (const x of s.server!.series) if (!first.has(x.series)) first.set(x.series, x);
  const keys = [...first.keys()].sort((a, b) => rank(first.get(a)!.name) - rank(first.get(b)!.name));
  const charts = keys.slice(0, MAX_SERVER_CHARTS).map((key, i) => {
    const x = first.get(key)!;
    const pick = (s: StepLike, k: keyof StepServerSeries) => (s.server!.series.find((y) => y.series === key)?.[k] as number | undefined) ?? null;
    const lines: Array<{ label: string; k: keyof StepServerSeries }> =
      x.kind === 'gauge' ? [{ label: 'mean', k: 'mean' }, { label: 'max', k: 'max' }] : x.kind === 'counter' ? [{ label: 'rate', k: 'rate' }] : [{ label: 'p50', k: 'p50' }, { label: 'p90', k: 'p90' }, { label: 'p99', k: 'p99' }];
    const unit = x.kind === 'counter' ? ' /s' : x.kind === 'histogram' ? unitOf(x.name).replace(/[()]/g, '') : '';
    const series: SeriesSpec[] = lines.map((l, j) => ({ label: l.label, color: PALETTE[j], unit }));
    const labels = labelText(x.labels);
    const spec: ChartSpec = {
      id: `sweep-server-${i}`,
      title: `${x.name}${labels ? ` {${labels}}` : ''} (${x.kind === 'gauge' ? 'mean and max per step' : x.kind === 'counter' ? 'rate per step' : 'percentiles per step'})`,
      kind: 'xy',
      xLabel,
      yLabel: x.kind === 'counter' ? 'per second' : x.kind === 'histogram' ? `value${unitOf(x.name)}` : 'value',
      series,
      data: [rows.map((s) => s.value), ...lines.map((l) => rows.map((s) => pick(s, l.k)))],
    };
    if (spec.data.slice(1).every((c) => c.every((v) => v === null))) spec.empty = 'No step recorded this series in its window.';
    return spec;
  });
  return { charts, total: keys.length };
}
