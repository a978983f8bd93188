import { beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/metrics/summary.js';
import { htmlReport } from '../../src/report/html.js';
import { buildChartData, perSecondRate, spectrumX } from '../../src/report/html-data.js';
import { escapeHtml, fmtMs, fmtNum, jsonForScript } from '../../src/report/html-format.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { sampleRecords, sampleSummary } from '../helpers/sample-summary.js';

/** The chart specs embedded in a rendered report. */
function embeddedData(html: string): { charts: Array<{ id: string; empty?: string; data: unknown[][] }> } {
  const m = /<script type="application\/json" id="sb-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]);
}

describe('html report', () => {
  let summary: Summary;
  let html: string;
  beforeAll(() => {
    summary = sampleSummary();
    html = htmlReport.render(summary);
  });

  it('is registered as the html writer of report.html', () => {
    expect(htmlReport.name).toBe('html');
    expect(htmlReport.file).toBe('report.html');
  });

  it('shows the scenario, target, load and version', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<h1 data-field="scenario">fraud-and-assistant</h1>');
    expect(html).toContain(summary.target.url);
    expect(html).toContain('2025-06-02 09:30:00 UTC');
    expect(html).toContain('v0.1.0');
    expect(html).toContain('constant · target 40 req/s');
  });

  it("shows each workload's p99 latency as formatted in its percentile table", () => {
    for (const w of summary.workloads) {
      const p99 = fmtMs(w.metrics.latency!.p99);
      const table = new RegExp(`<table class="num pct" data-workload="${w.name}">[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
      expect(table).toContain(`<tr data-metric="latency">`);
      expect(table).toMatch(new RegExp(`<tr data-metric="latency">.*?<td data-stat="p99">${p99.replace('.', '\\.')}</td>`));
    }
    // the streaming workload has ttft, tpot and itl rows; the predictive one has none
    const chat = /data-workload="assistant-chat">[\s\S]*?<\/table>/.exec(html)![0];
    for (const m of ['ttft', 'tpot', 'itl']) expect(chat).toContain(`data-metric="${m}"`);
    const predict = /data-workload="fraud-predict">[\s\S]*?<\/table>/.exec(html)![0];
    expect(predict).not.toContain('data-metric="ttft"');
  });

  it('lists every threshold with a PASS or FAIL badge, and counts them at the top', () => {
    for (const t of summary.thresholds) expect(html).toContain(`<code>${escapeHtml(t.expr)}</code>`);
    const passed = summary.thresholds.filter((t) => t.ok).length;
    const failed = summary.thresholds.length - passed;
    expect(passed).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
    expect(html).toContain(`thresholds: ${passed} passed / ${failed} failed`);
    expect(html.match(/class="badge pass">PASS</g)).toHaveLength(passed);
    expect(html.match(/class="badge fail">FAIL</g)).toHaveLength(failed);
  });

  it('shows the saturation banner with every generator warning', () => {
    expect(summary.generator.saturated).toBe(true);
    expect(html).toContain('data-banner="generator"');
    for (const w of summary.generator.warnings) expect(html).toContain(escapeHtml(w));
  });

  it('shows warnings even when the generator was not saturated', () => {
    const s: Summary = { ...summary, generator: { ...summary.generator, saturated: false, warnings: ['12 requests dropped: maxInFlight (400) was reached'] } };
    const out = htmlReport.render(s);
    expect(out).toContain('<div class="banner warn" role="alert" data-banner="generator">');
    expect(out).toContain('12 requests dropped');
  });

  it('shows errors by class, goodput and short outputs', () => {
    for (const c of Object.keys(summary.errors)) expect(html).toContain(`data-error-class="${c}"`);
    expect(html).toContain('data-error-class="dropped"');
    const chat = summary.workloads[1];
    expect(chat.goodput).not.toBeNull();
    expect(html).toContain(`${(chat.goodput!.attainment * 100).toFixed(1)}%`);
    expect(html).toContain(`<span data-field="shortOutputs">${chat.shortOutputs}</span>`);
  });

  it('escapes a hostile scenario name everywhere', () => {
    const evil = '</script><script>alert(1)</script>';
    const s: Summary = { ...summary, scenario: { ...summary.scenario, name: evil }, workloads: summary.workloads.map((w, i) => (i === 0 ? { ...w, name: `${evil}"'&` } : w)), timeseries: summary.timeseries.map((r) => (r.workload === summary.workloads[0].name ? { ...r, workload: `${evil}"'&` } : r)) };
    const out = htmlReport.render(s);
    expect(out).not.toContain(evil);
    expect(out).not.toContain('<script>alert(1)');
    expect(out).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // exactly our three script elements: the data, uPlot and the chart code
    expect(out.match(/<script[\s>]/g)).toHaveLength(3);
    expect(out.match(/<\/script>/g)).toHaveLength(3);
    // the JSON still parses back to the original name
    const data = embeddedData(out);
    expect(JSON.stringify(data)).toContain(`${evil}\\"'&`);
  });

  it('says why a run stopped early', () => {
    const s = { ...sampleSummary({ seconds: 3 }), interrupted: true, stopReason: `threshold 'errors.rate < 1%' failed <now>` };
    const out = htmlReport.render(s);
    expect(out).toContain(`It stopped early: threshold &#39;errors.rate &lt; 1%&#39; failed &lt;now&gt;.`);
  });

  it('renders a run that recorded nothing (killed before its first interval)', () => {
    const start = sampleRecords({ seconds: 1 }).filter((r) => r.type === 'start');
    const empty = buildSummary(start);
    const out = htmlReport.render(empty);
    expect(out).toContain('data-banner="interrupted"');
    expect(out).toContain('No request completed');
    const data = embeddedData(out);
    expect(data.charts.every((c) => typeof c.empty === 'string')).toBe(true);
    expect(out).not.toMatch(/<div class="chart" /);
  });

  it('jsonForScript neutralises markup and round-trips', () => {
    const v = { a: '</script><!-- & \u2028 >' };
    const j = jsonForScript(v);
    expect(j).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(j)).toEqual(v);
  });

  it('references no external resource', () => {
    expect(html).not.toMatch(/\s(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    // uPlot is inlined, not fetched
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=/i);
  });

  it('embeds chart data as columns and omits empty charts with a note', () => {
    const data = embeddedData(html);
    const ids = data.charts.map((c) => c.id);
    expect(ids).toEqual(['rate', 'errors', 'latency', 'tokens', 'heatmap-0', 'heatmap-1', 'latency-spectrum', 'ttft-spectrum', 'ttft-histogram', 'itl-histogram']);
    for (const c of data.charts) {
      expect(c.empty).toBeUndefined();
      expect(html).toContain(`<div class="chart" data-chart="${c.id}">`);
    }
    const rate = data.charts.find((c) => c.id === 'rate')!;
    expect(rate.data[0]).toHaveLength(60);

    // a predict-only run: no ttft, itl or tokens
    const predictOnly: Summary = { ...summary, workloads: [summary.workloads[0]], timeseries: summary.timeseries.filter((r) => r.workload === summary.workloads[0].name) };
    const out = htmlReport.render(predictOnly);
    // Panels with nothing to show are left out, and one line names them with the reason.
    for (const id of ['ttft-spectrum', 'ttft-histogram', 'itl-histogram', 'tokens']) expect(out).not.toContain(`data-chart="${id}"`);
    expect(out).toContain('data-absent="tokens ttft-spectrum ttft-histogram itl-histogram"');
    expect(out).toContain('Not drawn, nothing to show: Output tokens per second (no workload produced output tokens (predictive workloads only)); Percentile spectrum: time to first token (no streaming workload recorded a first token); Distribution: time to first token, Distribution: inter-token latency (no streaming workload in this run).');
    for (const id of ['rate', 'errors', 'latency', 'latency-spectrum']) expect(out).toContain(`<div class="chart" data-chart="${id}">`);
    const spec = embeddedData(out).charts.find((c) => c.id === 'ttft-spectrum')!;
    expect(spec.data).toEqual([]);
  });

  it('draws a partial last second at its own rate and no rate past the measured window', () => {
    const row = { ...summary.timeseries[0], second: 9, rps: 50 };
    expect(perSecondRate(row, 10)).toBe(50);
    expect(perSecondRate(row, 9.25)).toBe(200);
    expect(perSecondRate({ ...row, second: 10 }, 10)).toBeNull();
    // A run's drain second (requests finishing after the last slot) shows no drop to 0.
    const s = sampleSummary({ seconds: 5 });
    const drain = s.timeseries.filter((r) => r.second === 4).map((r) => ({ ...r, second: 5, rps: 0, sent: 0 }));
    const withDrain: Summary = { ...s, timeseries: [...s.timeseries, ...drain] };
    const rate = buildChartData(withDrain).charts.find((c) => c.id === 'rate')!;
    expect(rate.data[0]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rate.data[1].at(-1)).toBeNull();
    expect(rate.data[2].at(-1)).toBeNull();
    expect(rate.data[1].slice(0, 5).every((v) => typeof v === 'number' && v > 0)).toBe(true);
  });

  it('marks count axes as whole numbers and fades each target line apart from its measured one', () => {
    const charts = buildChartData(summary).charts;
    const errors = charts.find((c) => c.id === 'errors')!;
    expect(errors.yInteger && errors.y2Integer).toBe(true);
    const rate = charts.find((c) => c.id === 'rate')!;
    const [achieved, target] = rate.series;
    expect(target.color).not.toBe(achieved.color);
    expect(target.dash).toBeDefined();
    expect(achieved.dash).toBeUndefined();
  });

  it('puts the spectrum on a log scale of 1/(1-p) ending at 99.99', () => {
    expect(spectrumX(0)).toBe(0);
    expect(spectrumX(90)).toBe(1);
    expect(spectrumX(99)).toBe(2);
    expect(spectrumX(99.9)).toBe(3);
    expect(spectrumX(99.99)).toBe(4);
    const spec = buildChartData(summary).charts.find((c) => c.id === 'latency-spectrum')!;
    expect(Math.max(...(spec.data[0] as number[]))).toBe(4);
    // values rise with the percentile, and the 99% point is the summary's p99
    const chatY = spec.data[2] as number[];
    expect([...chatY].sort((a, b) => a - b)).toEqual(chatY);
    const x = spec.data[0] as number[];
    expect(chatY[x.indexOf(2)]).toBe(summary.workloads[1].metrics.latency!.p99);
  });

  it('counts every ttft value in the histogram (drawn or noted as beyond the range)', () => {
    const spec = buildChartData(summary).charts.find((c) => c.id === 'ttft-histogram')!;
    const counts = spec.data[1] as number[];
    const drawn = counts.slice(0, -1).reduce((a, b) => a + b, 0);
    const beyond = spec.note ? Number(/^([\d,]+)/.exec(spec.note)![1].replace(/,/g, '')) : 0;
    expect(drawn + beyond).toBe(summary.workloads[1].metrics.ttft!.count);
  });

  it('formats numbers independently of the locale', () => {
    expect(fmtMs(0.0421)).toBe('0.042');
    expect(fmtMs(4.213)).toBe('4.21');
    expect(fmtMs(42.13)).toBe('42.1');
    expect(fmtMs(4213.4)).toBe('4,213');
    expect(fmtNum(39.5)).toBe('39.5');
    expect(fmtNum(1234567)).toBe('1,234,567');
  });

  // One worker: the report's size depends on seconds × workloads, not on workers, and
  // buildSummary's cost grows with the number of interval records.
  it('stays under 2 MB for a 10-minute run with three workloads', { timeout: 180_000 }, () => {
    const big = sampleSummary({ seconds: 600, workloads: 3, workers: 1 });
    const out = htmlReport.render(big);
    const bytes = Buffer.byteLength(out, 'utf8');
    console.log(`report.html of a 600-interval × 3-workload run: ${(bytes / 1024).toFixed(1)} KB`);
    expect(embeddedData(out).charts.find((c) => c.id === 'rate')!.data[0]).toHaveLength(600);
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
  });
});
