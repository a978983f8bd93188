// --metrics-port: servebench's live metrics (prom-client) during a run against the embedded mock,
// and the Grafana dashboard that shows them (every metric it queries must be one servebench serves).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { parseMetricsPort, serveLiveMetrics } from '../../src/live/server.js';
import { LIVE_METRICS } from '../../src/live/metrics.js';
import { parseExposition } from '../../src/server-metrics/parse.js';
import { scenario, chatWorkload, predictWorkload } from '../helpers/scenario.js';

async function scrapeLive(port: number) {
  const res = await request(`http://127.0.0.1:${port}/metrics`);
  expect(res.statusCode).toBe(200);
  return parseExposition(await res.body.text());
}

const sampleValue = (fams: ReturnType<typeof parseExposition>, name: string, labels: Record<string, string>) =>
  fams.find((f) => f.name === name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('--metrics-port', () => {
  it('serves the run as it goes: counts by workload and status match the summary; percentiles and health are there', { timeout: 60_000 }, async () => {
    const live = await serveLiveMetrics(0, '127.0.0.1');
    try {
      const s = scenario({
        target: { url: 'embedded', embedded: true, mock: { llm: { decodeMsPerToken: 5 }, faults: { errorRate: 0.2 } } },
        workloads: [chatWorkload({ model: 'llm' }), predictWorkload()],
        load: { rps: 30, durationMs: 3000, workers: 2 },
      });
      let midRun: ReturnType<typeof parseExposition> | null = null;
      const { records } = await startRun(s, {
        onRecord: (r) => {
          live.metrics.onRecord(r);
          if (r.type === 'interval' && r.index === 1 && !midRun) void scrapeLive(live.port).then((f) => (midRun = f));
        },
      }).done;
      const sum = buildSummary(records);
      const fams = await scrapeLive(live.port);
      expect(midRun).not.toBeNull();
      for (const w of sum.workloads) {
        expect(sampleValue(fams, LIVE_METRICS.sent, { workload: w.name })).toBe(w.totals.sent);
        expect(sampleValue(fams, LIVE_METRICS.completed, { workload: w.name, status: 'ok' })).toBe(w.totals.ok);
        expect(sampleValue(fams, LIVE_METRICS.completed, { workload: w.name, status: 'http_500' })).toBe(w.errors.http_500);
      }
      expect(sampleValue(fams, LIVE_METRICS.info, { scenario: 'test', shard: '0/1' })).toBe(1);
      expect(sampleValue(fams, LIVE_METRICS.targetRps, {})).toBe(30);
      expect(sampleValue(fams, LIVE_METRICS.latency, { workload: 'chat', quantile: '0.99' })).toBeGreaterThan(0);
      expect(sampleValue(fams, LIVE_METRICS.ttft, { workload: 'chat', quantile: '0.5' })).toBeGreaterThan(0);
      expect(sampleValue(fams, LIVE_METRICS.elu, { worker: '1' })).toBeGreaterThanOrEqual(0);
      expect(sampleValue(fams, LIVE_METRICS.second, {})).toBeGreaterThanOrEqual(2);
      const res = await request(`http://127.0.0.1:${live.port}/other`);
      expect(res.statusCode).toBe(404);
      await res.body.dump();
    } finally {
      await live.close();
    }
  });

  it('rejects a port that is not one, and names a taken port', async () => {
    expect(parseMetricsPort('9464')).toBe(9464);
    expect(() => parseMetricsPort('94x')).toThrow(/--metrics-port '94x' is not a port number/);
    expect(() => parseMetricsPort('70000')).toThrow(/not a port number/);
    const a = await serveLiveMetrics(0, '127.0.0.1');
    try {
      await expect(serveLiveMetrics(a.port, '127.0.0.1')).rejects.toThrow(/--metrics-port \d+: cannot listen \(EADDRINUSE\)/);
    } finally {
      await a.close();
    }
  });
});

describe('the Grafana dashboard (deploy/grafana/servebench-live.json)', () => {
  const dash = JSON.parse(readFileSync(new URL('../../deploy/grafana/servebench-live.json', import.meta.url), 'utf8')) as {
    uid: string;
    title: string;
    schemaVersion: number;
    templating: { list: Array<{ name: string; type: string; query?: string | { query: string } }> };
    panels: Array<{ id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource: { uid: string }; targets: Array<{ refId: string; expr: string }> }>;
  };

  it('has the shape Grafana imports: uid, schemaVersion, panels with unique ids inside the 24-column grid', () => {
    expect(dash.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dash.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
    for (const p of dash.panels) {
      expect(['timeseries', 'stat']).toContain(p.type);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.targets.length).toBeGreaterThan(0);
      expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
      // the datasource is the dashboard's variable, so it imports into any Grafana
      expect(p.datasource.uid).toBe('${datasource}');
    }
    expect(dash.templating.list.map((v) => v.name)).toEqual(['datasource', 'job']);
  });

  it('queries only metrics servebench serves (checked against a live registry, not a list)', async () => {
    const live = await serveLiveMetrics(0, '127.0.0.1');
    try {
      const served = new Set<string>();
      for (const f of await scrapeLive(live.port)) for (const s of f.samples) served.add(s.name);
      // counters and labelled gauges appear once they have a value: declare them by HELP/TYPE too
      const text = await (await request(`http://127.0.0.1:${live.port}/metrics`)).body.text();
      for (const m of text.matchAll(/^# TYPE (\S+)/gm)) served.add(m[1]);
      const exprs = [...dash.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...dash.templating.list.map((v) => (typeof v.query === 'object' ? v.query.query : ''))];
      const used = new Set(exprs.flatMap((x) => [...x.matchAll(/\b(servebench_[a-z0-9_]+)/g)].map((m) => m[1])));
      expect(used.size).toBeGreaterThanOrEqual(10);
      for (const name of used) expect(served, `${name} is not served`).toContain(name);
      for (const name of Object.values(LIVE_METRICS)) expect(used, `${name} has no panel`).toContain(name);
    } finally {
      await live.close();
    }
  });
});
