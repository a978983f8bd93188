// Server metrics with a real Prometheus server (Debian's `prometheus`, which .ci/run installs):
// it scrapes the mock's /metrics (so the mock's exposition passes Prometheus's own parser), a run
// reads it back through PromQL range queries, and servebench's scraper reads Prometheus's own
// /metrics (real client_golang exposition text).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startMock, type MockServer } from '../../src/mock/index.js';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { scenario, chatWorkload } from '../helpers/scenario.js';
import { freePort } from '../helpers/free-port.js';
import type { ResolvedScenario } from '../../src/scenario/types.js';

const bin = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
if (!bin) console.warn('server-metrics-prometheus: skipped, no `prometheus` binary on PATH (apt-get install prometheus; .ci/run does)');

const KEY = 'k-prom-123456';
let mock: MockServer;
let prom: ChildProcess;
let promUrl: string;
let dir: string;
let promLog = '';

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
  return { status: res.statusCode, text: await res.body.text() };
}

async function waitFor(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; prometheus said:\n${promLog.slice(-2000)}`);
}

async function instant(query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const r = await get(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  return (JSON.parse(r.text) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
}

describe.skipIf(!bin)('with a real Prometheus server', () => {
  beforeAll(async () => {
    mock = await startMock({ apiKeys: [KEY], llm: { decodeMsPerToken: 5, prefillMsPerToken: 0.2 } });
    dir = mkdtempSync(join(tmpdir(), 'servebench-prom-'));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const cfg = join(dir, 'prometheus.yml');
    writeFileSync(
      cfg,
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: mock\n    static_configs:\n      - targets: ['127.0.0.1:${mock.port}']\n`,
    );
    prom = spawn(bin, [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
    prom.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
    await waitFor('prometheus to be ready', async () => (await get(`${promUrl}/-/ready`)).status === 200, 30_000);
    // The mock's text passes Prometheus's parser: the target is up.
    await waitFor('the mock to be scraped', async () => (await instant('up{job="mock"}'))[0]?.value[1] === '1', 15_000);
  }, 60_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom.once('exit', r));
      prom.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (prom.exitCode === null) prom.kill('SIGKILL');
    }
    await mock?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('PromQL path: a run queries the series Prometheus scraped from the mock over its window', { timeout: 60_000 }, async () => {
    const s: ResolvedScenario = {
      ...scenario({
        target: { url: mock.url, apiKey: KEY },
        workloads: [chatWorkload({ model: 'llm', outputTokens: 16 })],
        load: { rps: 20, durationMs: 4000 },
      }),
      server: {
        metrics: [],
        prometheus: {
          url: promUrl,
          queries: {
            running: 'sum(vllm:num_requests_running)',
            okRate: 'sum(rate(revision_request_count{response_code="200"}[3s]))',
            ttftP50: 'histogram_quantile(0.5, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[3s])))',
            broken: 'sum(',
          },
          stepMs: 1000,
          timeoutMs: 5000,
          headers: {},
          tls: { insecure: false },
        },
      },
    };
    // Prometheus scrapes once a second: let the last second of load reach it before the queries.
    const warnings: string[] = [];
    const { records } = await startRun(s, { onWarning: (m) => warnings.push(m), graceMs: 1500 }).done;
    const sum = buildSummary(records);
    expect(sum.totals.ok).toBe(sum.totals.sent);
    const srv = sum.server!;
    const series = (name: string) => srv.series.find((x) => x.name === name && x.source === `promql:${name}`);
    const okRate = series('okRate')!;
    // 20 requests/s through the mock, as Prometheus's rate() over 3 s windows sees them
    expect(okRate.kind).toBe('gauge');
    expect(okRate.max!).toBeGreaterThan(10);
    expect(okRate.max!).toBeLessThan(40);
    expect(series('running')!.max!).toBeGreaterThan(0);
    expect(series('ttftP50')!.mean!).toBeGreaterThan(0);
    // A bad query is a counted failure and a warning, not a failed run.
    expect(srv.sources.find((x) => x.source === 'promql:broken')).toMatchObject({ failures: 1 });
    expect(warnings.some((w) => w.includes("PromQL query 'broken' failed"))).toBe(true);
    // the series are on the run's seconds
    const col = srv.timeseries.columns.indexOf('okRate');
    expect(srv.timeseries.rows.filter((r) => r.values[col] !== null).length).toBeGreaterThanOrEqual(3);
  });

  it("scrape path: servebench's scraper reads Prometheus's own /metrics (client_golang's text)", { timeout: 60_000 }, async () => {
    const s: ResolvedScenario = {
      ...scenario({ target: { url: mock.url, apiKey: KEY }, workloads: [chatWorkload({ model: 'llm', outputTokens: 4 })], load: { rps: 10, durationMs: 2000 } }),
      server: {
        metrics: [
          {
            url: `${promUrl}/metrics`,
            intervalMs: 500,
            timeoutMs: 2000,
            select: ['prometheus_http_requests_total', 'go_goroutines', 'prometheus_http_request_duration_seconds', 'prometheus_target_interval_length_seconds'],
            headers: {},
            tls: { insecure: false },
          },
        ],
      },
    };
    const { records } = await startRun(s).done;
    const srv = buildSummary(records).server!;
    expect(srv.failures).toBe(0);
    const kinds = new Map(srv.series.map((x) => [x.name, x.kind]));
    expect(kinds.get('go_goroutines')).toBe('gauge');
    expect(kinds.get('prometheus_http_requests_total')).toBe('counter');
    expect(kinds.get('prometheus_http_request_duration_seconds')).toBe('histogram');
    // a summary's quantiles come through as gauges labelled by quantile
    expect(srv.series.some((x) => x.name === 'prometheus_target_interval_length_seconds' && x.labels.quantile === '0.5')).toBe(true);
    // our own scrapes of /metrics, counted by Prometheus: about two a second
    const own = srv.series.find((x) => x.name === 'prometheus_http_requests_total' && x.labels.handler === '/metrics')!;
    expect(own.rate!).toBeGreaterThan(1);
    expect(own.rate!).toBeLessThan(4);
  });
});
