// Server metrics end to end: the mock's /metrics read by the parser, and a whole run against the
// embedded mock that scrapes it (and a dead endpoint) from the coordinator.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startMock, type MockServer } from '../../src/mock/index.js';
import { parseExposition } from '../../src/server-metrics/parse.js';
import { pointsOf, selector } from '../../src/server-metrics/points.js';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { timeseriesCsv } from '../../src/report/csv.js';
import { renderHtml } from '../../src/report/html.js';
import { scenario, chatWorkload, predictWorkload } from '../helpers/scenario.js';
import type { ResolvedServerEndpoint } from '../../src/scenario/types.js';
import { freePort } from '../helpers/free-port.js';

let mock: MockServer | null = null;
afterEach(async () => {
  await mock?.close();
  mock = null;
});

async function scrape(url: string) {
  const res = await request(`${url}/metrics`);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return pointsOf(parseExposition(await res.body.text()), selector(undefined));
}

function chat(url: string, n: number) {
  return request(`${url}/v1/test/fraud/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'ApiKey k-123456' },
    body: JSON.stringify({ model: 'llm', messages: [{ role: 'user', content: 'hi' }], max_tokens: n, stream: false }),
  }).then((r) => r.body.text());
}

describe('the mock serves /metrics', () => {
  it('with vLLM names: running and waiting follow the batch, the TTFT histogram and token counters fill', async () => {
    mock = await startMock({ apiKeys: ['k-123456'], llm: { maxBatch: 1, decodeMsPerToken: 40, prefillMsPerToken: 0 } });
    const a = chat(mock.url, 10);
    const b = chat(mock.url, 10);
    await new Promise((r) => setTimeout(r, 100));
    const during = await scrape(mock.url);
    const gauge = (name: string) => during.find((p) => p.name === name && p.labels.model_name === 'llm')?.value;
    expect(gauge('vllm:num_requests_running')).toBe(1);
    expect(gauge('vllm:num_requests_waiting')).toBe(1);
    expect(gauge('vllm:kv_cache_usage_perc')).toBe(1);
    await Promise.all([a, b]);
    const after = await scrape(mock.url);
    const ttft = after.find((p) => p.name === 'vllm:time_to_first_token_seconds')!;
    expect(ttft.kind).toBe('histogram');
    expect(ttft.count).toBe(2);
    expect(after.find((p) => p.name === 'vllm:generation_tokens_total')!.value).toBe(20);
    expect(after.find((p) => p.name === 'vllm:request_success_total' && p.labels.finished_reason === 'length')!.value).toBe(2);
    expect(after.find((p) => p.name === 'vllm:num_requests_running')!.value).toBe(0);
    expect(after.find((p) => p.name === 'revision_request_count' && p.labels.response_code === '200')!.value).toBe(2);
  });

  it('KServe-style: the predict histogram by model, and no API key needed for /metrics', async () => {
    mock = await startMock({ apiKeys: ['k-123456'], serviceTime: { type: 'fixed', ms: 20 } });
    const res = await request(`${mock.url}/v1/test/fraud/v1/models/fraud:predict`, { method: 'POST', headers: { authorization: 'ApiKey k-123456' }, body: '{"inputs":[[1]]}' });
    await res.body.text();
    const pts = await scrape(mock.url);
    const h = pts.find((p) => p.name === 'request_predict_seconds')!;
    expect(h.labels).toEqual({ model_name: 'fraud' });
    expect(h.count).toBe(1);
    expect(h.sum).toBeGreaterThanOrEqual(0.019);
  });
});

describe('a run that scrapes the server', () => {
  it('puts the server series in summary.json and timeseries.csv; a dead endpoint is counted, not fatal', { timeout: 60_000 }, async () => {
    const warnings: string[] = [];
    const dead = await freePort();
    const endpoint = (url: string): ResolvedServerEndpoint => ({ url, intervalMs: 500, timeoutMs: 400, select: [], headers: {}, tls: { insecure: false } });
    const s = {
      ...scenario({
        target: { url: 'embedded', embedded: true, mock: { llm: { decodeMsPerToken: 5 } } },
        workloads: [chatWorkload({ model: 'llm', outputTokens: 8 }), predictWorkload()],
        load: { rps: 20, durationMs: 3000 },
      }),
      server: { metrics: [endpoint('embedded'), endpoint(`http://127.0.0.1:${dead}/metrics`)] },
    };
    const { records } = await startRun(s, { onWarning: (m) => warnings.push(m) }).done;
    const sum = buildSummary(records);
    expect(sum.totals.errors).toBe(0);
    expect(sum.totals.ok).toBe(sum.totals.sent);
    const srv = sum.server!;
    expect(srv.failures).toBeGreaterThanOrEqual(5);
    const deadSource = srv.sources.find((x) => x.source.includes(`:${dead}`))!;
    expect(deadSource.failures).toBe(deadSource.scrapes);
    expect(warnings.filter((w) => w.includes(`:${dead}`))[0]).toMatch(/scraping .* failed .*the run goes on/);
    const live = srv.sources.find((x) => x.source.endsWith('/metrics') && !x.source.includes(`:${dead}`))!;
    expect(live.failures).toBe(0);
    expect(live.scrapes).toBeGreaterThanOrEqual(6);

    const ttft = srv.series.find((x) => x.name === 'vllm:time_to_first_token_seconds')!;
    const chats = sum.workloads[0].totals.ok;
    // every measured chat request's first token, give or take the scrape just before the window
    expect(ttft.count).toBeGreaterThanOrEqual(chats - 2);
    expect(ttft.count).toBeLessThanOrEqual(chats + 2);
    const predicted = srv.series.find((x) => x.name === 'request_predict_seconds')!;
    expect(predicted.count).toBeGreaterThanOrEqual(sum.workloads[1].totals.ok - 2);
    const okRate = srv.series.find((x) => x.name === 'revision_request_count' && x.labels.response_code === '200')!.rate!;
    expect(okRate).toBeGreaterThan(12);
    expect(okRate).toBeLessThan(30);
    const cmp = srv.clientVsServer.find((c) => c.metric === 'ttft')!;
    expect(cmp.server).toContain('vllm:time_to_first_token_seconds');
    expect(cmp.clientMs.p50).toBe(sum.metrics.ttft!.p50);

    // one CSV column per series, same row count as the client's
    const csv = timeseriesCsv.render(sum).trim().split('\n');
    expect(csv[0]).toContain('"vllm:num_requests_running{engine=""0"",model_name=""llm""}"');
    expect(csv).toHaveLength(sum.timeseries.length + 1);

    // report.html: the Server section, its charts in the page's chart data, the comparison named
    const html = renderHtml(sum);
    expect(html).toContain('<section id="server">');
    expect(html).toContain('difference: gateway, network, queueing in front of the server');
    expect(html).toContain('vllm:time_to_first_token_seconds');
    const data = JSON.parse(/<script type="application\/json" id="sb-data">([\s\S]*?)<\/script>/.exec(html)![1]) as { charts: Array<{ id: string; kind: string; data: unknown[][] }> };
    const serverCharts = data.charts.filter((c) => c.id.startsWith('server-'));
    expect(serverCharts.length).toBeGreaterThanOrEqual(5);
    const rate = data.charts.find((c) => c.id === 'rate')!;
    for (const c of serverCharts) expect(c.data[0]).toEqual(rate.data[0]);
  });
});
