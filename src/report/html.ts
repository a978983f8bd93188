/**
 * report.html: one self-contained file (no network). Tables are rendered here as static HTML, so
 * they read fine even with scripts off; charts are uPlot, inlined with its CSS, drawn from chart
 * specs embedded as JSON. Every string taken from the summary goes through escapeHtml, and the JSON
 * through jsonForScript, so a scenario or workload name cannot break out of its element.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { MetricName } from '../metrics/records.js';
import type { MetricSummary, Summary, WorkloadSummary } from '../metrics/summary-types.js';
import { CLIENT_JS } from './html-client.js';
import { buildChartData, workloadColor, type ChartSpec } from './html-data.js';
import { escapeHtml as e, fmtDuration, fmtInstant, fmtInt, fmtMs, fmtNum, fmtPct, jsonForScript } from './html-format.js';
import { REPORT_CSS } from './html-style.js';
import type { ReportWriter } from './writer.js';
import { tokenCountRows } from './html-tokens.js';
import { cacheHitText } from '../metrics/prefix-cache.js';
import { CAUSE_LABELS } from '../metrics/diagnosis.js';
import { CLOSED_LOOP_NOTE } from '../metrics/health.js';
import { serverSection } from './html-server.js';
import { conversationTable } from './html-conversations.js';

let uplotAssets: { js: string; css: string } | null = null;

/** uPlot's browser build and stylesheet, read from the installed package (once per process). */
export function uplot(): { js: string; css: string } {
  if (!uplotAssets) {
    const dist = dirname(createRequire(import.meta.url).resolve('uplot'));
    uplotAssets = {
      js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
    };
  }
  return uplotAssets;
}

/** Inline script text must not contain a closing tag; uPlot's build has none, but make sure. */
export function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

const TIME_ROWS: ReadonlyArray<{ m: MetricName; label: string; hint: string }> = [
  { m: 'latency', label: 'latency', hint: 'done − intended (corrected for coordinated omission)' },
  { m: 'serviceTime', label: 'service time', hint: 'done − sent' },
  { m: 'scheduleLag', label: 'schedule lag', hint: 'sent − intended' },
  { m: 'ttft', label: 'TTFT', hint: 'first content token − sent' },
  { m: 'tpot', label: 'TPOT', hint: 'time per output token after the first' },
  { m: 'itl', label: 'ITL', hint: 'gap between tokens' },
];

const PCT_COLS: ReadonlyArray<{ k: keyof MetricSummary; label: string }> = [
  { k: 'p50', label: 'p50' },
  { k: 'p90', label: 'p90' },
  { k: 'p95', label: 'p95' },
  { k: 'p99', label: 'p99' },
  { k: 'p999', label: 'p99.9' },
  { k: 'max', label: 'max' },
  { k: 'mean', label: 'mean' },
];

function tile(label: string, value: string, sub = '', cls = ''): string {
  return `<div class="tile${cls ? ' ' + cls : ''}"><div class="k">${e(label)}</div><div class="v">${value}</div>${sub ? `<div class="s">${sub}</div>` : ''}</div>`;
}

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

function errorClasses(errors: Record<string, number>): string[] {
  return Object.keys(errors)
    .filter((k) => errors[k] > 0)
    .sort((a, b) => errors[b] - errors[a] || a.localeCompare(b));
}

function header(s: Summary): string {
  const t = s.target;
  const passed = s.thresholds.filter((x) => x.ok).length;
  const failed = s.thresholds.length - passed;
  const verdicts: string[] = [];
  if (s.thresholds.length > 0) {
    verdicts.push(
      `<a href="#thresholds" class="badge ${failed ? 'fail' : 'pass'}" data-verdict="thresholds">thresholds: ${passed} passed / ${failed} failed</a>`,
    );
  } else verdicts.push(`<span class="badge neutral">no thresholds</span>`);
  if (s.generator.saturated) verdicts.push(`<a href="#generator" class="badge warn">generator saturated</a>`);
  if (s.interrupted) verdicts.push(`<span class="badge warn">interrupted: partial results</span>`);
  if (s.merge?.partial) verdicts.push(`<span class="badge warn" data-verdict="partial">partial merge: ${s.merge.shards.length} of ${s.merge.shardCount} shards</span>`);
  const target = t.embedded
    ? `<b>embedded mock</b> · ${e(t.routing)} routing`
    : `<b>${e(t.url)}</b> · ${e(t.routing)} routing`;
  const client = t.client === 'lean' ? ' · lean HTTP client' : '';
  return `<header class="top"><div class="wrap">
<div><div class="brand">servebench report</div>
<h1 data-field="scenario">${e(s.scenario.name)}</h1>
<div class="target" data-field="target">${target}${client} · project <b>${e(t.project)}</b> · deployment <b>${e(t.deployment)}</b></div></div>
<div class="verdicts">${verdicts.join('')}</div>
</div></header>
<nav class="sections"><div class="wrap">
<a href="#overview">Overview</a><a href="#thresholds">Thresholds</a><a href="#workloads">Workloads</a><a href="#charts">Charts</a>${s.server ? '<a href="#server">Server</a>' : ''}<a href="#errors">Errors</a><a href="#generator">Generator</a>
</div></nav>`;
}

function banners(s: Summary): string {
  const out: string[] = [];
  if (s.generator.warnings.length > 0) {
    const cls = s.generator.saturated ? 'danger' : 'warn';
    const title = s.generator.saturated
      ? 'The load generator was saturated: these numbers partly describe servebench, not only the server'
      : causesOf(s) ? `Warnings (${causesOf(s)})` : 'Warnings';
    out.push(
      `<div class="banner ${cls}" role="alert" data-banner="generator"><h3>${e(title)}</h3><ul>${s.generator.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul></div>`,
    );
  }
  if (s.merge?.partial) {
    out.push(
      `<div class="banner warn" role="alert" data-banner="partial"><h3>Partial merge: ${s.merge.shards.length} of ${s.merge.shardCount} shards</h3>Merged with --allow-partial; missing ${s.merge.missing.map((m) => `shard ${e(m)}`).join(', ')}. The figures cover only the part of the plan these shards ran.</div>`,
    );
  }
  for (const n of s.generator.notes ?? []) out.push(`<div class="banner info" data-banner="note"><h3>${n === CLOSED_LOOP_NOTE ? 'Note on the load model' : 'Note'}</h3>${e(n)}</div>`);
  if (s.interrupted) {
    const why = s.stopReason ? ` It stopped early: ${e(s.stopReason)}.` : '';
    out.push(`<div class="banner info" data-banner="interrupted"><h3>Interrupted run</h3>The run did not reach its planned end; the figures cover the ${e(fmtDuration(s.durationS))} that ran.${why}</div>`);
  }
  return out.join('\n');
}

function overview(s: Summary): string {
  const T = s.totals;
  const lat = s.metrics.latency;
  const errRate = ratio(T.errors, T.completed);
  const tps = s.workloads.reduce((a, w) => a + w.outputTokensPerS, 0);
  const isConc = s.load.type === 'concurrency';
  const rateTile = tile(
    'achieved rate',
    `${fmtNum(s.load.achievedRps)}<small>req/s</small>`,
    isConc ? `${fmtInt(s.load.concurrency)} virtual users` : `target ${fmtNum(s.load.targetRps)} req/s (${fmtPct(ratio(s.load.achievedRps, s.load.targetRps), 1)})`,
    !isConc && s.load.targetRps > 0 && s.load.achievedRps < 0.99 * s.load.targetRps ? 'warn' : '',
  );
  const tiles = [
    rateTile,
    tile('requests sent', fmtInt(T.sent), `${fmtInt(T.scheduled)} scheduled · ${fmtInt(T.completed)} completed`),
    tile('ok', fmtInt(T.ok), `${fmtPct(ratio(T.ok, T.completed))} of completed`, T.errors === 0 && T.completed > 0 ? 'good' : ''),
    tile('errors', fmtInt(T.errors), `${fmtPct(errRate)} · ${errorClasses(s.errors).length} classes`, T.errors > 0 ? 'bad' : ''),
    tile('dropped', fmtInt(T.dropped), 'maxInFlight reached', T.dropped > 0 ? 'bad' : ''),
    tile('latency p99', lat ? `${fmtMs(lat.p99)}<small>ms</small>` : '—', lat ? `p50 ${fmtMs(lat.p50)} ms · max ${fmtMs(lat.max)} ms` : 'no completed request'),
  ];
  if (T.outputTokens > 0) tiles.push(tile('output tokens/s', fmtNum(tps), `${fmtInt(T.outputTokens)} tokens`));
  if (s.cacheHitRatio !== undefined) tiles.push(tile('prefix cache hits', e(cacheHitText(s.cacheHitRatio)), `${fmtInt(T.cachedInputTokens ?? 0)} of ${fmtInt(T.inputTokens)} input tokens`));

  const L = s.load;
  const loadShape = isConc ? `${e(L.type)} · ${fmtInt(L.concurrency)} virtual users` : `${e(L.type)} · target ${fmtNum(L.targetRps)} req/s`;
  const shards = s.shards.length > 1 ? `<dt>shards</dt><dd>${s.shards.map((x) => e(x)).join(', ')}</dd>` : '';
  return `<section id="overview"><h2>Overview</h2>
<div class="tiles">${tiles.join('')}</div>
<div class="three" style="margin-top:14px">
<div class="card"><div class="caption">Run</div><dl class="kv">
<dt>started</dt><dd data-field="startedAt">${e(fmtInstant(s.startedAt))}</dd>
<dt>duration</dt><dd data-field="duration">${e(fmtDuration(s.durationS))}${L.warmupMs > 0 ? ` <span class="muted">(after ${e(fmtDuration(L.warmupMs / 1000))} warm-up)</span>` : ''}</dd>
<dt>target</dt><dd>${t2(s)}</dd>
<dt>servebench</dt><dd data-field="version">v${e(s.servebenchVersion)} <span class="muted">· summary schema ${e(s.schemaVersion)}</span></dd>
${shards}</dl></div>
<div class="card"><div class="caption">Load</div><dl class="kv">
<dt>shape</dt><dd data-field="load">${loadShape}</dd>
<dt>achieved</dt><dd>${fmtNum(L.achievedRps)} req/s${isConc ? '' : ` <span class="muted">of ${fmtNum(L.targetRps)} req/s</span>`}</dd>
<dt>workers</dt><dd>${fmtInt(L.workers)} worker${L.workers === 1 ? '' : 's'} · ${fmtInt(L.connections)} connections · maxInFlight ${fmtInt(L.maxInFlight)}</dd>
${L.requests > 0 ? `<dt>requests</dt><dd>stop after ${fmtInt(L.requests)}</dd>` : ''}
<dt>on saturation</dt><dd>${e(L.onSaturation)}</dd>
</dl></div>
${generatorCard(s)}
</div></section>`;
}

/** The named causes of late sends, for titles and the status tile ('' when none). */
function causesOf(s: Summary): string {
  return (s.generator.causes ?? []).map((c) => CAUSE_LABELS[c]).join(', ');
}

function generatorCard(s: Summary): string {
  const g = s.generator;
  const status = g.saturated ? '<span class="badge fail">saturated</span>' : '<span class="badge pass">healthy</span>';
  return `<div class="card"><div class="caption">Generator health</div><dl class="kv" data-field="generator-health">
<dt>status</dt><dd>${status}${g.warnings.length ? ` <a href="#generator" class="muted">${g.warnings.length} warning${g.warnings.length === 1 ? '' : 's'}</a>` : ''}</dd>
<dt>event-loop lag p99</dt><dd>${fmtMs(g.eventLoopLagMs.p99)} ms</dd>
<dt>dispatch lag p99</dt><dd${g.dispatchLagMs.p99 > 5 ? ' class="bad"' : ''}>${fmtMs(g.dispatchLagMs.p99)} ms</dd>
<dt>CPU</dt><dd>${fmtNum(g.cpuPercent)}% <span class="muted">of one core</span></dd>
${g.threadCpuPercent !== undefined ? `<dt>worker thread CPU</dt><dd data-field="thread-cpu">${fmtNum(g.threadCpuPercent)}% <span class="muted">busiest worker · waited for a CPU ${fmtNum(g.runQueuePercent ?? 0)}%</span></dd>` : ''}
${g.connectionWaitMs ? `<dt>connection wait p99</dt><dd${g.connectionWaitMs.p99 > 5 ? ' class="bad"' : ''}>${fmtMs(g.connectionWaitMs.p99)} ms</dd>` : ''}
<dt>max event-loop use</dt><dd>${fmtPct(g.maxEventLoopUtilization, 0)}</dd>
</dl></div>`;
}

function t2(s: Summary): string {
  const t = s.target;
  return `${t.embedded ? 'embedded mock' : `<span class="mono">${e(t.url)}</span>`} · ${e(t.routing)} routing · ${e(t.project)}/${e(t.deployment)}`;
}

function thresholds(s: Summary): string {
  if (s.thresholds.length === 0) {
    return `<section id="thresholds"><h2>Thresholds</h2><div class="card muted">This scenario defines no thresholds.</div></section>`;
  }
  const passed = s.thresholds.filter((x) => x.ok).length;
  const rows = s.thresholds
    .map(
      (t) => `<tr data-threshold-ok="${t.ok}"><td><code>${e(t.expr)}</code>${t.message ? `<div class="muted">${e(t.message)}</div>` : ''}</td><td class="r">${e(fmtNum(t.value))}</td><td class="r"><span class="badge ${t.ok ? 'pass' : 'fail'}">${t.ok ? 'PASS' : 'FAIL'}</span></td></tr>`,
    )
    .join('');
  return `<section id="thresholds"><h2>Thresholds <span class="unit">· ${passed} passed / ${s.thresholds.length - passed} failed</span></h2>
<div class="tablebox"><table class="thresholds"><thead><tr><th>expression</th><th style="text-align:right">value</th><th style="text-align:right;width:90px">result</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function percentileTable(w: WorkloadSummary): string {
  const rows = TIME_ROWS.filter((r) => (w.metrics[r.m]?.count ?? 0) > 0)
    .map((r) => {
      const m = w.metrics[r.m]!;
      return `<tr data-metric="${r.m}"><th title="${e(r.hint)}">${e(r.label)}</th><td data-stat="count">${fmtInt(m.count)}</td>${PCT_COLS.map((c) => `<td data-stat="${c.k}">${fmtMs(m[c.k] as number)}</td>`).join('')}</tr>`;
    })
    .join('');
  if (!rows) return `<div class="card muted">No request completed: no latency to show.</div>`;
  return `<div class="tablebox"><table class="num pct" data-workload="${e(w.name)}"><thead><tr><th>ms</th><th>count</th>${PCT_COLS.map((c) => `<th>${c.label}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

function tokenTable(w: WorkloadSummary): string {
  const rows = (['outputTokens', 'inputTokens'] as const)
    .filter((m) => (w.metrics[m]?.count ?? 0) > 0 || w.totals[m] > 0)
    .map((m) => {
      const st = w.metrics[m];
      const cells = st ? [st.mean, st.p50, st.p99, st.max].map((v) => `<td>${fmtNum(v)}</td>`).join('') : '<td>—</td><td>—</td><td>—</td><td>—</td>';
      return `<tr data-metric="${m}"><th>${m === 'outputTokens' ? 'output' : 'input'}</th><td>${fmtInt(w.totals[m])}</td>${cells}</tr>`;
    })
    .join('');
  if (!rows) return '';
  return `<div class="tablebox"><table class="num tokens"><thead><tr><th>tokens</th><th>total</th><th>mean/req</th><th>p50</th><th>p99</th><th>max</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function workloadErrors(w: WorkloadSummary): string {
  const classes = errorClasses(w.errors);
  if (classes.length === 0 && w.totals.dropped === 0) return `<div class="tablebox"><table><tbody><tr><td class="muted">No errors, nothing dropped.</td></tr></tbody></table></div>`;
  const rows = classes
    .map((c) => `<tr data-error-class="${e(c)}"><th><code>${e(c)}</code></th><td>${fmtInt(w.errors[c])}</td><td>${fmtPct(ratio(w.errors[c], w.totals.completed))}</td></tr>`)
    .join('');
  const dropped = w.totals.dropped > 0 ? `<tr data-error-class="dropped"><th>dropped <span class="muted">(not sent)</span></th><td>${fmtInt(w.totals.dropped)}</td><td>${fmtPct(ratio(w.totals.dropped, w.totals.scheduled))} <span class="muted">of scheduled</span></td></tr>` : '';
  return `<div class="tablebox"><table class="num errors"><thead><tr><th>errors by class</th><th>count</th><th>share</th></tr></thead><tbody>${rows}${dropped}</tbody></table></div>`;
}

function sloText(s: Summary): string {
  const parts: string[] = [];
  if (s.slo.ttftMs !== undefined) parts.push(`TTFT ≤ ${fmtNum(s.slo.ttftMs)} ms`);
  if (s.slo.tpotMs !== undefined) parts.push(`TPOT ≤ ${fmtNum(s.slo.tpotMs)} ms`);
  if (s.slo.itlMs !== undefined) parts.push(`ITL ≤ ${fmtNum(s.slo.itlMs)} ms`);
  if (s.slo.latencyMs !== undefined) parts.push(`latency ≤ ${fmtNum(s.slo.latencyMs)} ms`);
  return parts.join(', ');
}

function workload(s: Summary, w: WorkloadSummary, i: number): string {
  const T = w.totals;
  const tiles = [
    tile('requests', fmtInt(T.sent), `${fmtInt(T.scheduled)} scheduled`),
    tile('ok', fmtInt(T.ok), `${fmtPct(ratio(T.ok, T.completed))} of completed`),
    tile('errors', fmtInt(T.errors), fmtPct(ratio(T.errors, T.completed)), T.errors > 0 ? 'bad' : ''),
    tile('dropped', fmtInt(T.dropped), T.dropped > 0 ? fmtPct(ratio(T.dropped, T.scheduled)) + ' of scheduled' : '', T.dropped > 0 ? 'bad' : ''),
    tile('rate', `${fmtNum(w.achievedRps)}<small>req/s</small>`, s.load.type === 'concurrency' ? 'closed loop' : `target ${fmtNum(w.targetRps)} req/s`),
  ];
  if (T.outputTokens > 0) tiles.push(tile('output tokens/s', fmtNum(w.outputTokensPerS), `${fmtInt(T.outputTokens)} tokens`));
  if (w.inputTokensPerS !== undefined) tiles.push(tile('input tokens/s', fmtNum(w.inputTokensPerS), `${fmtInt(T.inputTokens)} tokens`));
  if (w.goodput) {
    tiles.push(
      tile('goodput', `${fmtNum(w.goodput.ratePerS)}<small>req/s</small>`, `SLO attainment ${fmtPct(w.goodput.attainment, 1)}`, w.goodput.attainment < 0.99 ? 'warn' : 'good'),
    );
  }
  const qos: string[] = [];
  if (w.goodput) {
    qos.push(`<dt>goodput</dt><dd>${fmtNum(w.goodput.ratePerS)} req/s</dd>`);
    qos.push(`<dt>met every SLO</dt><dd>${fmtInt(w.goodput.sloMet)} of ${fmtInt(T.completed)} completed · <b data-field="attainment">${fmtPct(w.goodput.attainment, 1)}</b></dd>`);
    const slo = sloText(s);
    if (slo) qos.push(`<dt>SLO</dt><dd>${e(slo)}</dd>`);
  }
  if (w.shortOutputs > 0 || T.outputTokens > 0) {
    qos.push(`<dt>short outputs</dt><dd><span data-field="shortOutputs">${fmtInt(w.shortOutputs)}</span> <span class="muted">(${fmtPct(ratio(w.shortOutputs, T.ok))} of ok: fewer tokens than asked)</span></dd>`);
  }
  qos.push(...tokenCountRows(w));
  if (w.cacheHitRatio !== undefined) qos.push(`<dt>prefix cache</dt><dd>${fmtInt(T.cachedInputTokens ?? 0)} of ${fmtInt(T.inputTokens)} input tokens cached · hit ratio <b data-field="cacheHitRatio">${e(cacheHitText(w.cacheHitRatio))}</b></dd>`);
  const extra = qos.length ? [`<div class="tablebox qos"><dl class="kv">${qos.join('')}</dl></div>`] : [];
  return `<article class="card workload" id="workload-${i}" data-workload="${e(w.name)}">
<header><h3><span class="swatch" style="background:${workloadColor(i)}"></span> ${e(w.name)}</h3><span class="pill">${e(w.kind)}</span><span class="muted">model <code>${e(w.model)}</code></span></header>
<div class="tiles">${tiles.join('')}</div>
<div class="detail-grid">
<div><div class="caption">Percentiles (ms)</div>${percentileTable(w)}${conversationTable(w)}</div>
<div><div class="caption">Errors</div>${workloadErrors(w)}${tokenTable(w) ? `<div class="caption" style="margin-top:12px">Tokens</div>${tokenTable(w)}` : ''}${extra.length ? `<div class="caption" style="margin-top:12px">Quality of service</div>${extra.join('')}` : ''}</div>
</div></article>`;
}

function chartBox(c: ChartSpec): string {
  const note = c.note ? `<p class="note">${e(c.note)}</p>` : '';
  if (c.empty) {
    return `<div class="chart empty" data-chart="${e(c.id)}" data-empty="true"><h3>${e(c.title)}</h3><div class="nodata">${e(c.empty)}</div></div>`;
  }
  return `<div class="chart" data-chart="${e(c.id)}"><h3>${e(c.title)}</h3>${note}<div class="plot"></div></div>`;
}

/** One line naming the charts left out and why, grouped by reason ("" when every chart is drawn). */
function absentLine(charts: ChartSpec[]): string {
  const byReason = new Map<string, string[]>();
  for (const c of charts) {
    if (!c.empty) continue;
    const reason = c.empty.replace(/^No data:\s*/, '').replace(/\.$/, '');
    byReason.set(reason, [...(byReason.get(reason) ?? []), c.title]);
  }
  if (byReason.size === 0) return '';
  const parts = [...byReason].map(([reason, titles]) => `${titles.map(e).join(', ')} (${e(reason)})`);
  const ids = charts.filter((c) => c.empty).map((c) => c.id).join(' ');
  return `<p class="muted absent" data-absent="${e(ids)}">Not drawn, nothing to show: ${parts.join('; ')}.</p>`;
}

function chartsSection(charts: ChartSpec[]): string {
  // Panels with nothing to show are left out; the line under the heading names them.
  const group = (title: string, cs: ChartSpec[]) => (cs.length ? `<h4 class="group">${title}</h4><div class="charts">${cs.map(chartBox).join('')}</div>` : '');
  const drawn = charts.filter((c) => !c.empty);
  return `<section id="charts"><h2>Charts</h2>${absentLine(charts)}
${group('Over time', drawn.filter((c) => c.kind === 'time' || c.kind === 'heatmap'))}
${group('Distributions', drawn.filter((c) => c.kind !== 'time' && c.kind !== 'heatmap'))}
<p class="muted" style="margin-top:8px;font-size:12px">Drag across a chart to zoom, double-click to reset. Away from the cursor a legend shows each series' mean. The percentile spectrum uses a log scale of 1/(1−p), as HdrHistogram plots do.</p></section>`;
}

function errorsSection(s: Summary): string {
  const classes = errorClasses(s.errors);
  if (classes.length === 0 && s.totals.dropped === 0) {
    return `<section id="errors"><h2>Errors</h2><div class="card muted">No request failed and none was dropped.</div></section>`;
  }
  const head = `<th>class</th>${s.workloads.map((w) => `<th>${e(w.name)}</th>`).join('')}<th>total</th><th>share</th><th style="text-align:left">first message seen</th>`;
  const rows = classes
    .map(
      (c) =>
        `<tr data-error-class="${e(c)}"><th><code>${e(c)}</code></th>${s.workloads.map((w) => `<td>${fmtInt(w.errors[c] ?? 0)}</td>`).join('')}<td><b>${fmtInt(s.errors[c])}</b></td><td>${fmtPct(ratio(s.errors[c], s.totals.completed))}</td><td class="sample" style="text-align:left">${s.errorSamples[c] ? e(s.errorSamples[c]) : '<span class="muted">—</span>'}</td></tr>`,
    )
    .join('');
  const dropped =
    s.totals.dropped > 0
      ? `<tr data-error-class="dropped"><th>dropped</th>${s.workloads.map((w) => `<td>${fmtInt(w.totals.dropped)}</td>`).join('')}<td><b>${fmtInt(s.totals.dropped)}</b></td><td>${fmtPct(ratio(s.totals.dropped, s.totals.scheduled))}</td><td class="sample" style="text-align:left">not sent: maxInFlight (${fmtInt(s.load.maxInFlight)}) reached</td></tr>`
      : '';
  return `<section id="errors"><h2>Errors <span class="unit">· ${fmtInt(s.totals.errors)} of ${fmtInt(s.totals.completed)} completed (${fmtPct(ratio(s.totals.errors, s.totals.completed))})</span></h2>
<div class="tablebox"><table class="num"><thead><tr>${head}</tr></thead><tbody>${rows}${dropped}</tbody></table></div></section>`;
}

function generatorSection(s: Summary): string {
  const g = s.generator;
  const tiles = [
    tile('status', g.saturated ? 'saturated' : 'healthy', causesOf(s) || (g.saturated ? 'figures include generator delay' : 'kept up with its schedule'), g.saturated ? 'bad' : causesOf(s) ? 'warn' : 'good'),
    tile('event-loop lag p99', `${fmtMs(g.eventLoopLagMs.p99)}<small>ms</small>`, `max ${fmtMs(g.eventLoopLagMs.max)} ms${g.peakInFlightPerWorker ? ` · up to ${fmtInt(g.peakInFlightPerWorker)} in flight per worker` : ''}`),
    tile('dispatch lag p99', `${fmtMs(g.dispatchLagMs.p99)}<small>ms</small>`, `p50 ${fmtMs(g.dispatchLagMs.p50)} ms · max ${fmtMs(g.dispatchLagMs.max)} ms`, g.dispatchLagMs.p99 > 5 ? 'bad' : ''),
    tile('schedule lag p99', `${fmtMs(g.scheduleLagP99Ms)}<small>ms</small>`, `sent − intended${g.scheduleLagBoundMs !== undefined ? ` · bound ${fmtMs(g.scheduleLagBoundMs)} ms` : ''}`, g.scheduleLagBoundMs !== undefined && g.scheduleLagP99Ms > g.scheduleLagBoundMs ? 'bad' : ''),
    tile('CPU', `${fmtNum(g.cpuPercent)}<small>%</small>`, 'of one core, whole process'),
    ...(g.threadCpuPercent !== undefined
      ? [tile('worker thread CPU', `${fmtNum(g.threadCpuPercent)}<small>%</small>`, `busiest worker · waited for a CPU ${fmtNum(g.runQueuePercent ?? 0)}%`, g.threadCpuPercent >= 85 ? 'warn' : '')]
      : []),
    ...(g.connectionWaitMs ? [tile('connection wait p99', `${fmtMs(g.connectionWaitMs.p99)}<small>ms</small>`, 'dispatch → on a connection', g.connectionWaitMs.p99 > 5 ? 'warn' : '')] : []),
    ...(g.queueWaitMs ? [tile('maxInFlight wait p99', `${fmtMs(g.queueWaitMs.p99)}<small>ms</small>`, 'slots queued at maxInFlight', g.queueWaitMs.p99 > 5 ? 'warn' : '')] : []),
    tile('max event-loop utilization', fmtPct(g.maxEventLoopUtilization, 0), 'busiest worker, busiest second', g.maxEventLoopUtilization > 0.9 ? 'warn' : ''),
  ];
  const workerErrors =
    g.workerErrors.length > 0
      ? `<div class="tablebox" style="margin-top:12px"><table><thead><tr><th>worker</th><th>code</th><th>message</th></tr></thead><tbody>${g.workerErrors.map((w) => `<tr><td>${fmtInt(w.worker)}</td><td><code>${e(w.code)}</code></td><td>${e(w.message)}</td></tr>`).join('')}</tbody></table></div>`
      : '';
  // One row per worker: a single overloaded worker sends its share late while the merged lag looks fine.
  const perWorker =
    (g.workers?.length ?? 0) > 1
      ? `<div class="tablebox" style="margin-top:12px"><table class="num" data-field="generator-workers"><thead><tr><th>worker</th><th>event-loop lag p50</th><th>p99</th><th>max</th><th>utilization mean</th><th>max</th><th>thread CPU</th><th>in flight (peak)</th></tr></thead><tbody>${g.workers!.map((w) => `<tr><th>${e(w.shard)} · ${fmtInt(w.worker)}</th><td>${fmtMs(w.eventLoopLagMs.p50)} ms</td><td>${fmtMs(w.eventLoopLagMs.p99)} ms</td><td>${fmtMs(w.eventLoopLagMs.max)} ms</td><td>${fmtPct(w.elu, 0)}</td><td>${fmtPct(w.maxElu, 0)}</td><td>${w.threadCpuPercent !== undefined ? `${fmtNum(w.threadCpuPercent)}%` : '–'}</td><td>${w.peakInFlight !== undefined ? fmtInt(w.peakInFlight) : '–'}</td></tr>`).join('')}</tbody></table></div>`
      : '';
  return `<section id="generator"><h2>Generator health</h2><div class="tiles" data-field="generator">${tiles.join('')}</div>${perWorker}${workerErrors}</section>`;
}

/** The document head every servebench page shares (run report, compare, sweep): uPlot's and our CSS inlined. */
export function pageHead(title: string, version: string, extraCss = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="servebench ${e(version)}">
<title>${e(title)}</title>
<style>${uplot().css}</style>
<style>${REPORT_CSS}${extraCss}</style>
</head>
<body>
`;
}

export function renderHtml(s: Summary): string {
  const assets = uplot();
  const data = buildChartData(s);
  const server = serverSection(s, chartBox); // server-metrics hook
  data.charts.push(...server.charts);
  return `${pageHead(`${s.scenario.name} · servebench report`, s.servebenchVersion)}${header(s)}
<main class="wrap">
${banners(s)}
${overview(s)}
${thresholds(s)}
<section id="workloads"><h2>Workloads</h2>
${s.workloads.map((w, i) => workload(s, w, i)).join('\n')}
</section>
${chartsSection(data.charts.filter((c) => !c.id.startsWith('server-')))}
${server.html}
${errorsSection(s)}
${generatorSection(s)}
</main>
<footer><div class="wrap">Generated by servebench v${e(s.servebenchVersion)} from ${s.scenario.file ? `<span class="mono">${e(s.scenario.file)}</span>` : 'a scenario built in code'} · started ${e(fmtInstant(s.startedAt))} · all times in ms</div></footer>
<script type="application/json" id="sb-data">${jsonForScript(data)}</script>
<script>${inlineScript(assets.js)}</script>
<script>${inlineScript(CLIENT_JS)}</script>
</body>
</html>
`;
}

export const htmlReport: ReportWriter = {
  name: 'html',
  file: 'report.html',
  render: renderHtml,
};

/** Building blocks the sweep report (src/sweep/report.ts) shares with this one. */
export { chartBox, tile };
