// A sweep step with the server's series: the saturation reason names the server signal that moved,
// the step carries the series' window figures (sweep.json), and sweep.html plots them per step.
import { describe, expect, it } from 'vitest';
import { answerOf, stepFrom, type MeasureInput, type SweepStep } from '../../src/sweep/core.js';
import { renderSweepHtml, sweepCharts } from '../../src/sweep/report.js';
import type { SweepResult } from '../../src/sweep/run.js';
import { MAX_SERVER_CHARTS, serverSweepCharts } from '../../src/sweep/server-charts.js';
import { stepServer } from '../../src/sweep/server.js';
import type { ServerSeriesSummary, ServerSummary } from '../../src/server-metrics/types.js';
import { sampleSummary } from '../helpers/sample-summary.js';

const labels = { engine: '0', model_name: 'm' };
const gauge = (name: string, mean: number, max: number, last: number): ServerSeriesSummary => ({ name, labels, source: 'embedded', kind: 'gauge', column: `${name}{model}`, min: 0, mean, max, last });
const counter = (name: string, rate: number): ServerSeriesSummary => ({ name, labels, source: 'embedded', kind: 'counter', column: `${name}{model}`, rate });
const histo = (name: string, p50: number, p99: number): ServerSeriesSummary => ({ name, labels, source: 'embedded', kind: 'histogram', column: `${name}{model}`, p50, p90: (p50 + p99) / 2, p99, count: 100 });
const server = (series: ServerSeriesSummary[]): ServerSummary => ({ scrapes: 10, failures: 1, sources: [], series, timeseries: { columns: [], rows: [] }, clientVsServer: [] });

function input(srv: ServerSummary | undefined): MeasureInput {
  const summary = { ...sampleSummary({ seconds: 5 }), server: srv };
  return {
    index: 0,
    value: 40,
    unit: 'rps',
    attempts: 1,
    summary,
    windows: [{ completed: 40, latencyP50Ms: 10 }, { completed: 40, latencyP50Ms: 10 }, { completed: 40, latencyP50Ms: 10 }],
    meanInFlight: 3,
    conditions: [],
    stability: 0.1,
    baselineErrorRate: 1, // errors do not count here: only the server's reasons are under test
    previous: null,
  };
}

describe('a sweep step with server series', () => {
  it('names the queue that grew and the KV cache above 90 % in its saturation reason, and fails', () => {
    const without = stepFrom(input(undefined));
    expect(without.server).toBeUndefined();
    const calm = stepFrom(input(server([gauge('vllm:num_requests_waiting', 0.3, 2, 0), gauge('vllm:kv_cache_usage_perc', 0.4, 0.6, 0.5)])));
    expect(calm.saturation).toEqual(without.saturation);
    const full = stepFrom(input(server([gauge('vllm:num_requests_waiting', 7.5, 14, 14), gauge('vllm:kv_cache_usage_perc', 0.85, 0.97, 0.96)])));
    expect(full.saturation.slice(without.saturation.length)).toEqual([
      "requests waited in vLLM's queue (vllm:num_requests_waiting: mean 7.5, max 14, at the end 14)",
      'KV cache above 90 % (vllm:kv_cache_usage_perc reached 97 %)',
    ]);
    expect(full.pass).toBe(false);
  });

  it('carries every series with its window figures, per kind', () => {
    const step = stepFrom(input(server([gauge('vllm:num_requests_running', 3, 4, 2), counter('vllm:generation_tokens_total', 812.5), histo('vllm:time_to_first_token_seconds', 0.02, 0.3)])));
    expect(step.server).toEqual({
      scrapes: 10,
      failures: 1,
      series: [
        { series: 'vllm:num_requests_running{model}', name: 'vllm:num_requests_running', labels, kind: 'gauge', mean: 3, max: 4, last: 2 },
        { series: 'vllm:generation_tokens_total{model}', name: 'vllm:generation_tokens_total', labels, kind: 'counter', rate: 812.5 },
        { series: 'vllm:time_to_first_token_seconds{model}', name: 'vllm:time_to_first_token_seconds', labels, kind: 'histogram', p50: 0.02, p90: 0.16, p99: 0.3, count: 100 },
      ],
    });
    expect(stepServer(undefined)).toBeUndefined();
  });
});

function step(index: number, value: number, series: ServerSeriesSummary[] | null): SweepStep {
  return {
    index, value, unit: 'rps', attempts: 1, startedAt: '2026-01-01T00:00:00.000Z', durationS: 1, achievedRps: value, throughputRps: value,
    latencyMs: { p50: 10, p90: 12, p95: 13, p99: 15 + value / 10 }, ttftMs: null, tpotMs: null, completed: value, errors: 0, errorRate: 0, dropped: 0,
    goodputRps: null, outputTokensPerS: 0, meanInFlight: 1, conditions: [], saturation: [], generatorSaturated: false, stable: true, pass: true,
    ...(series ? { server: stepServer(server(series)) } : {}),
  };
}

describe('sweep.html server charts', () => {
  // Steps run out of order (a search); the charts read them by offered rate.
  const steps = [
    step(0, 20, [counter('vllm:generation_tokens_total', 400), gauge('vllm:num_requests_waiting', 0, 0, 0), histo('vllm:e2e_request_latency_seconds', 0.4, 0.6)]),
    step(1, 80, [counter('vllm:generation_tokens_total', 900), gauge('vllm:num_requests_waiting', 9, 20, 18), histo('vllm:e2e_request_latency_seconds', 1.5, 3)]),
    step(2, 40, [counter('vllm:generation_tokens_total', 800), gauge('vllm:num_requests_waiting', 0.2, 1, 0)]),
  ];

  it('draws one chart per series against the offered rate, the queue first', () => {
    const { charts, total } = serverSweepCharts(steps, 'offered rate (rps)');
    expect(total).toBe(3);
    expect(charts.map((c) => c.title)).toEqual([
      'vllm:num_requests_waiting {model_name=m} (mean and max per step)',
      'vllm:e2e_request_latency_seconds {model_name=m} (percentiles per step)',
      'vllm:generation_tokens_total {model_name=m} (rate per step)',
    ]);
    const [queue, e2e, tokens] = charts;
    expect(queue.kind).toBe('xy');
    expect(queue.series.map((s) => s.label)).toEqual(['mean', 'max']);
    expect(queue.data).toEqual([[20, 40, 80], [0, 0.2, 9], [0, 1, 20]]);
    expect(e2e.series.map((s) => s.label)).toEqual(['p50', 'p90', 'p99']);
    expect(e2e.yLabel).toBe('value (s)');
    // the 40 rps step had no e2e histogram: a gap, not a zero
    expect(e2e.data[3]).toEqual([0.6, null, 3]);
    expect(tokens.data).toEqual([[20, 40, 80], [400, 800, 900]]);
  });

  it('draws at most MAX_SERVER_CHARTS and says where the rest are; no section without server data', () => {
    const many = Array.from({ length: MAX_SERVER_CHARTS + 3 }, (_, i) => gauge(`g${i}`, i, i, i));
    const result: SweepResult = {
      schemaVersion: 1,
      scenario: { name: 'sw', file: '' },
      target: { url: 'embedded', routing: 'path', deployment: 'd' },
      sweep: { mode: 'ladder', over: 'rate', values: [20, 40], from: 0, to: 40, stepDurationMs: 1000, warmupMs: 0, precision: 0.05, stability: 0.1, maxRepeats: 0, maxSteps: 2, stopEarly: false, until: [] },
      startedAt: '2026-01-01T00:00:00.000Z',
      elapsedS: 2,
      interrupted: false,
      generative: false,
      answer: answerOf([], 'rps', 40),
      planning: null,
      steps: [step(0, 20, many), step(1, 40, many)],
    };
    const html = renderSweepHtml(result);
    expect(html).toContain('<section id="server">');
    expect(html).toContain(`The first ${MAX_SERVER_CHARTS} of ${MAX_SERVER_CHARTS + 3} series are drawn`);
    const data = JSON.parse(/<script type="application\/json" id="sb-data">([\s\S]*?)<\/script>/.exec(html)![1]) as { charts: Array<{ id: string }> };
    expect(data.charts.filter((c) => c.id.startsWith('sweep-server-'))).toHaveLength(MAX_SERVER_CHARTS);
    expect(data.charts.length).toBe(sweepCharts(result).length + MAX_SERVER_CHARTS);
    const plain = renderSweepHtml({ ...result, steps: [step(0, 20, null)] });
    expect(plain).not.toContain('<section id="server">');
  });
});
