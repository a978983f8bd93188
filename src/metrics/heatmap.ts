/**
 * The latency heatmap: per workload, how many requests completed in each second in each latency
 * band, from the per-second HDR intervals the run already records. A stall shows as a column, a
 * bimodal server as two bands; a percentile line over time hides both.
 */
import { JsHistogram } from 'hdr-histogram-js';
import type { Histogram } from './hdr.js';

export interface LatencyHeatmap {
  workload: string;
  /** Band edges in ms, log-spaced: band b holds [edgesMs[b], edgesMs[b + 1]). */
  edgesMs: number[];
  seconds: number[];
  /** counts[i][b]: completions of seconds[i] in band b. */
  counts: number[][];
}

/** Bands per heatmap: about three per factor of ten over a typical 1 ms–10 s spread. */
export const HEATMAP_BANDS = 24;

/** Calls fn(valueUs, count) for each recorded bucket of a histogram. */
export function forEachBucket(h: Histogram, fn: (valueUs: number, count: number) => void): void {
  if (h instanceof JsHistogram) {
    const it = h.recordedValuesIterator;
    it.reset();
    while (it.hasNext()) {
      const v = it.next();
      fn(h.medianEquivalentValue(v.valueIteratedTo), v.countAddedInThisIterationStep);
    }
    return;
  }
  // A WASM histogram has no iterator in the public API: approximate with 1000 equal-count slices.
  const slices = 1000;
  const per = h.totalCount / slices;
  for (let k = 0; k < slices; k++) fn(h.getValueAtPercentile(((k + 0.5) / slices) * 100), per);
}

/**
 * One heatmap per workload from its per-second latency histograms (µs). Workloads without a
 * completion get none.
 */
export function latencyHeatmaps(perSecond: ReadonlyMap<number, ReadonlyArray<{ lat: Histogram }>>, workloads: readonly string[]): LatencyHeatmap[] {
  const seconds = [...perSecond.keys()].sort((a, b) => a - b);
  const out: LatencyHeatmap[] = [];
  workloads.forEach((workload, w) => {
    let minUs = Infinity;
    let maxUs = 0;
    for (const s of seconds) {
      const h = perSecond.get(s)![w]?.lat;
      if (!h || h.totalCount === 0) continue;
      minUs = Math.min(minUs, h.minNonZeroValue);
      maxUs = Math.max(maxUs, h.maxValue);
    }
    if (!(maxUs > 0)) return;
    const edgesMs = logEdges(Math.max(minUs, 1) / 1000, maxUs / 1000, HEATMAP_BANDS);
    const logLo = Math.log(edgesMs[0]);
    const step = (Math.log(edgesMs[edgesMs.length - 1]) - logLo) / HEATMAP_BANDS;
    const counts = seconds.map((s) => {
      const row = new Array<number>(HEATMAP_BANDS).fill(0);
      const h = perSecond.get(s)![w]?.lat;
      if (h && h.totalCount > 0) {
        forEachBucket(h, (us, c) => {
          const b = Math.floor((Math.log(Math.max(us, 1) / 1000) - logLo) / step);
          row[Math.min(HEATMAP_BANDS - 1, Math.max(0, b))] += c;
        });
      }
      return row.map(Math.round);
    });
    out.push({ workload, edgesMs, seconds, counts });
  });
  return out;
}

/** n + 1 log-spaced edges from lo to hi (widened a little so both ends fall inside). */
function logEdges(lo: number, hi: number, n: number): number[] {
  const a = Math.log(lo * 0.98);
  const b = Math.log(Math.max(hi * 1.02, lo * 1.5));
  return Array.from({ length: n + 1 }, (_, k) => Math.round(Math.exp(a + ((b - a) * k) / n) * 1000) / 1000);
}
