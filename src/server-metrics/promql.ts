/**
 * Range queries against a Prometheus server's HTTP API (`/api/v1/query_range`) over the run's
 * window, after the load. Each named query's matrix becomes `server` records, one per time step,
 * of gauge points named after the query (the query itself already says rate() or
 * histogram_quantile()), so they are summarised and charted like scraped series.
 */
import { request, type Agent } from 'undici';
import type { ResolvedPrometheus } from '../scenario/types.js';
import { authHeaders, httpAgent, shortError } from './http.js';
import type { ServerPoint, ServerRecord } from './types.js';

interface MatrixResult {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** One query_range call: the matrix, or an error text. Never throws. */
export async function queryRange(p: ResolvedPrometheus, query: string, fromEpochMs: number, toEpochMs: number, agent: Agent): Promise<{ ok: true; result: MatrixResult[] } | { ok: false; error: string }> {
  const params = new URLSearchParams({
    query,
    start: (fromEpochMs / 1000).toFixed(3),
    end: (toEpochMs / 1000).toFixed(3),
    step: `${p.stepMs / 1000}s`,
  });
  try {
    const res = await request(`${p.url}/api/v1/query_range`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...authHeaders(p) },
      body: params.toString(),
      dispatcher: agent,
      headersTimeout: p.timeoutMs,
      bodyTimeout: p.timeoutMs,
      signal: AbortSignal.timeout(p.timeoutMs),
    });
    const text = await res.body.text();
    let body: { status?: string; error?: string; data?: { resultType?: string; result?: MatrixResult[] } };
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, error: `HTTP ${res.statusCode}, not a Prometheus API answer` };
    }
    if (res.statusCode !== 200 || body.status !== 'success') return { ok: false, error: `HTTP ${res.statusCode}: ${body.error ?? 'query failed'}`.slice(0, 200) };
    if (body.data?.resultType !== 'matrix') return { ok: false, error: `expected a matrix, got ${body.data?.resultType}` };
    return { ok: true, result: body.data.result ?? [] };
  } catch (err) {
    return { ok: false, error: shortError(err, p.timeoutMs) };
  }
}

/** A matrix as records: one per time step, each with that step's value of every result series. */
export function matrixRecords(name: string, shard: string, result: readonly MatrixResult[]): ServerRecord[] {
  const byT = new Map<number, ServerPoint[]>();
  for (const r of result) {
    const labels = { ...r.metric };
    delete labels.__name__;
    for (const [t, v] of r.values) {
      const value = Number(v);
      if (!Number.isFinite(value)) continue;
      const ms = Math.round(t * 1000);
      let pts = byT.get(ms);
      if (!pts) byT.set(ms, (pts = []));
      pts.push({ name, labels, kind: 'gauge', value });
    }
  }
  return [...byT.entries()].sort((a, b) => a[0] - b[0]).map(([atEpochMs, series]) => ({ type: 'server', shard, source: `promql:${name}`, atEpochMs, ok: true, series }));
}

/** Every query of `p` over the window; a failed one is one failed record and a warning. */
export async function runQueries(p: ResolvedPrometheus, fromEpochMs: number, toEpochMs: number, shard: string, emit: (r: ServerRecord) => void, warn: (m: string) => void): Promise<void> {
  const agent = httpAgent(p);
  try {
    for (const [name, query] of Object.entries(p.queries)) {
      const r = await queryRange(p, query, fromEpochMs, toEpochMs, agent);
      if (r.ok) {
        const recs = matrixRecords(name, shard, r.result);
        if (recs.length === 0) warn(`server metrics: the PromQL query '${name}' returned no data for the run's window`);
        for (const rec of recs) emit(rec);
      } else {
        warn(`server metrics: the PromQL query '${name}' failed (${r.error})`);
        emit({ type: 'server', shard, source: `promql:${name}`, atEpochMs: toEpochMs, ok: false, error: r.error });
      }
    }
  } finally {
    await agent.close().catch(() => undefined);
  }
}
