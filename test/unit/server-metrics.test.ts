// Server metrics: the exposition parser against vLLM, Envoy/Istio and Knative queue-proxy text,
// histogram quantiles, window summaries, the client-vs-server comparison and PromQL matrices.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition } from '../../src/server-metrics/parse.js';
import { histogramQuantile, pointsOf, selector } from '../../src/server-metrics/points.js';
import { summariseServer } from '../../src/server-metrics/summarise.js';
import { clientVsServer } from '../../src/server-metrics/compare.js';
import { matrixRecords } from '../../src/server-metrics/promql.js';
import type { ServerRecord } from '../../src/server-metrics/types.js';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/server-metrics/${f}`, import.meta.url), 'utf8');
const all = selector(undefined);

describe('exposition parser', () => {
  it('reads vLLM: gauges, _total counters, histograms with le among the labels', () => {
    const fams = parseExposition(fixture('vllm-0.txt'));
    const byName = new Map(fams.map((f) => [f.name, f]));
    expect(byName.get('vllm:num_requests_running')!.type).toBe('gauge');
    expect(byName.get('vllm:num_requests_running')!.samples[0]).toEqual({
      name: 'vllm:num_requests_running',
      labels: { engine: '0', model_name: 'meta-llama/Llama-3.1-8B-Instruct' },
      value: 12,
    });
    expect(byName.get('vllm:prompt_tokens_total')!.type).toBe('counter');
    const ttft = byName.get('vllm:time_to_first_token_seconds')!;
    expect(ttft.type).toBe('histogram');
    // 22 finite buckets, +Inf, _count, _sum
    expect(ttft.samples).toHaveLength(25);
    expect(byName.get('vllm:time_to_first_token_seconds')!.help).toBe('Histogram of time to first token in seconds.');
  });

  it('reads Envoy: TYPE without HELP, empty label sets, exponent values, label values with | and commas', () => {
    const fams = parseExposition(fixture('envoy.txt'));
    const rq = fams.find((f) => f.name === 'envoy_cluster_upstream_rq_total')!;
    expect(rq.samples[0].value).toBe(123410);
    expect(rq.samples[0].labels.envoy_cluster_name).toBe('outbound|80||fraud-predictor-00001.my_project.svc.cluster.local');
    expect(fams.find((f) => f.name === 'envoy_server_live')!.samples[0]).toEqual({ name: 'envoy_server_live', labels: {}, value: 1 });
    const istio = fams.find((f) => f.name === 'istio_requests_total')!;
    expect(istio.samples[1].labels.response_flags).toBe('UF,URX');
    expect(istio.samples[1].labels.grpc_response_status).toBe('');
  });

  it('reads Knative queue-proxy histograms in ms', () => {
    const pts = pointsOf(parseExposition(fixture('queue-proxy.txt')), all);
    const lat = pts.find((p) => p.name === 'revision_request_latencies')!;
    expect(lat.kind).toBe('histogram');
    expect(lat.bounds).toEqual([5, 10, 20]);
    expect(lat.buckets).toEqual([2300, 4850, 5021]);
    expect(lat.count).toBe(5021);
    expect(lat.sum).toBeCloseTo(33120.1);
    expect(lat.labels).not.toHaveProperty('le');
    expect(pts.filter((p) => p.name === 'revision_request_count').map((p) => p.labels.response_code)).toEqual(['200', '503']);
  });

  it('handles escapes, NaN, +Inf, timestamps, _created and comments; rejects a bad line with its number', () => {
    const text = [
      '# a plain comment',
      '# HELP x_total A counter with a \\n newline',
      '# TYPE x_total counter',
      'x_total{path="C:\\\\dir",msg="say \\"hi\\""} 3 1700000000000',
      '# TYPE x_created gauge',
      'x_created 1.7e9',
      '# TYPE q summary',
      'q{quantile="0.5"} NaN',
      'q{quantile="0.9"} 0.25',
      'q_sum 10',
      'q_count 40',
      'g +Inf',
      'h Nan',
      'i -inf',
    ].join('\n');
    const fams = parseExposition(text);
    const x = fams.find((f) => f.name === 'x_total')!;
    expect(x.help).toBe('A counter with a \n newline');
    expect(x.samples[0]).toEqual({ name: 'x_total', labels: { path: 'C:\\dir', msg: 'say "hi"' }, value: 3, timestampMs: 1700000000000 });
    const pts = pointsOf(fams, all);
    expect(pts.map((p) => `${p.name}:${p.kind}`)).toEqual(['x_total:counter', 'q:gauge', 'q_sum:counter', 'q_count:counter']);
    expect(fams.find((f) => f.name === 'h')!.samples[0].value).toBeNaN();
    expect(fams.find((f) => f.name === 'i')!.samples[0].value).toBe(-Infinity);
    expect(() => parseExposition('ok 1\nbroken{le="1} 2')).toThrow(ExpositionError);
    expect(() => parseExposition('ok 1\nbroken{le="1} 2')).toThrow(/line 2/);
    expect(() => parseExposition('x abc')).toThrow(/expected a number as the value of x, got 'abc'/);
  });

  it('select keeps the named families (or samples) only', () => {
    const keep = selector(['vllm:num_requests_waiting', 'vllm:time_to_first_token_seconds']);
    const pts = pointsOf(parseExposition(fixture('vllm-0.txt')), keep);
    expect(pts.map((p) => p.name)).toEqual(['vllm:num_requests_waiting', 'vllm:time_to_first_token_seconds']);
  });
});

describe('histogram quantiles', () => {
  it('interpolates inside the bucket as histogram_quantile does', () => {
    // 100 observations: 50 in (0, 10], 50 in (10, 20]
    expect(histogramQuantile(0.5, [10, 20], [50, 100], 100)).toBe(10);
    expect(histogramQuantile(0.25, [10, 20], [50, 100], 100)).toBe(5);
    expect(histogramQuantile(0.75, [10, 20], [50, 100], 100)).toBe(15);
    // past the last finite bound: that bound
    expect(histogramQuantile(0.99, [10, 20], [50, 90], 100)).toBe(20);
    expect(histogramQuantile(0.5, [10], [0], 0)).toBeNull();
  });
});

const rec = (atEpochMs: number, text: string, select?: string[]): ServerRecord => ({
  type: 'server',
  shard: '0/1',
  source: 'http://10.0.0.5:8000/metrics',
  atEpochMs,
  ok: true,
  series: pointsOf(parseExposition(text), selector(select)),
});

describe('window summaries', () => {
  const T0 = 1_700_000_000_000;
  const records = [rec(T0 - 200, fixture('vllm-0.txt')), rec(T0 + 9_800, fixture('vllm-1.txt')), { type: 'server' as const, shard: '0/1', source: 'http://10.0.0.5:8000/metrics', atEpochMs: T0 + 5000, ok: false, error: 'timed out after 2000 ms' }];
  const s = summariseServer(records, { startEpochMs: T0, endEpochMs: T0 + 10_000 })!;
  const find = (name: string, labels: Record<string, string> = {}) => s.series.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))!;

  it('counts scrapes and failures per source', () => {
    expect(s.scrapes).toBe(3);
    expect(s.failures).toBe(1);
    expect(s.sources[0]).toMatchObject({ scrapes: 3, failures: 1, lastError: 'timed out after 2000 ms' });
  });

  it('gauges: figures of the scrapes inside the window (the baseline before it is not one)', () => {
    expect(find('vllm:num_requests_waiting')).toMatchObject({ kind: 'gauge', min: 7, max: 7, last: 7 });
  });

  it('counters: increase over the window per second, from the baseline before it', () => {
    // 1,285,600 − 1,234,400 prompt tokens over 10 s
    expect(find('vllm:prompt_tokens_total').rate).toBeCloseTo(5120, 0);
    expect(find('vllm:request_success_total', { finished_reason: 'stop' }).rate).toBeCloseTo(15, 5);
    expect(find('vllm:request_success_total', { finished_reason: 'abort' }).rate).toBe(0);
  });

  it('histograms: quantiles of the bucket increase, not of the whole history', () => {
    const ttft = find('vllm:time_to_first_token_seconds');
    expect(ttft.count).toBe(200);
    // of the 200 new: 20 ≤ 0.04 s, 100 ≤ 0.06 s → the median is the 0.06 bucket's top edge
    expect(ttft.p50).toBeCloseTo(0.06, 6);
    // rank 180 lies in (0.08, 0.1]: 0.08 + 0.02 × (180 − 160) / 30
    expect(ttft.p90).toBeCloseTo(0.08 + (0.02 * 20) / 30, 6);
    // the whole history would give a median of ~0.05 s: the window's is its own
    expect(ttft.column).toBe('vllm:time_to_first_token_seconds{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"}');
  });

  it('one timeseries column per series, a value in the second of each scrape', () => {
    expect(s.timeseries.columns).toHaveLength(s.series.length);
    expect(s.timeseries.rows).toHaveLength(10);
    const col = s.timeseries.columns.indexOf('vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"}');
    expect(s.timeseries.rows[9].values[col]).toBe(31);
    expect(s.timeseries.rows[3].values[col]).toBeNull();
  });

  it('a counter reset counts as a restart from 0, as rate() does', () => {
    const c = (t: number, v: number) => rec(t, `# TYPE c_total counter\nc_total ${v}\n`);
    const r = summariseServer([c(T0, 100), c(T0 + 1000, 150), c(T0 + 2000, 20)], { startEpochMs: T0, endEpochMs: T0 + 2000 })!;
    expect(r.series[0].rate).toBe((50 + 20) / 2);
  });

  it('a counter that first shows up mid-run counts from zero at the scrape before it', () => {
    const empty = rec(T0 - 100, '# TYPE other gauge\nother 1\n');
    const c = (t: number, v: number) => rec(t, `# TYPE c_total counter\nc_total{code="200"} ${v}\n`);
    const r = summariseServer([empty, c(T0 + 900, 6), c(T0 + 1900, 10)], { startEpochMs: T0, endEpochMs: T0 + 2000 })!;
    expect(r.series.find((x) => x.name === 'c_total')!.rate).toBe(10 / 2);
  });

  it('compares client and server TTFT and names the difference in ms', () => {
    const cmp = clientVsServer({ ttft: { p50: 75, p90: 120, p99: 200 } }, s.series);
    expect(cmp).toHaveLength(1);
    expect(cmp[0].metric).toBe('ttft');
    expect(cmp[0].serverMs.p50).toBe(60);
    expect(cmp[0].differenceMs.p50).toBe(15);
  });
});

describe('PromQL matrices', () => {
  it('become one record per time step, of gauge points named after the query', () => {
    const recs = matrixRecords('waiting', '0/1', [
      { metric: { __name__: 'x', pod: 'a' }, values: [[1700000000, '1'], [1700000001, '3']] },
      { metric: { pod: 'b' }, values: [[1700000001, 'NaN']] },
    ]);
    expect(recs.map((r) => r.atEpochMs)).toEqual([1700000000000, 1700000001000]);
    expect(recs[1].series).toEqual([{ name: 'waiting', labels: { pod: 'a' }, kind: 'gauge', value: 3 }]);
    expect(recs[0].source).toBe('promql:waiting');
  });
});

describe('server records in results.ndjson', () => {
  it('pass the record check `servebench report` applies; a malformed one is named', async () => {
    const { recordProblem } = await import('../../src/metrics/records-schema.js');
    const ok: ServerRecord = { type: 'server', shard: '0/1', source: 'http://x/metrics', atEpochMs: 1, ok: true, series: [{ name: 'g', labels: {}, kind: 'gauge', value: 1 }] };
    expect(recordProblem(ok)).toBeNull();
    expect(recordProblem({ ...ok, series: [{ name: 'g', labels: {}, kind: 'meter', value: 1 }] })).toMatch(/^series\[0\]\.kind:/);
    expect(recordProblem({ ...ok, ok: 'yes' })).toMatch(/^ok:/);
  });
});

describe('server signals of a saturated sweep step', () => {
  it('name a queue that held requests and a KV cache above 90 %', async () => {
    const { serverSaturation } = await import('../../src/server-metrics/signals.js');
    const g = (name: string, mean: number, max: number, last: number) => ({ name, labels: {}, source: 's', kind: 'gauge' as const, column: name, min: 0, mean, max, last });
    const srv = (series: ReturnType<typeof g>[]) => ({ scrapes: 1, failures: 0, sources: [], series, timeseries: { columns: [], rows: [] }, clientVsServer: [] });
    expect(serverSaturation(undefined)).toEqual([]);
    expect(serverSaturation(srv([g('vllm:num_requests_waiting', 0.2, 1, 0), g('vllm:kv_cache_usage_perc', 0.5, 0.8, 0.6)]))).toEqual([]);
    expect(serverSaturation(srv([g('vllm:num_requests_waiting', 12.3, 30, 30), g('vllm:kv_cache_usage_perc', 0.8, 0.956, 0.95)]))).toEqual([
      "requests waited in vLLM's queue (vllm:num_requests_waiting: mean 12.3, max 30, at the end 30)",
      'KV cache above 90 % (vllm:kv_cache_usage_perc reached 95.6 %)',
    ]);
    expect(serverSaturation(srv([g('revision_queue_depth', 3, 5, 2)]))[0]).toMatch(/^Knative's queue-proxy held requests/);
  });
});
