/**
 * The server signals that say a sweep step saturated the server, in the words of its saturation
 * reasons: requests queued in front of vLLM's batch or in Knative's queue-proxy for most of the
 * step, or the KV cache above 90 %. Gauges of the step's measured window (summarise.ts).
 */
import type { ServerSummary } from './types.js';

/** A queue counts when it held requests on average and still did at the window's end. */
const QUEUES: ReadonlyArray<{ name: string; what: string }> = [
  { name: 'vllm:num_requests_waiting', what: "requests waited in vLLM's queue" },
  { name: 'revision_queue_depth', what: "Knative's queue-proxy held requests" },
];
const KV_CACHE = ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'];
const KV_FULL = 0.9;

const r1 = (n: number) => Math.round(n * 10) / 10;

export function serverSaturation(server: ServerSummary | undefined): string[] {
  if (!server) return [];
  const out: string[] = [];
  for (const s of server.series) {
    if (s.kind !== 'gauge' || s.mean === undefined || s.last === undefined) continue;
    const q = QUEUES.find((x) => x.name === s.name);
    if (q && s.mean >= 1 && s.last >= 1) out.push(`${q.what} (${s.name}: mean ${r1(s.mean)}, max ${r1(s.max ?? s.last)}, at the end ${r1(s.last)})`);
    if (KV_CACHE.includes(s.name) && (s.max ?? 0) > KV_FULL) out.push(`KV cache above ${KV_FULL * 100} % (${s.name} reached ${r1((s.max ?? 0) * 100)} %)`);
  }
  return out;
}
