/**
 * Chart data for the HTML report, computed at render time from the summary alone. Every chart is
 * a column store (data[0] is x, data[i] is series i), which is what uPlot draws and what keeps a
 * 10-minute run's embedded JSON small: a number per cell, no keys repeated per row.
 */
import { decode, spectrum } from '../metrics/hdr.js';
import { forEachBucket } from '../metrics/heatmap.js';
import type { MetricName } from '../metrics/records.js';
import type { Summary, TimeseriesRow, WorkloadSummary } from '../metrics/summary-types.js';
import { fmtInt, fmtMs } from './html-format.js';
import { round3 } from '../util/values.js';

/**
 * 'xy': a numeric x such as achieved rate (the sweep report); points drawn on the lines.
 * 'heatmap': data[0] seconds, data[1] band edges (ms), data[2 + i] the counts of seconds[i].
 */
export type ChartKind = 'time' | 'spectrum' | 'hist' | 'xy' | 'heatmap';

export interface SeriesSpec {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  /** 'y2' draws against the right-hand axis. */
  scale?: 'y' | 'y2';
  /** Unit suffix in the legend. */
  unit?: string;
}

export interface ChartSpec {
  id: string;
  title: string;
  kind: ChartKind;
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  series: SeriesSpec[];
  /** data[0] is x; data[i + 1] belongs to series[i]. */
  data: Array<Array<number | null>>;
  /** Shown under the title (e.g. values beyond the drawn range). */
  note?: string;
  /** Set when the chart has nothing to draw: the report shows this text instead of a canvas. */
  empty?: string;
  /** Log y axis: set when series differ by more than LOG_RATIO (a 12 ms predict next to a 3 s chat). */
  yLog?: boolean;
  /** Counts: the axis ticks at whole numbers only (no "0.250 errors"). */
  yInteger?: boolean;
  y2Integer?: boolean;
}

/** Above this ratio between the largest and smallest series peak, a linear axis flattens the small one. */
export const LOG_RATIO = 20;

/** Switches a chart to a log y axis when its series' peaks are far apart; log axes cannot show 0. */
function logIfSpread(spec: ChartSpec): void {
  const peaks = spec.data.slice(1).map((col) => col.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0)).filter((p) => p > 0);
  if (peaks.length < 2 || Math.max(...peaks) / Math.min(...peaks) <= LOG_RATIO) return;
  spec.yLog = true;
  for (let i = 1; i < spec.data.length; i++) spec.data[i] = spec.data[i].map((v) => (v !== null && v > 0 ? v : null));
}

/** Colour per workload, in the order of summary.workloads; colour-blind-safe-ish and print-safe. */
export const PALETTE = ['#2563eb', '#ea580c', '#059669', '#9333ea', '#db2777', '#0891b2', '#ca8a04', '#475569'];

export function workloadColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** A workload's colour, faded: its target or reference line beside the measured one. */
export function fadedColor(i: number): string {
  return `${workloadColor(i)}80`;
}

/**
 * Requests per second of one second's row, read against the run's measured length: a last second
 * the window only partly covers is scaled to a full second (not drawn as a drop), and a second past
 * the window (requests still finishing) has no rate at all.
 */
export function perSecondRate(row: TimeseriesRow, durationS: number): number | null {
  const covered = Math.min(1, durationS - row.second);
  if (!(covered > 0)) return null;
  return covered < 1 ? round3(row.rps / covered) : row.rps;
}

/** Highest percentile drawn on a spectrum: 99.99 sits at x = 4 on the log10(1/(1-p)) axis. */
export const SPECTRUM_MAX_PERCENTILE = 99.99;

/** x position of percentile p (0..100) on the spectrum axis. */
export function spectrumX(p: number): number {
  return Math.round(Math.log10(1 / (1 - p / 100)) * 10000) / 10000;
}


interface Aligned {
  seconds: number[];
  /** rows[w][i]: workload w's row for seconds[i], or undefined when that second is missing. */
  rows: Array<Array<TimeseriesRow | undefined>>;
}

/** Aligns timeseries rows on the union of seconds: a killed or merged run may have gaps. */
function alignTimeseries(s: Summary): Aligned {
  const seconds = [...new Set(s.timeseries.map((r) => r.second))].sort((a, b) => a - b);
  const pos = new Map(seconds.map((sec, i) => [sec, i]));
  const byName = new Map(s.workloads.map((w, i) => [w.name, i]));
  const rows = s.workloads.map(() => new Array<TimeseriesRow | undefined>(seconds.length));
  for (const r of s.timeseries) {
    const w = byName.get(r.workload);
    if (w !== undefined) rows[w][pos.get(r.second)!] = r;
  }
  return { seconds, rows };
}

function column(rows: Array<TimeseriesRow | undefined>, pick: (r: TimeseriesRow) => number | null): Array<number | null> {
  return rows.map((r) => (r ? pick(r) : null));
}

/** A per-second percentile of 0 with nothing completed in that second is "no value", not 0 ms. */
function latencyOrNull(r: TimeseriesRow, v: number): number | null {
  return r.latencyP50Ms === 0 && r.latencyP99Ms === 0 ? null : v;
}

function timeCharts(s: Summary): ChartSpec[] {
  const { seconds, rows } = alignTimeseries(s);
  const wls = s.workloads;
  const noTime = seconds.length === 0 ? 'No data: the run recorded no intervals.' : undefined;
  const x: Array<number | null> = seconds;

  const rate: ChartSpec = { id: 'rate', title: 'Request rate: achieved vs target', kind: 'time', xLabel: 'elapsed', yLabel: 'requests/s', series: [], data: [x], empty: noTime };
  wls.forEach((w, i) => {
    rate.series.push({ label: `${w.name} achieved`, color: workloadColor(i), width: 2, unit: ' req/s' });
    rate.data.push(column(rows[i], (r) => perSecondRate(r, s.durationS)));
    rate.series.push({ label: `${w.name} target`, color: fadedColor(i), width: 1.5, dash: [6, 4], unit: ' req/s' });
    rate.data.push(column(rows[i], (r) => (perSecondRate(r, s.durationS) === null ? null : r.targetRps)));
  });

  const anyDropped = s.timeseries.some((r) => r.dropped > 0);
  const errors: ChartSpec = { id: 'errors', title: 'Errors and in-flight requests', kind: 'time', xLabel: 'elapsed', yLabel: 'per second', y2Label: 'in flight', series: [], data: [x], empty: noTime, yInteger: true, y2Integer: true };
  wls.forEach((w, i) => {
    errors.series.push({ label: `${w.name} errors`, color: workloadColor(i), width: 2, unit: '/s' });
    errors.data.push(column(rows[i], (r) => r.errors));
    if (anyDropped) {
      errors.series.push({ label: `${w.name} dropped`, color: workloadColor(i), width: 1.5, dash: [2, 3], unit: '/s' });
      errors.data.push(column(rows[i], (r) => r.dropped));
    }
    errors.series.push({ label: `${w.name} in flight`, color: fadedColor(i), width: 1.5, dash: [8, 4], scale: 'y2' });
    errors.data.push(column(rows[i], (r) => r.inFlight));
  });

  const latency: ChartSpec = { id: 'latency', title: 'Latency over time (p50, p99)', kind: 'time', xLabel: 'elapsed', yLabel: 'ms', series: [], data: [x], empty: noTime };
  wls.forEach((w, i) => {
    latency.series.push({ label: `${w.name} p50`, color: workloadColor(i), width: 1.25, dash: [4, 3], unit: ' ms' });
    latency.data.push(column(rows[i], (r) => latencyOrNull(r, r.latencyP50Ms)));
    latency.series.push({ label: `${w.name} p99`, color: workloadColor(i), width: 2, unit: ' ms' });
    latency.data.push(column(rows[i], (r) => latencyOrNull(r, r.latencyP99Ms)));
  });
  if (!latency.empty && latency.data.slice(1).every((col) => col.every((v) => v === null))) latency.empty = 'No data: no request completed.';
  logIfSpread(latency);

  const tokens: ChartSpec = { id: 'tokens', title: 'Output tokens per second', kind: 'time', xLabel: 'elapsed', yLabel: 'tokens/s', series: [], data: [x], empty: noTime };
  wls.forEach((w, i) => {
    if (w.totals.outputTokens <= 0) return;
    tokens.series.push({ label: w.name, color: workloadColor(i), width: 2, unit: ' tok/s' });
    tokens.data.push(column(rows[i], (r) => r.tokensPerS));
  });
  if (!tokens.empty && tokens.series.length === 0) tokens.empty = 'No data: no workload produced output tokens (predictive workloads only).';

  return [rate, errors, latency, tokens];
}

function withMetric(s: Summary, m: MetricName): Array<{ w: WorkloadSummary; i: number }> {
  return s.workloads.map((w, i) => ({ w, i })).filter(({ w }) => (w.metrics[m]?.count ?? 0) > 0 && !!w.metrics[m]?.hdr);
}

const METRIC_LABEL: Partial<Record<MetricName, string>> = { latency: 'latency', ttft: 'time to first token', itl: 'inter-token latency', tpot: 'time per output token' };

function spectrumChart(s: Summary, m: MetricName): ChartSpec {
  const id = `${m}-spectrum`;
  const title = `Percentile spectrum: ${METRIC_LABEL[m] ?? m}`;
  const spec: ChartSpec = { id, title, kind: 'spectrum', xLabel: 'percentile', yLabel: 'ms', series: [], data: [] };
  const have = withMetric(s, m);
  if (have.length === 0) {
    spec.empty = m === 'ttft' ? 'No data: no streaming workload recorded a first token.' : 'No data: no request completed.';
    return spec;
  }
  let x: number[] | null = null;
  for (const { w, i } of have) {
    const h = decode(w.metrics[m]!.hdr);
    const pts = spectrum(h, 1e-3).filter((p) => p.percentile <= SPECTRUM_MAX_PERCENTILE);
    h.destroy();
    if (!x) {
      x = pts.map((p) => spectrumX(p.percentile));
      spec.data.push(x);
    }
    spec.series.push({ label: w.name, color: workloadColor(i), width: 2, unit: ' ms' });
    spec.data.push(pts.map((p) => p.value));
  }
  logIfSpread(spec);
  return spec;
}

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) close to raw. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * mag;
}

/** Target number of bins of a value histogram. */
const BINS = 40;

function histogramChart(s: Summary, m: MetricName, unitLabel: string): ChartSpec {
  const id = `${m}-histogram`;
  const title = `Distribution: ${METRIC_LABEL[m] ?? m}`;
  const spec: ChartSpec = { id, title, kind: 'hist', xLabel: 'ms', yLabel: unitLabel, series: [], data: [] };
  const have = withMetric(s, m);
  if (have.length === 0) {
    spec.empty = 'No data: no streaming workload in this run.';
    return spec;
  }
  // Range: from the smallest minimum to the largest p99 (or the max, when the tail is short), so
  // the tail does not squeeze the body of the distribution into a few bars; the rest is counted
  // in a note (the spectrum chart shows the tail).
  let lo = Infinity;
  let hi = 0;
  for (const { w } of have) {
    const st = w.metrics[m]!;
    lo = Math.min(lo, st.min);
    hi = Math.max(hi, st.max <= st.p99 * 1.25 ? st.max : st.p99);
  }
  const step = niceStep(Math.max(hi - lo, 1e-3) / BINS);
  const start = Math.floor(lo / step) * step;
  const n = Math.max(1, Math.ceil((hi - start) / step + 1e-9));
  const edges = Array.from({ length: n + 1 }, (_, k) => round3(start + k * step));
  spec.data.push(edges);
  let overflow = 0;
  let maxMs = 0;
  for (const { w, i } of have) {
    const counts = new Array<number>(n + 1).fill(0);
    const h = decode(w.metrics[m]!.hdr);
    forEachBucket(h, (vUs, c) => {
      const v = vUs * 1e-3;
      const k = Math.floor((v - start) / step);
      if (k >= n) {
        overflow += c;
        maxMs = Math.max(maxMs, v);
      } else counts[Math.max(0, k)] += c;
    });
    h.destroy();
    // The last edge carries no bar; repeating the last count closes the stepped outline.
    counts[n] = counts[n - 1];
    spec.series.push({ label: w.name, color: workloadColor(i), width: 1.5, unit: '' });
    spec.data.push(counts.map((c) => Math.round(c)));
  }
  if (overflow > 0) spec.note = `${fmtInt(overflow)} values above ${fmtMs(edges[n])} ms (up to ${fmtMs(maxMs)} ms) are not drawn.`;
  return spec;
}

/** One latency heatmap per workload that completed requests (summary.heatmaps). */
function heatmapCharts(s: Summary): ChartSpec[] {
  const index = (h: { workload: string }) => s.workloads.findIndex((w) => w.name === h.workload);
  return (s.heatmaps ?? []).filter((h) => index(h) >= 0).map((h) => {
    const i = index(h);
    return {
      id: `heatmap-${i}`,
      title: `Latency heatmap: ${h.workload}`,
      kind: 'heatmap' as const,
      xLabel: 'elapsed',
      yLabel: 'latency (ms, log scale)',
      series: [{ label: h.workload, color: workloadColor(i), unit: ' requests' }],
      data: [h.seconds, h.edgesMs, ...h.counts],
      note: 'Completions per second in each latency band; darker is more.',
    };
  });
}

export interface ReportData {
  charts: ChartSpec[];
}

/** All charts of the report, in display order. */
export function buildChartData(s: Summary): ReportData {
  const [rate, errors, latency, tokens] = timeCharts(s);
  return {
    charts: [
      rate,
      errors,
      latency,
      tokens,
      ...heatmapCharts(s),
      spectrumChart(s, 'latency'),
      spectrumChart(s, 'ttft'),
      histogramChart(s, 'ttft', 'requests'),
      histogramChart(s, 'itl', 'token gaps'),
    ],
  };
}
