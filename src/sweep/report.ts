/**
 * The sweep's report set: sweep.json, sweep.csv and sweep.html. The writers are the report's
 * `Writer<T>`, like the run's and the comparison's, and are written atomically. sweep.html reuses the run report's
 * stylesheet, chart boxes, inlined uPlot and its client script (the 'xy' chart kind), so there is
 * one chart stack.
 */
import { stringify } from 'csv-stringify/sync';
import { CLIENT_JS } from '../report/html-client.js';
import { LOG_RATIO, PALETTE, type ChartSpec, type SeriesSpec } from '../report/html-data.js';
import { escapeHtml as e, fmtMs, fmtNum, fmtPct, fmtInstant, jsonForScript } from '../report/html-format.js';
import { chartBox, inlineScript, pageHead, tile, uplot } from '../report/html.js';
import { writeAll, type Writer } from '../report/writer.js';
import { VERSION } from '../version.js';
import { parseThreshold } from './conditions.js';
import type { Pcts, SweepStep } from './core.js';
import type { SweepResult } from './run.js';
import { MAX_SERVER_CHARTS, serverSweepCharts } from './server-charts.js';

export type SweepWriter = Writer<SweepResult>;

export const sweepJson: SweepWriter = {
  name: 'sweep-json',
  file: 'sweep.json',
  render: (r) => JSON.stringify(r, null, 2) + '\n',
};

const PCT_KEYS = ['p50', 'p90', 'p95', 'p99'] as const;
const CHART_PCTS = ['p50', 'p90', 'p99'] as const;

export const sweepCsv: SweepWriter = {
  name: 'sweep-csv',
  file: 'sweep.csv',
  render(r) {
    const metrics = ['latency', 'ttft', 'tpot'] as const;
    const head = [
      'step', 'value', 'unit', 'attempts', 'achievedRps', 'throughputRps',
      ...metrics.flatMap((m) => PCT_KEYS.map((k) => `${m}${k.toUpperCase()}Ms`)),
      'completed', 'errors', 'errorRate', 'dropped', 'goodputRps', 'outputTokensPerS', 'meanInFlight', 'stable', 'saturated', 'generatorSaturated', 'pass',
      ...r.sweep.until.map((u) => `until: ${u}`),
    ];
    const cell = (p: Pcts | null, k: (typeof PCT_KEYS)[number]) => (p ? p[k] : '');
    const rows = r.steps.map((s) => [
      s.index, s.value, s.unit, s.attempts, s.achievedRps, s.throughputRps,
      ...PCT_KEYS.map((k) => cell(s.latencyMs, k)), ...PCT_KEYS.map((k) => cell(s.ttftMs, k)), ...PCT_KEYS.map((k) => cell(s.tpotMs, k)),
      s.completed, s.errors, s.errorRate, s.dropped, s.goodputRps ?? '', s.outputTokensPerS, s.meanInFlight, String(s.stable), s.saturation.join('; '), String(s.generatorSaturated), String(s.pass),
      ...r.sweep.until.map((u) => {
        const c = s.conditions.find((x) => x.expr === u);
        return c ? (c.ok ? 'pass' : 'fail') : '';
      }),
    ]);
    return stringify([head, ...rows]);
  },
};

// ---------------------------------------------------------------------------------------------
// sweep.html

/** Horizontal SLO lines for a metric: every `until` bound on it (`ttft.p95 < 1s` → 1000 at p95). */
function sloLines(until: readonly string[], metric: string): Array<{ label: string; ms: number }> {
  const out: Array<{ label: string; ms: number }> = [];
  for (const u of until) {
    const p = parseThreshold(u);
    if (p.metric === metric && (p.op === '<' || p.op === '<=') && !p.ofTarget) out.push({ label: `SLO ${u}`, ms: p.value });
  }
  return out;
}

function percentileChart(
  id: string,
  title: string,
  steps: SweepStep[],
  x: (s: SweepStep) => number,
  xLabel: string,
  pick: (s: SweepStep) => Pcts | null,
  slo: Array<{ label: string; ms: number }>,
  knee: SweepStep | null,
): ChartSpec {
  const rows = steps.filter((s) => pick(s)).sort((a, b) => x(a) - x(b));
  const series: SeriesSpec[] = CHART_PCTS.map((k, i) => ({ label: k, color: PALETTE[i], unit: ' ms' }));
  const data: Array<Array<number | null>> = [rows.map(x), ...CHART_PCTS.map((k) => rows.map((s) => pick(s)![k]))];
  for (const l of slo) {
    series.push({ label: l.label, color: '#dc2626', dash: [6, 4], width: 1, unit: ' ms' });
    data.push(rows.map(() => l.ms));
  }
  if (knee && pick(knee)) {
    series.push({ label: 'knee (p99)', color: '#111827', width: 0, unit: ' ms' });
    data.push(rows.map((s) => (s === knee ? pick(s)!.p99 : null)));
  }
  const spec: ChartSpec = { id, title, kind: 'xy', xLabel, yLabel: 'ms', series, data };
  if (rows.length === 0) spec.empty = 'No step recorded this metric.';
  // Past the knee latency grows by orders of magnitude: a log axis keeps the low-load steps and
  // the SLO line readable next to the saturated ones.
  const ys = data.slice(1).flat().filter((v): v is number => v !== null && v > 0);
  if (ys.length && Math.max(...ys) / Math.min(...ys) > LOG_RATIO) spec.yLog = true;
  return spec;
}

function simpleChart(id: string, title: string, steps: SweepStep[], x: (s: SweepStep) => number, xLabel: string, yLabel: string, ys: Array<{ label: string; pick: (s: SweepStep) => number | null; unit: string }>): ChartSpec {
  const rows = [...steps].sort((a, b) => x(a) - x(b));
  return {
    id,
    title,
    kind: 'xy',
    xLabel,
    yLabel,
    series: ys.map((y, i) => ({ label: y.label, color: PALETTE[i], unit: y.unit })),
    data: [rows.map(x), ...ys.map((y) => rows.map(y.pick))],
    ...(rows.length === 0 ? { empty: 'No step finished.' } : {}),
  };
}

export function sweepCharts(r: SweepResult): ChartSpec[] {
  const steps = r.steps;
  const closed = r.sweep.over === 'concurrency';
  const knee = r.answer.knee === null ? null : (steps.find((s) => s.value === r.answer.knee) ?? null);
  // Against what was asked (offered rate or concurrency): past the server's capacity the achieved
  // rate stays put, which piled every saturated step on one vertical line.
  const asked = (s: SweepStep) => s.value;
  const xLabel = closed ? 'concurrency' : 'offered rate (rps)';
  const against = closed ? 'concurrency' : 'offered rate';
  const charts: ChartSpec[] = [
    percentileChart('sweep-latency', `Latency against ${against}`, steps, asked, xLabel, (s) => s.latencyMs, sloLines(r.sweep.until, 'latency'), knee),
    simpleChart('sweep-throughput', closed ? 'Throughput against concurrency' : 'Achieved against offered rate', steps, asked, xLabel, 'rps', [
      { label: 'completed/s', pick: (s) => s.throughputRps, unit: ' rps' },
      ...(closed ? [] : [{ label: 'offered', pick: (s: SweepStep) => s.value, unit: ' rps' }]),
    ]),
  ];
  if (steps.some((s) => s.goodputRps !== null)) {
    charts.push(simpleChart('sweep-goodput', `Goodput against ${against}`, steps, asked, xLabel, 'rps', [
      { label: 'goodput (met every SLO)', pick: (s) => s.goodputRps, unit: ' rps' },
      { label: 'completed/s', pick: (s) => s.throughputRps, unit: ' rps' },
    ]));
  }
  if (r.generative) {
    charts.push(percentileChart('sweep-ttft', `Time to first token against ${against}`, steps, asked, xLabel, (s) => s.ttftMs, sloLines(r.sweep.until, 'ttft'), null));
    charts.push(percentileChart('sweep-tpot', `Time per output token against ${against}`, steps, asked, xLabel, (s) => s.tpotMs, sloLines(r.sweep.until, 'tpot'), null));
    charts.push(simpleChart('sweep-tokens', `Output tokens per second against ${against}`, steps, asked, xLabel, 'tokens/s', [{ label: 'output tokens/s', pick: (s) => s.outputTokensPerS, unit: ' tok/s' }]));
  }
  return charts;
}

/** The Server section of sweep.html (scenario `server:`): its charts and HTML; none without server data. */
function serverPart(r: SweepResult): { charts: ChartSpec[]; html: string } {
  const xLabel = r.sweep.over === 'concurrency' ? 'concurrency' : 'offered rate (rps)';
  const { charts, total } = serverSweepCharts(r.steps, xLabel);
  if (total === 0) return { charts: [], html: '' };
  const more = total > charts.length ? ` The first ${MAX_SERVER_CHARTS} of ${total} series are drawn; every step's figures of every series are in sweep.json (steps[].server).` : '';
  return {
    charts,
    html: `<section id="server"><h2>Server <span class="unit">· its own series per step</span></h2><div class="charts">${charts.map(chartBox).join('')}</div>
<p class="muted" style="margin-top:8px;font-size:12px">Each point is one step's measured window: a gauge's mean and max over its scrapes, a counter's rate, a histogram's percentiles from its buckets' increase. A step saturates when vLLM's or the queue-proxy's queue held requests on average and at the end, or the KV cache went above 90 %; its verdict names the signal.${more}</p></section>`,
  };
}

function stepsTable(r: SweepResult): string {
  const u = r.sweep.until;
  const head = `<th>#</th><th>${r.sweep.over === 'concurrency' ? 'concurrency' : 'offered rps'}</th><th>completed rps</th><th>p50</th><th>p90</th><th>p99</th>${r.generative ? '<th>ttft p95</th><th>tpot p95</th><th>tokens/s</th>' : ''}<th>errors</th><th>goodput rps</th>${u.map((x) => `<th><code>${e(x)}</code></th>`).join('')}<th>verdict</th>`;
  const p95 = (p: Pcts | null) => (p ? fmtMs(p.p95) : '—');
  const rows = [...r.steps]
    .sort((a, b) => a.value - b.value || a.index - b.index)
    .map((s) => {
      const cond = u.map((x) => {
        const c = s.conditions.find((y) => y.expr === x);
        return c ? `<td class="${c.ok ? 'ok' : 'bad'}" title="${e(c.message ?? '')}">${c.ok ? '✓' : '✗'} ${c.value === null ? '—' : fmtNum(c.value)}</td>` : '<td>—</td>';
      });
      const verdict = (s.pass ? 'pass' : s.saturation.length ? `saturated: ${s.saturation.join('; ')}` : 'fails the conditions') + (s.generatorSaturated ? ' (the load generator fell behind its plan)' : '');
      return `<tr data-step="${s.index}" data-pass="${s.pass}"><td>${s.index + 1}${s.attempts > 1 ? ` <small>(×${s.attempts})</small>` : ''}${s.stable ? '' : ' <small title="the last windows disagreed">unstable</small>'}</td><td>${fmtNum(s.value)}</td><td>${fmtNum(s.throughputRps)}</td><td>${fmtMs(s.latencyMs?.p50)}</td><td>${fmtMs(s.latencyMs?.p90)}</td><td>${fmtMs(s.latencyMs?.p99)}</td>${r.generative ? `<td>${p95(s.ttftMs)}</td><td>${p95(s.tpotMs)}</td><td>${fmtNum(s.outputTokensPerS)}</td>` : ''}<td>${fmtPct(s.errorRate)}</td><td>${s.goodputRps === null ? '—' : fmtNum(s.goodputRps)}</td>${cond.join('')}<td style="text-align:left">${e(verdict)}</td></tr>`;
    })
    .join('');
  return `<div class="tablebox"><table class="num"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function renderSweepHtml(r: SweepResult): string {
  const assets = uplot();
  const server = serverPart(r);
  const charts = [...sweepCharts(r), ...server.charts];
  const a = r.answer;
  const unit = a.unit === 'rps' ? 'rps' : 'streams';
  const tiles = [
    tile('maximum within SLO', a.maxRate === null ? '—' : `${fmtNum(a.maxRate)}<small>${unit}</small>`, a.maxAchievedRps === null ? 'no step passed' : `${fmtNum(a.maxAchievedRps)} rps completed`, a.maxRate === null ? 'bad' : 'good'),
    tile('knee', a.knee === null ? '—' : `${fmtNum(a.knee)}<small>${unit}</small>`, a.knee === null ? 'none in the range' : `p99 within 2× its low-load value up to here`),
    tile('steps', String(r.steps.length), `${r.sweep.mode} over ${r.sweep.over}`),
    tile('sweep time', `${fmtNum(r.elapsedS)}<small>s</small>`, `${fmtNum(r.sweep.stepDurationMs / 1000)} s per step + ${fmtNum(r.sweep.warmupMs / 1000)} s warm-up`),
  ];
  const planning = r.planning
    ? `<section id="planning"><h2>Planning note</h2><div class="card" data-field="planning"><p><b>${r.planning.replicas} replicas</b> for a peak of ${fmtNum(r.planning.peakRps)} rps with ${fmtNum(r.planning.headroom * 100)}% headroom.</p><p class="muted">${e(r.planning.text)}</p></div></section>`
    : '';
  const interrupted = r.interrupted ? `<div class="banner info" data-banner="interrupted"><h3>Interrupted sweep</h3>The sweep stopped early; the answer covers the ${r.steps.length} steps that finished.</div>` : '';
  return `${pageHead(`${r.scenario.name} · servebench sweep`, VERSION)}<header class="top"><div class="wrap"><div><div class="brand">servebench sweep</div>
<h1 data-field="scenario">${e(r.scenario.name)}</h1>
<div class="target">${r.target.url === 'embedded' ? '<b>embedded mock</b>' : `<b>${e(r.target.url)}</b>`} · ${e(r.target.routing)} routing · deployment <b>${e(r.target.deployment)}</b></div></div></div></header>
<main class="wrap">
${interrupted}
<section id="answer"><h2>Answer</h2><div class="card"><p data-field="sentence" style="font-size:18px;margin:0 0 12px"><b>${e(a.sentence)}</b></p><div class="tiles">${tiles.join('')}</div>
<p class="muted" style="margin-top:10px;font-size:12px">A step passes when every condition holds (${r.sweep.until.map((u) => `<code>${e(u)}</code>`).join(', ') || 'none given'}) and the server kept up (completions within 5% of the offered rate, no drops, errors not rising, latency not growing within the step). The knee is the largest value whose p99 stays within 2× the low-load p99 (the smallest measured), below a value whose p99 exceeds it.</p></div></section>
${planning}
<section id="charts"><h2>Charts</h2><div class="charts">${charts.filter((c) => !server.charts.includes(c)).map(chartBox).join('')}</div>
<p class="muted" style="margin-top:8px;font-size:12px">Dashed red lines are the SLO bounds of the conditions; the black point marks the knee.</p></section>
${server.html}
<section id="steps"><h2>Steps</h2>${stepsTable(r)}</section>
</main>
<footer><div class="wrap">Generated by servebench v${e(VERSION)} · started ${e(fmtInstant(r.startedAt))} · all times in ms</div></footer>
<script type="application/json" id="sb-data">${jsonForScript({ charts })}</script>
<script>${inlineScript(assets.js)}</script>
<script>${inlineScript(CLIENT_JS)}</script>
</body>
</html>
`;
}

export const sweepHtml: SweepWriter = { name: 'sweep-html', file: 'sweep.html', render: renderSweepHtml };

export const SWEEP_WRITERS: readonly SweepWriter[] = [sweepJson, sweepCsv, sweepHtml];

export function writeSweepReports(r: SweepResult, dir: string): string[] {
  return writeAll(r, dir, SWEEP_WRITERS);
}
