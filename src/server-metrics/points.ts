/**
 * Metric families (parse.ts) turned into the points a scrape records: a histogram's `_bucket`,
 * `_sum` and `_count` samples folded into one point per label set; summaries' quantiles as
 * gauges; untyped samples as gauges. `_created` samples (a start time, not a value) are dropped.
 */
import type { Family } from './parse.js';
import type { ServerPoint } from './types.js';

/** `select` matches a family name or a sample name; an empty list keeps everything. */
export function selector(select: readonly string[] | undefined): (family: string, sample: string) => boolean {
  if (!select || select.length === 0) return () => true;
  const set = new Set(select);
  return (family, sample) => set.has(family) || set.has(sample);
}

export function pointsOf(families: readonly Family[], keep: (family: string, sample: string) => boolean): ServerPoint[] {
  const out: ServerPoint[] = [];
  for (const f of families) {
    if (f.name.endsWith('_created') && f.type === 'gauge') continue;
    if (f.type === 'histogram') {
      if (keep(f.name, f.name)) histogramPoints(f, out);
      continue;
    }
    for (const s of f.samples) {
      if (s.name.endsWith('_created') || !keep(f.name, s.name) || !Number.isFinite(s.value)) continue;
      const counter = f.type === 'counter' || (f.type === 'summary' && (s.name.endsWith('_count') || s.name.endsWith('_sum')));
      out.push({ name: s.name, labels: { ...s.labels }, kind: counter ? 'counter' : 'gauge', value: s.value });
    }
  }
  return out;
}

/** A label set without `le`, as a stable key. */
export function labelKey(labels: Readonly<Record<string, string>>, without?: string): string {
  return Object.keys(labels)
    .filter((k) => k !== without)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

function histogramPoints(f: Family, out: ServerPoint[]): void {
  const byLabels = new Map<string, { labels: Record<string, string>; le: Array<[number, number]>; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const key = labelKey(s.labels, 'le');
    let h = byLabels.get(key);
    if (!h) {
      const labels = { ...s.labels };
      delete labels.le;
      h = { labels, le: [] };
      byLabels.set(key, h);
    }
    if (s.name === `${f.name}_bucket`) {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      if (!Number.isNaN(le)) h.le.push([le, s.value]);
    } else if (s.name === `${f.name}_sum`) h.sum = s.value;
    else if (s.name === `${f.name}_count`) h.count = s.value;
  }
  for (const h of byLabels.values()) {
    h.le.sort((a, b) => a[0] - b[0]);
    const finite = h.le.filter(([le]) => Number.isFinite(le));
    const inf = h.le.find(([le]) => le === Infinity)?.[1];
    const count = h.count ?? inf ?? (finite.length > 0 ? finite[finite.length - 1][1] : 0);
    out.push({
      name: f.name,
      labels: h.labels,
      kind: 'histogram',
      bounds: finite.map(([le]) => le),
      buckets: finite.map(([, c]) => c),
      count,
      ...(h.sum !== undefined && Number.isFinite(h.sum) ? { sum: h.sum } : {}),
    });
  }
}

/**
 * The q-quantile (0..1) of observations given cumulative bucket counts, interpolated linearly
 * inside the bucket as PromQL's histogram_quantile does; past the last finite bound it is that
 * bound. null when there are no observations.
 */
export function histogramQuantile(q: number, bounds: readonly number[], buckets: readonly number[], count: number): number | null {
  if (!(count > 0)) return null;
  const rank = q * count;
  let prevBound = 0;
  let prevCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    const c = buckets[i];
    if (c >= rank) {
      const inBucket = c - prevCount;
      // The first bucket starts at 0 unless its bound is negative (as in histogram_quantile).
      const lower = i === 0 && bounds[0] <= 0 ? bounds[0] : prevBound;
      return inBucket > 0 ? lower + ((bounds[i] - lower) * (rank - prevCount)) / inBucket : bounds[i];
    }
    prevBound = bounds[i];
    prevCount = c;
  }
  return bounds.length > 0 ? bounds[bounds.length - 1] : null;
}
