/**
 * compare.html: one self-contained page for a comparison. It is built from the report's own parts
 * (stylesheet, uPlot inlining, chart specs, the browser script that draws them), so the two pages
 * look and behave alike: the verdict table first, then both runs' percentile spectra and time
 * series overlaid (baseline solid, candidate dashed).
 */
import { decode, spectrum } from '../metrics/hdr.js';
import type { MetricName } from '../metrics/records.js';
import type { Summary } from '../metrics/summary-types.js';
import { CLIENT_JS } from './html-client.js';
import { SPECTRUM_MAX_PERCENTILE, perSecondRate, spectrumX, workloadColor, type ChartSpec } from './html-data.js';
import { escapeHtml as e, fmtInstant, fmtMs, fmtNum, jsonForScript } from './html-format.js';
import { inlineScript, pageHead, uplot } from './html.js';
import { VERSION } from '../version.js';
import { SERVER, type CompareEntry, type CompareReport } from '../compare/types.js';
import type { CompareWriter } from './compare.js';

const BASE_COLOR = workloadColor(0);
const CAND_COLOR = workloadColor(1);

const COMPARE_CSS = `
table.cmp td, table.cmp th { padding: 4px 8px; border-bottom: 1px solid var(--line); }
table.cmp td.r { text-align: right; font-variant-numeric: tabular-nums; }
table.cmp tr.regression { background: var(--bad-bg); }
table.cmp tr.improvement { background: var(--ok-bg); }
.method { font-size: 13px; color: var(--muted); max-width: 100ch; }
`;

function spectrumOverlay(r: CompareReport, m: MetricName): ChartSpec | null {
  const a = r.baseline.metrics[m];
  const b = r.candidate.metrics[m];
  if (!a?.hdr || !b?.hdr || a.count === 0 || b.count === 0) return null;
  const spec: ChartSpec = { id: `${m}-spectrum`, title: `Percentile spectrum: ${m} (all workloads)`, kind: 'spectrum', xLabel: 'percentile', yLabel: 'ms', series: [], data: [] };
  [
    { s: a, label: r.comparison.baseline.label, color: BASE_COLOR, dash: undefined },
    { s: b, label: r.comparison.candidate.label, color: CAND_COLOR, dash: [6, 4] },
  ].forEach(({ s, label, color, dash }, i) => {
    const h = decode(s.hdr);
    const pts = spectrum(h, 1e-3).filter((p) => p.percentile <= SPECTRUM_MAX_PERCENTILE);
    h.destroy();
    if (i === 0) spec.data.push(pts.map((p) => spectrumX(p.percentile)));
    spec.series.push({ label, color, width: 2, unit: ' ms', ...(dash ? { dash } : {}) });
    spec.data.push(pts.map((p) => p.value));
  });
  return spec;
}

/** Per-second series of both runs on one elapsed-seconds axis (each run from its own second 0). */
function timeOverlay(r: CompareReport, id: string, title: string, yLabel: string, unit: string, pick: (row: Summary['timeseries'][number], run: Summary) => number | null): ChartSpec {
  const runs = [
    { s: r.baseline, label: r.comparison.baseline.label, color: BASE_COLOR, dash: undefined as number[] | undefined },
    { s: r.candidate, label: r.comparison.candidate.label, color: CAND_COLOR, dash: [6, 4] },
  ];
  const seconds = [...new Set(runs.flatMap((x) => x.s.timeseries.map((t) => t.second)))].sort((p, q) => p - q);
  const pos = new Map(seconds.map((s, i) => [s, i]));
  const spec: ChartSpec = { id, title, kind: 'time', xLabel: 'elapsed', yLabel, series: [], data: [seconds] };
  const names = [...new Set(runs.flatMap((x) => x.s.workloads.map((w) => w.name)))];
  for (const run of runs) {
    names.forEach((name) => {
      const col = new Array<number | null>(seconds.length).fill(null);
      for (const t of run.s.timeseries) if (t.workload === name) col[pos.get(t.second)!] = pick(t, run.s);
      if (col.every((v) => v === null)) return;
      spec.series.push({ label: names.length > 1 ? `${run.label} ${name}` : run.label, color: run.color, width: 2, unit, ...(run.dash ? { dash: run.dash } : {}) });
      spec.data.push(col);
    });
  }
  if (seconds.length === 0 || spec.series.length === 0) spec.empty = 'No data: no per-second rows.';
  return spec;
}

export function compareCharts(r: CompareReport): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const lat = (v: number, t: Summary['timeseries'][number]) => (t.ok === 0 && v === 0 ? null : v);
  charts.push(timeOverlay(r, 'latency-p99', 'Latency p99 over time', 'ms', ' ms', (t) => lat(t.latencyP99Ms, t)));
  charts.push(timeOverlay(r, 'latency-p50', 'Latency p50 over time', 'ms', ' ms', (t) => lat(t.latencyP50Ms, t)));
  charts.push(timeOverlay(r, 'rate', 'Request rate', 'requests/s', ' req/s', (t, s) => perSecondRate(t, s.durationS)));
  for (const m of ['latency', 'serviceTime', 'ttft', 'itl'] as const) {
    const c = spectrumOverlay(r, m);
    if (c) charts.push(c);
  }
  return charts;
}

function value(m: CompareEntry, x: number): string {
  if (m.unit === 'fraction') return `${(x * 100).toFixed(2)}%`;
  return m.unit === 'ms' ? fmtMs(x) : fmtNum(x);
}

function changeCell(m: CompareEntry): string {
  if (m.unit === 'fraction') return `${m.change >= 0 ? '+' : ''}${(m.change * 100).toFixed(2)} pt`;
  return m.relativeChange === null ? '—' : `${m.relativeChange >= 0 ? '+' : ''}${(m.relativeChange * 100).toFixed(1)}%`;
}

function ciCell(m: CompareEntry): string {
  if (!m.ci) return '—';
  if (m.ci.ratio && m.unit !== 'fraction') return `${m.ci.ratio[0].toFixed(3)} … ${m.ci.ratio[1].toFixed(3)}`;
  return `${value(m, m.ci.change[0])} … ${value(m, m.ci.change[1])}`;
}

function table(entries: readonly CompareEntry[], level: number, first: 'workload' | 'server series'): string {
  const rows = entries
    .map(
      (m) =>
        `<tr class="${m.verdict}" data-workload="${e(m.workload)}" data-metric="${e(m.metric)}.${e(m.stat)}" data-verdict="${m.verdict}">` +
        (first === 'workload' ? `<td>${e(m.workload)}</td><td><code>${e(m.metric)}.${e(m.stat)}</code></td>` : `<td><code>${e(m.metric)}</code></td><td>${e(m.stat)}${m.better === 'either' ? ' <small class="muted" title="which way is better is not known for this series: shown, not judged">(not judged)</small>' : ''}</td>`) +
        `<td class="r">${value(m, m.baseline)}</td><td class="r">${value(m, m.candidate)}</td><td class="r">${changeCell(m)}</td><td class="r">${m.ratio === null ? '—' : m.ratio.toFixed(3)}</td><td class="r">${ciCell(m)}</td>` +
        `<td><span class="badge ${m.verdict === 'regression' ? 'fail' : m.verdict === 'improvement' ? 'pass' : 'neutral'}" title="${e(m.reason)}">${m.verdict}</span></td></tr>`,
    )
    .join('');
  return `<div class="tablebox"><table class="cmp"><thead><tr><th>${first}</th><th>${first === 'workload' ? 'metric' : 'stat'}</th><th>baseline</th><th>candidate</th><th>change</th><th>ratio</th><th>ratio, ${level}% CI</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** The server's series (scenario `server:`): their table and the series of one run only. */
function serverPart(r: CompareReport, level: number): string {
  const c = r.comparison;
  if (!c.server) return '';
  const entries = c.metrics.filter((m) => m.workload === SERVER);
  const only = (label: string, xs: string[]) => (xs.length ? `<p data-field="only-in-${label}">Only in the ${label} (listed, not compared): ${xs.map((x) => `<code>${e(x)}</code>`).join(', ')}</p>` : '');
  return `<section id="server"><h2>Server series <span class="unit">· ${c.server.compared} in both runs, matched by name and labels</span></h2>
${entries.length ? table(entries, level, 'server series') : '<p class="muted">No series in both runs.</p>'}${only('baseline', c.server.onlyInBaseline)}${only('candidate', c.server.onlyInCandidate)}
<p class="muted" style="font-size:12px">A gauge is compared by its mean over the window, a counter by its rate, a histogram by its percentiles (ms when its name gives the unit). Gauges and counters get a bootstrap interval from their per-second values; histogram percentiles are judged on the tolerance alone. Queues, cache use, errors and server times are better lower, token and success rates higher; any other series is shown and not judged.</p></section>`;
}

function chartBox(c: ChartSpec): string {
  if (c.empty) return `<div class="chart empty" data-chart="${e(c.id)}" data-empty="true"><h3>${e(c.title)}</h3><div class="nodata">${e(c.empty)}</div></div>`;
  return `<div class="chart" data-chart="${e(c.id)}"><h3>${e(c.title)}</h3><div class="plot"></div></div>`;
}

export function renderCompareHtml(r: CompareReport): string {
  const assets = uplot();
  const c = r.comparison;
  const charts = compareCharts(r);
  const badge =
    c.verdict === 'regression'
      ? `<span class="badge fail" data-verdict="regression">${c.regressions} regression(s)</span>`
      : `<span class="badge pass" data-verdict="${c.verdict}">no regression${c.improvements ? ` · ${c.improvements} improvement(s)` : ''}</span>`;
  const run = (x: typeof c.baseline, color: string) =>
    `<dt><span class="swatch" style="background:${color}"></span> ${e(x.label)}</dt><dd>${e(x.scenario)} · started ${e(fmtInstant(x.startedAt))} · ${fmtNum(x.durationS)} s · ${x.intervals} one-second records <span class="muted mono">${e(x.path)}</span></dd>`;
  return `${pageHead(`${c.baseline.label} vs ${c.candidate.label} · servebench compare`, VERSION, COMPARE_CSS)}<header class="top"><div class="wrap">
<div><div class="brand">servebench compare</div><h1>${e(c.baseline.label)} → ${e(c.candidate.label)}</h1>
<div class="target">${c.kind === 'variants' ? 'variants of one run, in alternating rounds' : 'two runs'}</div></div>
<div class="verdicts">${badge}</div>
</div></header>
<main class="wrap">
${c.warnings.length ? `<div class="banner warn" data-banner="warnings"><h3>Warnings</h3><ul>${c.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul></div>` : ''}
<section id="runs"><h2>Runs</h2><div class="card"><dl class="kv">${run(c.baseline, BASE_COLOR)}${run(c.candidate, CAND_COLOR)}</dl>
<p class="method" data-field="method"><b>${e(c.method.name)}</b>: ${e(c.method.description)} Default tolerance ±${fmtNum(c.tolerance.default * 100)}%.</p></div></section>
<section id="metrics"><h2>Metrics <span class="unit">· ${c.metrics.length} compared, ${c.regressions} regression(s), ${c.improvements} improvement(s)</span></h2>${table(c.metrics.filter((m) => m.workload !== SERVER), Math.round(c.method.confidence * 100), 'workload')}</section>
${serverPart(r, Math.round(c.method.confidence * 100))}
<section id="charts"><h2>Charts</h2><div class="charts">${charts.map(chartBox).join('')}</div>
<p class="muted" style="margin-top:8px;font-size:12px">Baseline solid, candidate dashed. Time series start at each run's own second 0.</p></section>
</main>
<footer><div class="wrap">Generated by servebench compare</div></footer>
<script type="application/json" id="sb-data">${jsonForScript({ charts })}</script>
<script>${inlineScript(assets.js)}</script>
<script>${inlineScript(CLIENT_JS)}</script>
</body>
</html>
`;
}

export const compareHtml: CompareWriter = { name: 'compare-html', file: 'compare.html', render: renderCompareHtml };
