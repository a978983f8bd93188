// `compare` on the server's series: matched by name and labels across runs (not by source URL),
// judged with the client metrics' tolerance and interval rules, shown in every output; series of
// one run only are listed, never failed.
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/core.js';
import { runDataOf } from '../../src/compare/load.js';
import { directionOf } from '../../src/compare/server.js';
import type { Comparison, RunData } from '../../src/compare/types.js';
import { compareCsv, compareText } from '../../src/report/compare.js';
import { renderCompareHtml } from '../../src/report/compare-html.js';
import { markdownComparison } from '../../src/report/markdown.js';
import { seriesColumn } from '../../src/server-metrics/summarise.js';
import type { ServerSeriesSummary, ServerSummary } from '../../src/server-metrics/types.js';
import { syntheticRun } from '../helpers/synthetic-run.js';

const L = { engine: '0', model_name: 'm' };
interface Def {
  s: Omit<ServerSeriesSummary, 'column' | 'labels' | 'source'> & { labels?: Record<string, string> };
  /** Per-second values for timeseries (gauge value, counter rate). */
  perSecond?: number[];
}

function server(source: string, defs: Def[]): ServerSummary {
  const series = defs.map((d) => ({ labels: L, ...d.s, source, column: seriesColumn(d.s.name, d.s.labels ?? L) }));
  const seconds = Math.max(0, ...defs.map((d) => d.perSecond?.length ?? 0));
  const rows = Array.from({ length: seconds }, (_, i) => ({ second: i, values: defs.map((d) => d.perSecond?.[i] ?? null) }));
  return { scrapes: seconds, failures: 0, sources: [{ source, scrapes: seconds, failures: 0 }], series, timeseries: { columns: series.map((x) => x.column), rows }, clientVsServer: [] };
}

function run(label: string, srv: ServerSummary | undefined): RunData {
  const { records, summary } = syntheticRun({ seconds: 10, seed: 4 });
  return runDataOf(label, `${label}/summary.json`, { ...summary, ...(srv ? { server: srv } : {}) }, records);
}

const steady = (v: number, n = 10) => Array.from({ length: n }, (_, i) => v + (i % 2 ? 0.1 : -0.1) * v);
const gauge = (name: string, mean: number): Def => ({ s: { name, kind: 'gauge', min: 0, mean, max: mean * 1.5, last: mean }, perSecond: steady(mean) });
const counter = (name: string, rate: number): Def => ({ s: { name, kind: 'counter', rate }, perSecond: steady(rate) });
const histo = (name: string, p50: number, p99: number, count = 2000): Def => ({ s: { name, kind: 'histogram', p50, p90: (p50 + p99) / 2, p99, count } });

const entry = (c: Comparison, series: string, stat: string) => c.metrics.find((m) => m.workload === 'server' && m.metric === series && m.stat === stat);
const col = (name: string) => seriesColumn(name, L);

describe('compare on server series', () => {
  // The same series in both runs (scraped from different ports), and one of each run's own.
  const fixture = (source: string, waiting: number, tokens: number, ttft: [number, number], running: number, own: string) =>
    server(source, [gauge('vllm:num_requests_waiting', waiting), counter('vllm:generation_tokens_total', tokens), histo('vllm:time_to_first_token_seconds', ...ttft), gauge('vllm:num_requests_running', running), gauge(own, 1)]);
  const base = fixture('http://127.0.0.1:40001/metrics', 0.5, 1000, [0.02, 0.05], 4, 'vllm:only_base');
  const cand = fixture('http://127.0.0.1:40999/metrics', 6, 990, [0.021, 0.2], 12, 'vllm:only_cand');
  const c = compareRuns(run('baseline', base), run('candidate', cand));

  it('matches series by name and labels across sources and judges them like client metrics', () => {
    expect(c.server).toEqual({ compared: 4, onlyInBaseline: [col('vllm:only_base')], onlyInCandidate: [col('vllm:only_cand')] });
    const waiting = entry(c, col('vllm:num_requests_waiting'), 'mean')!;
    expect(waiting).toMatchObject({ baseline: 0.5, candidate: 6, better: 'lower', verdict: 'regression', tolerance: 0.1, toleranceKind: 'relative' });
    expect(waiting.ci).not.toBeNull(); // per-second values give an interval
    expect(waiting.reason).toBe('beyond the tolerance (±10%) and the noise');
    const tokens = entry(c, col('vllm:generation_tokens_total'), 'rate')!;
    expect(tokens).toMatchObject({ unit: '/s', better: 'higher', verdict: 'same' });
    expect(tokens.reason).toBe('within the tolerance (±10%)');
    // a time histogram is compared in ms, percentile by percentile, on the tolerance alone
    const p99 = entry(c, col('vllm:time_to_first_token_seconds'), 'p99')!;
    expect(p99).toMatchObject({ unit: 'ms', baseline: 50, candidate: 200, verdict: 'regression', ci: null });
    expect(entry(c, col('vllm:time_to_first_token_seconds'), 'p50')!.verdict).toBe('same');
    // a series with no known direction is shown, not judged
    const running = entry(c, col('vllm:num_requests_running'), 'mean')!;
    expect(running).toMatchObject({ better: 'either', verdict: 'same' });
    expect(running.reason).toMatch(/^not judged: .*which way is better is not known for this series$/);
    // series of one run only are not entries, and the regressions count the server's
    expect(c.metrics.some((m) => m.metric.includes('only_'))).toBe(false);
    expect(c.regressions).toBe(c.metrics.filter((m) => m.verdict === 'regression').length);
    expect(c.metrics.filter((m) => m.workload === 'server' && m.verdict === 'regression').map((m) => m.stat)).toEqual(['mean', 'p90', 'p99']);
  });

  it('takes --tolerance-for server.<stat>, and judges a gauge whose seconds disagree as noise', () => {
    const loose = compareRuns(run('baseline', base), run('candidate', cand), { toleranceFor: { 'server.p99': 5, 'server.mean': 20 } });
    expect(entry(loose, col('vllm:time_to_first_token_seconds'), 'p99')!).toMatchObject({ tolerance: 5, verdict: 'same' });
    expect(entry(loose, col('vllm:num_requests_waiting'), 'mean')!.verdict).toBe('same');
    // mean 2 vs 3, but the candidate's seconds swing from 0 to 12: the interval reaches the tolerance
    const a = server('a', [{ ...gauge('vllm:num_requests_waiting', 2) }]);
    const b = server('b', [{ s: { name: 'vllm:num_requests_waiting', kind: 'gauge', mean: 3 }, perSecond: [0, 0, 0, 12, 0, 0, 0, 0, 18, 0] }]);
    const noisy = entry(compareRuns(run('baseline', a), run('candidate', b)), col('vllm:num_requests_waiting'), 'mean')!;
    expect(noisy.verdict).toBe('same');
    expect(noisy.reason).toMatch(/not beyond the noise/);
  });

  it('warns, compares nothing and fails nothing when one run has no server metrics', () => {
    const one = compareRuns(run('baseline', undefined), run('candidate', cand));
    expect(one.warnings).toContain('only the candidate has server metrics (scenario server:): its series are listed, not compared');
    expect(one.server!.onlyInCandidate).toHaveLength(5);
    expect(one.metrics.some((m) => m.workload === 'server')).toBe(false);
    expect(compareRuns(run('baseline', undefined), run('candidate', undefined)).server).toBeUndefined();
  });

  it('shows them in the console text, Markdown, HTML and CSV', () => {
    const text = compareText(c);
    expect(text).toMatch(/server series: 4 in both runs \(matched by name and labels\), 6 figures compared/);
    expect(text).toMatch(/server\s+vllm:num_requests_waiting\{engine="0",model_name="m"\}\.mean\s+0\.500\s+6\.00\s+\+1100\.0%.*REGRESSION/);
    expect(text).toContain(`only in the candidate (not compared): ${col('vllm:only_cand')}`);
    const md = markdownComparison(c);
    expect(md).toContain('**Server series**: 4 in both runs');
    expect(md).toContain('| `vllm:time_to_first_token_seconds{engine="0",model_name="m"}` | p99 | 50.0 ms | 200 ms | +300.0% | — | :x: regression |');
    expect(md).toContain(`- only in the baseline (not compared): ${col('vllm:only_base')}`);
    const html = renderCompareHtml({ comparison: c, baseline: run('b', base).summary, candidate: run('c', cand).summary });
    expect(html).toContain('<section id="server">');
    expect(html).toContain(`data-metric="${col('vllm:num_requests_waiting').replace(/"/g, '&quot;')}.mean" data-verdict="regression"`);
    expect(html).toContain('data-field="only-in-candidate"');
    const csv = compareCsv.render({ comparison: c, baseline: run('b', base).summary, candidate: run('c', cand).summary });
    expect(csv.split('\n').filter((l) => l.startsWith('server,'))).toHaveLength(6);
  });

  it('knows which way is better for the usual server series', () => {
    expect(directionOf({ name: 'vllm:kv_cache_usage_perc', kind: 'gauge' })).toBe('lower');
    expect(directionOf({ name: 'revision_queue_depth', kind: 'gauge' })).toBe('lower');
    expect(directionOf({ name: 'vllm:e2e_request_latency_seconds', kind: 'histogram' })).toBe('lower');
    expect(directionOf({ name: 'vllm:request_prompt_tokens', kind: 'histogram' })).toBe('either');
    expect(directionOf({ name: 'vllm:num_preemptions_total', kind: 'counter' })).toBe('lower');
    expect(directionOf({ name: 'vllm:request_success_total', kind: 'counter' })).toBe('higher');
    expect(directionOf({ name: 'revision_request_count', kind: 'counter' })).toBe('either');
  });
});
