/**
 * The `server` records of a run summarised over its measured window: gauges as min/mean/max/last,
 * counters as a rate per second, histograms as p50/p90/p99 of the bucket counts' increase over
 * the window; and one value per second per series for timeseries.csv and the report's charts.
 *
 * Counters and histograms are cumulative, so a window's figures need a point at its start: the
 * last scrape before the window opens (the scraper starts before the first slot) is the baseline.
 */
import { histogramQuantile, labelKey } from './points.js';
import type { ServerPoint, ServerRecord, ServerSeriesSummary, ServerSummary } from './types.js';

interface Timed {
  t: number;
  p: ServerPoint;
}

interface Series {
  source: string;
  name: string;
  labels: Record<string, string>;
  kind: ServerPoint['kind'];
  points: Timed[];
}

export interface Window {
  startEpochMs: number;
  endEpochMs: number;
}

/** `name{a="b",…}`, the way Prometheus prints a series. */
export function seriesColumn(name: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? name : `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

const round = (n: number) => (Math.abs(n) >= 1000 ? Math.round(n * 10) / 10 : Math.round(n * 1e6) / 1e6);

export function summariseServer(records: readonly ServerRecord[], w: Window): ServerSummary | undefined {
  if (records.length === 0) return undefined;
  const sources = new Map<string, { source: string; scrapes: number; failures: number; lastError?: string }>();
  const series = new Map<string, Series>();
  /** Times of each source's successful scrapes. */
  const okTimes = new Map<string, number[]>();
  for (const r of [...records].sort((a, b) => a.atEpochMs - b.atEpochMs)) {
    const src = sources.get(r.source) ?? { source: r.source, scrapes: 0, failures: 0 };
    sources.set(r.source, src);
    src.scrapes++;
    if (!r.ok) {
      src.failures++;
      if (r.error) src.lastError = r.error;
      continue;
    }
    const times = okTimes.get(r.source) ?? [];
    okTimes.set(r.source, times);
    times.push(r.atEpochMs);
    for (const p of r.series ?? []) {
      const key = `${r.source}\u0000${p.name}\u0000${labelKey(p.labels)}`;
      let s = series.get(key);
      if (!s) {
        s = { source: r.source, name: p.name, labels: p.labels, kind: p.kind, points: [] };
        series.set(key, s);
      }
      s.points.push({ t: r.atEpochMs, p });
    }
  }
  const multiSource = new Set([...series.values()].map((s) => s.source)).size > 1;
  const summaries: ServerSeriesSummary[] = [];
  const perSecond: Array<Map<number, number>> = [];
  for (const s of series.values()) {
    if (s.kind !== 'gauge') fromZero(s, okTimes.get(s.source) ?? []);
    const inWindow = windowPoints(s.points, w, s.kind);
    if (inWindow.length === 0) continue;
    const column = seriesColumn(s.name, multiSource ? { ...s.labels, source: s.source } : s.labels);
    const sum: ServerSeriesSummary = { name: s.name, labels: s.labels, source: s.source, kind: s.kind, column, ...figures(s.kind, inWindow) };
    summaries.push(sum);
    perSecond.push(secondValues(s.kind, inWindow, w));
  }
  const seconds = Math.max(0, Math.ceil((w.endEpochMs - w.startEpochMs) / 1000));
  const rows: ServerSummary['timeseries']['rows'] = [];
  for (let sec = 0; sec < seconds; sec++) rows.push({ second: sec, values: perSecond.map((m) => (m.has(sec) ? round(m.get(sec)!) : null)) });
  const all = [...sources.values()];
  return {
    scrapes: all.reduce((n, x) => n + x.scrapes, 0),
    failures: all.reduce((n, x) => n + x.failures, 0),
    sources: all,
    series: summaries,
    timeseries: { columns: summaries.map((x) => x.column), rows },
    clientVsServer: [],
  };
}

/**
 * A counter or histogram that appears in a scrape after the source's first one began at zero in
 * between (prometheus_client creates a labelled series at its first use): that zero is the
 * baseline its first requests count from.
 */
function fromZero(s: Series, okTimes: readonly number[]): void {
  const first = s.points[0];
  const before = okTimes.filter((t) => t < first.t).pop();
  if (before === undefined) return;
  const p = first.p;
  const zero: ServerPoint =
    s.kind === 'counter' ? { ...p, value: 0 } : { ...p, buckets: (p.buckets ?? []).map(() => 0), count: 0, sum: 0 };
  s.points.unshift({ t: before, p: zero });
}

/**
 * The points inside the window; for cumulative kinds led by the last one before it and closed
 * by the first one after it, so the increase covers the whole window (the scraper's last scrape
 * comes after the load's in-flight requests are done).
 */
function windowPoints(points: readonly Timed[], w: Window, kind: ServerPoint['kind']): Timed[] {
  const inside = points.filter((x) => x.t >= w.startEpochMs && x.t <= w.endEpochMs);
  if (kind === 'gauge') return inside;
  const before = points.filter((x) => x.t < w.startEpochMs).pop();
  const after = points.find((x) => x.t > w.endEpochMs);
  const out = [...(before ? [before] : []), ...inside, ...(after ? [after] : [])];
  return out.length >= 2 || inside.length > 0 ? out : [];
}

function figures(kind: ServerPoint['kind'], pts: readonly Timed[]): Partial<ServerSeriesSummary> {
  if (kind === 'gauge') {
    const vals = pts.map((x) => x.p.value ?? 0);
    const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
    return { min: round(Math.min(...vals)), mean: round(mean), max: round(Math.max(...vals)), last: round(vals[vals.length - 1]) };
  }
  if (kind === 'counter') {
    const spanS = (pts[pts.length - 1].t - pts[0].t) / 1000;
    return { rate: spanS > 0 ? round(increase(pts.map((x) => x.p.value ?? 0)) / spanS) : 0 };
  }
  const d = bucketIncrease(pts[0].p, pts[pts.length - 1].p);
  const q = (x: number) => {
    const v = histogramQuantile(x, d.bounds, d.buckets, d.count);
    return v === null ? {} : { [`p${Math.round(x * 100)}`]: round(v) };
  };
  return { count: round(d.count), ...q(0.5), ...q(0.9), ...q(0.99) };
}

/** A counter's increase over consecutive values; a drop is a restart (the counter began again at 0). */
function increase(values: readonly number[]): number {
  let inc = 0;
  for (let i = 1; i < values.length; i++) inc += values[i] >= values[i - 1] ? values[i] - values[i - 1] : values[i];
  return inc;
}

/** Bucket counts of `to` less those of `from` (all of `to` after a restart or a change of buckets). */
function bucketIncrease(from: ServerPoint, to: ServerPoint): { bounds: number[]; buckets: number[]; count: number } {
  const bounds = to.bounds ?? [];
  const buckets = to.buckets ?? [];
  const count = to.count ?? 0;
  const same = from !== to && (from.bounds ?? []).length === bounds.length && (from.bounds ?? []).every((b, i) => b === bounds[i]);
  if (!same || (from.count ?? 0) > count) return from === to ? { bounds, buckets: buckets.map(() => 0), count: 0 } : { bounds, buckets, count };
  return { bounds, buckets: buckets.map((c, i) => c - (from.buckets ?? [])[i]), count: count - (from.count ?? 0) };
}

/** A series' value per second: a gauge's last value, a counter's rate, a histogram's p50 since the previous scrape. */
function secondValues(kind: ServerPoint['kind'], pts: readonly Timed[], w: Window): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < pts.length; i++) {
    const { t, p } = pts[i];
    if (t < w.startEpochMs) continue;
    const sec = Math.min(Math.floor((t - w.startEpochMs) / 1000), Math.ceil((w.endEpochMs - w.startEpochMs) / 1000) - 1);
    if (sec < 0) continue;
    if (kind === 'gauge') out.set(sec, p.value ?? 0);
    else if (i > 0) {
      const prev = pts[i - 1];
      if (kind === 'counter') {
        const dt = (t - prev.t) / 1000;
        if (dt > 0) out.set(sec, increase([prev.p.value ?? 0, p.value ?? 0]) / dt);
      } else {
        const d = bucketIncrease(prev.p, p);
        const v = histogramQuantile(0.5, d.bounds, d.buckets, d.count);
        if (v !== null) out.set(sec, v);
      }
    }
  }
  return out;
}
