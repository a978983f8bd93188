/**
 * Client against server: the client's TTFT and service time (sent → done) beside the server's
 * own histograms of the same thing. What the client sees above the server's figure is the
 * gateway, the network and any queueing in front of the model server.
 */
import type { ClientServerComparison, ServerSeriesSummary } from './types.js';

interface ClientStats {
  p50: number;
  p90: number;
  p99: number;
}

/** Server histograms that measure what a client metric measures, and their unit in ms. */
const MATCHES: ReadonlyArray<{ metric: ClientServerComparison['metric']; name: RegExp }> = [
  { metric: 'ttft', name: /^vllm:time_to_first_token_seconds$/ },
  { metric: 'latency', name: /^vllm:e2e_request_latency_seconds$/ },
  { metric: 'latency', name: /^request_predict_seconds$/ },
  { metric: 'latency', name: /^revision_(app_)?request_latencies$/ },
  { metric: 'latency', name: /^istio_request_duration_milliseconds$/ },
];

/** ms per unit of a latency histogram: its name says seconds or milliseconds (Knative's are ms). */
export function msPerUnit(name: string): number | null {
  if (/_seconds$/.test(name)) return 1000;
  if (/_milliseconds$|_ms$|^revision_(app_)?request_latencies$|^envoy_.*_time$/.test(name)) return 1;
  return null;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * `client.ttft` and `client.serviceTime` are the client's figures in ms (absent when the run has
 * none: a predict run has no TTFT).
 */
export function clientVsServer(client: { ttft?: ClientStats; serviceTime?: ClientStats }, series: readonly ServerSeriesSummary[]): ClientServerComparison[] {
  const out: ClientServerComparison[] = [];
  for (const s of series) {
    if (s.kind !== 'histogram' || !(s.count! > 0) || s.p50 === undefined) continue;
    const m = MATCHES.find((x) => x.name.test(s.name));
    const scale = msPerUnit(s.name);
    if (!m || scale === null) continue;
    const c = m.metric === 'ttft' ? client.ttft : client.serviceTime;
    if (!c) continue;
    const srv = { p50: r3(s.p50 * scale), p90: r3((s.p90 ?? s.p50) * scale), p99: r3((s.p99 ?? s.p50) * scale) };
    out.push({
      metric: m.metric,
      server: s.column,
      clientMs: { p50: c.p50, p90: c.p90, p99: c.p99 },
      serverMs: srv,
      differenceMs: { p50: r3(c.p50 - srv.p50), p90: r3(c.p90 - srv.p90), p99: r3(c.p99 - srv.p99) },
    });
  }
  return out;
}
