/**
 * The progress line's figures: one second of a run, summed over the workers' interval records.
 * Built by the coordinator, printed by report/console.ts.
 */
import { addEncoded, newAccumulator, statsOf } from './hdr.js';
import type { IntervalRecord } from './records.js';

export interface Progress {
  second: number;
  sent: number;
  ok: number;
  errors: number;
  dropped: number;
  inFlight: number;
  rps: number;
  /** null in a second without completions (nothing to take a percentile of). */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  outputTokensPerS: number;
}

export function progressOf(second: number, recs: IntervalRecord[]): Progress {
  const lat = newAccumulator();
  const p: Progress = { second, sent: 0, ok: 0, errors: 0, dropped: 0, inFlight: 0, rps: 0, latencyP50Ms: 0, latencyP99Ms: 0, outputTokensPerS: 0 };
  for (const r of recs) {
    for (const w of r.workloads) {
      p.sent += w.sent;
      p.ok += w.ok;
      p.dropped += w.dropped;
      p.inFlight += w.inFlight;
      p.outputTokensPerS += w.outputTokens;
      for (const k in w.errors) p.errors += w.errors[k];
      if (w.hist.latency) addEncoded(lat, w.hist.latency);
    }
  }
  const st = statsOf(lat, 1e-3);
  p.rps = p.sent;
  p.latencyP50Ms = st.count > 0 ? st.p50 : null;
  p.latencyP99Ms = st.count > 0 ? st.p99 : null;
  return p;
}
