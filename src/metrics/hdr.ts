/**
 * HDR histograms: every time metric is recorded as integer µs, every count metric as an integer.
 * Histograms cross thread and machine boundaries only as compressed base64 (the HdrHistogram
 * standard encoding), so runs, workers and shards merge exactly.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { round3 } from '../util/values.js';

export type { Histogram };

/** One hour in µs: the largest latency we track without resizing. */
const HIGHEST_US = 3_600_000_000;

/** A recording histogram for a worker's interval: fixed size, 3 significant digits. */
export function newRecorder(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

/** An accumulating histogram (totals over a run, or over shards): 64-bit counts. */
export function newAccumulator(): Histogram {
  return hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: true });
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Note the second argument of decodeFromCompressedBase64 is the bucket size in bits. */
export function decode(b64: string): Histogram {
  return hdr.decodeFromCompressedBase64(b64, 64, false);
}

/** Adds an encoded histogram to `into` (and to `alsoInto`, decoding it once: decoding is the cost). */
export function addEncoded(into: Histogram, b64: string, alsoInto: Histogram | null = null): void {
  const h = decode(b64);
  into.add(h);
  if (alsoInto) alsoInto.add(h);
  h.destroy();
}

export interface Stats {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export const STAT_KEYS = ['count', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'] as const;


/** Summary statistics, scaled by `scale` (1e-3 turns µs into ms). Empty histograms give zeros. */
export function statsOf(h: Histogram, scale: number): Stats {
  if (h.totalCount === 0) return { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  const v = (p: number) => round3(h.getValueAtPercentile(p) * scale);
  return {
    count: h.totalCount,
    mean: round3(h.mean * scale),
    min: round3(Math.min(h.minNonZeroValue, h.getValueAtPercentile(0)) * scale),
    p50: v(50),
    p90: v(90),
    p95: v(95),
    p99: v(99),
    p999: v(99.9),
    max: round3(h.maxValue * scale),
  };
}

/** The percentile spectrum (HdrHistogram's plot): percentiles up to 99.999 on a log-of-1/(1-p) scale. */
export function spectrum(h: Histogram, scale: number): Array<{ percentile: number; value: number }> {
  const out: Array<{ percentile: number; value: number }> = [];
  if (h.totalCount === 0) return out;
  const ps = [0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 77.5, 80, 82.5, 85, 87.5, 90, 91.25, 92.5, 93.75, 95, 96, 97, 97.5, 98, 98.5, 99, 99.25, 99.5, 99.75, 99.9, 99.95, 99.99, 99.995, 99.999, 100];
  for (const p of ps) out.push({ percentile: p, value: round3(h.getValueAtPercentile(p) * scale) });
  return out;
}
