/**
 * report.html's Server section (scenario `server:`): the server's own series over time on the
 * client's time axis (the charts share its seconds and its synced cursor), client-vs-server TTFT
 * and latency side by side with the difference named, and every series' window figures.
 */
import type { Summary } from '../metrics/summary-types.js';
import type { ServerSeriesSummary, ServerSummary } from '../server-metrics/types.js';
import { msPerUnit } from '../server-metrics/compare.js';
import { PALETTE, type ChartSpec } from './html-data.js';
import { escapeHtml as e, fmtInt, fmtMs, fmtNum } from './html-format.js';

/** More charts than this and the section is a wall; the rest are in the table and timeseries.csv. */
const MAX_CHARTS = 12;
const MAX_LINES = PALETTE.length;

/** Server charts (kind 'time', the client's seconds on x) and the section's HTML; '' without server data. */
export function serverSection(s: Summary, chartBox: (c: ChartSpec) => string): { charts: ChartSpec[]; html: string } {
  const srv = s.server;
  if (!srv) return { charts: [], html: '' };
  const charts = serverCharts(s, srv);
  const shown = charts.length < familiesOf(srv.series).size ? `<p class="muted">The first ${MAX_CHARTS} metrics are drawn; every series is in the table below and in timeseries.csv.</p>` : '';
  const failed = srv.failures > 0 ? ` · <span class="bad">${fmtInt(srv.failures)} failed</span>` : '';
  const sources = srv.sources.map((x) => `<li><span class="mono">${e(x.source)}</span>: ${fmtInt(x.scrapes)} ${x.source.startsWith('promql:') ? 'points' : 'scrapes'}${x.failures ? `, ${fmtInt(x.failures)} failed${x.lastError ? ` (last: ${e(x.lastError)})` : ''}` : ''}</li>`).join('');
  const html = `<section id="server"><h2>Server <span class="unit">· ${fmtInt(srv.scrapes)} scrapes${failed}</span></h2>
${comparison(srv)}
<h4 class="group">Server series over time <span class="unit">(same seconds as the client's charts; the cursor moves with theirs)</span></h4>
<div class="charts">${charts.map(chartBox).join('')}</div>${shown}
<h4 class="group">Series over the measured window</h4>
${seriesTable(srv.series)}
<ul class="muted" style="font-size:12px">${sources}</ul>
</section>`;
  return { charts, html };
}

function familiesOf(series: readonly ServerSeriesSummary[]): Map<string, number[]> {
  const fam = new Map<string, number[]>();
  series.forEach((x, i) => {
    const key = `${x.source}\u0000${x.name}`;
    fam.set(key, [...(fam.get(key) ?? []), i]);
  });
  return fam;
}

function serverCharts(s: Summary, srv: ServerSummary): ChartSpec[] {
  const seconds = [...new Set(s.timeseries.map((r) => r.second))].sort((a, b) => a - b);
  const bySecond = new Map(srv.timeseries.rows.map((r) => [r.second, r.values]));
  const charts: ChartSpec[] = [];
  for (const idx of [...familiesOf(srv.series).values()].slice(0, MAX_CHARTS)) {
    const first = srv.series[idx[0]];
    const yLabel = first.kind === 'counter' ? 'per second' : first.kind === 'histogram' ? `p50${unitOf(first.name)}` : 'value';
    const title = `${first.name}${first.kind === 'counter' ? ' (rate)' : first.kind === 'histogram' ? ' (p50 per scrape)' : ''}`;
    const spec: ChartSpec = { id: `server-${charts.length}`, title, kind: 'time', xLabel: 'elapsed', yLabel, series: [], data: [seconds] };
    for (const i of idx.slice(0, MAX_LINES)) {
      const x = srv.series[i];
      const col = srv.timeseries.columns.indexOf(x.column);
      spec.series.push({ label: labelText(x.labels) || x.name, color: PALETTE[spec.series.length % PALETTE.length], width: 1.5 });
      spec.data.push(seconds.map((sec) => bySecond.get(sec)?.[col] ?? null));
    }
    if (idx.length > MAX_LINES) spec.note = `${idx.length - MAX_LINES} more label sets are in timeseries.csv.`;
    if (spec.data.slice(1).every((c) => c.every((v) => v === null))) spec.empty = 'No value in the measured window.';
    charts.push(spec);
  }
  return charts;
}

export function unitOf(name: string): string {
  const ms = msPerUnit(name);
  return ms === 1000 ? ' (s)' : ms === 1 ? ' (ms)' : '';
}

export function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .filter(([k]) => k !== 'engine')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function comparison(srv: ServerSummary): string {
  if (srv.clientVsServer.length === 0) return '';
  const cell = (x: { p50: number; p90: number; p99: number }) => `<td>${fmtMs(x.p50)}</td><td>${fmtMs(x.p90)}</td><td>${fmtMs(x.p99)}</td>`;
  const rows = srv.clientVsServer
    .map((c) => `<tr><td>${c.metric === 'ttft' ? 'TTFT' : 'latency (sent → done)'}<div class="mono muted" style="font-size:11px">${e(c.server)}</div></td>${cell(c.clientMs)}${cell(c.serverMs)}${cell(c.differenceMs)}</tr>`)
    .join('');
  return `<div class="tablebox"><table class="num server-vs-client"><thead><tr><th rowspan="2">ms</th><th colspan="3">client</th><th colspan="3">server</th><th colspan="3">difference: gateway, network, queueing in front of the server</th></tr>
<tr><th>p50</th><th>p90</th><th>p99</th><th>p50</th><th>p90</th><th>p99</th><th>p50</th><th>p90</th><th>p99</th></tr></thead><tbody>${rows}</tbody></table></div>
<p class="muted" style="font-size:12px">The client measures from the request leaving servebench; the server from the request reaching it. The difference is the Istio gateway, the network and any queueing before the server's clock starts (Knative's queue-proxy; vLLM counts its own waiting queue inside TTFT). Server percentiles are interpolated inside histogram buckets, so they are only as fine as the buckets.</p>`;
}

function seriesTable(series: readonly ServerSeriesSummary[]): string {
  const fig = (x: ServerSeriesSummary) =>
    x.kind === 'gauge'
      ? `min ${fmtNum(x.min)} · mean ${fmtNum(x.mean)} · max ${fmtNum(x.max)} · last ${fmtNum(x.last)}`
      : x.kind === 'counter'
        ? `${fmtNum(x.rate)} /s`
        : `p50 ${fmtNum(x.p50)} · p90 ${fmtNum(x.p90)} · p99 ${fmtNum(x.p99)}${unitOf(x.name)} · ${fmtInt(x.count ?? 0)} observed`;
  const rows = series.map((x) => `<tr><td class="mono">${e(x.name)}</td><td class="mono">${e(labelText(x.labels))}</td><td>${x.kind}</td><td>${e(fig(x))}</td></tr>`).join('');
  return `<div class="tablebox"><table class="server-series"><thead><tr><th>series</th><th>labels</th><th>kind</th><th>over the window</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}
