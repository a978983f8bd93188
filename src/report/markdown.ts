/**
 * Markdown summaries for `$GITHUB_STEP_SUMMARY` or a merge-request comment (GitHub- and
 * GitLab-flavoured tables). Pure functions of a Summary or a Comparison.
 */
import type { Summary } from '../metrics/summary-types.js';
import { SERVER, type CompareEntry, type Comparison } from '../compare/types.js';
import { dataText, serverOnlyText, serverShown, toleranceText } from './compare.js';

/** Table cells: pipes and line breaks would break the row. */
function mdCell(s: unknown): string {
  return String(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}

/** A code span: its text is literal (no entities), so only pipes and backticks need care. */
class Code {
  constructor(readonly text: string) {}
  toString(): string {
    return '`' + this.text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ') + '`';
  }
}

function row(cells: unknown[]): string {
  return `| ${cells.map((c) => (c instanceof Code ? String(c) : mdCell(c))).join(' | ')} |`;
}

function num(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(digits);
}

function pct(x: number, digits = 2): string {
  return `${(x * 100).toFixed(digits)}%`;
}

export function markdownSummary(s: Summary): string {
  const lines: string[] = [];
  const failed = s.thresholds.filter((t) => !t.ok).length;
  const status = s.thresholds.length === 0 ? '' : failed ? ` — :x: ${failed} of ${s.thresholds.length} thresholds failed` : ` — :white_check_mark: ${s.thresholds.length} thresholds passed`;
  lines.push(`### servebench: ${mdCell(s.scenario.name)}${status}`, '');
  const t = s.target;
  lines.push(
    `${t.embedded ? 'embedded mock' : mdCell(t.url)} · ${t.routing} routing · ${s.load.type} ${s.load.targetRps} req/s for ${s.durationS} s · achieved ${num(s.load.achievedRps)} req/s · ` +
      `${s.totals.ok} ok, ${s.totals.errors} errors (${pct(s.totals.completed ? s.totals.errors / s.totals.completed : 0)}), ${s.totals.dropped} dropped`,
    '',
  );
  if (s.generator.saturated) lines.push('> :warning: the generator was saturated: latency includes its own delay.', '');
  if (s.thresholds.length) {
    lines.push(row(['threshold', 'value', 'result']), '|---|---:|:---:|');
    for (const th of s.thresholds) lines.push(row([new Code(th.expr), th.value === null ? '—' : num(th.value, 3), th.ok ? ':white_check_mark: pass' : ':x: fail']));
    lines.push('');
  }
  lines.push(row(['workload', 'metric', 'count', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms']), '|---|---|---:|---:|---:|---:|---:|');
  const add = (name: string, metrics: Summary['metrics']) => {
    for (const m of ['latency', 'ttft', 'tpot', 'itl'] as const) {
      const x = metrics[m];
      if (x && x.count > 0) lines.push(row([name, m, x.count, num(x.p50), num(x.p90), num(x.p99), num(x.max)]));
    }
  };
  add('all', s.metrics);
  if (s.workloads.length > 1) for (const w of s.workloads) add(w.name, w.metrics);
  lines.push('');
  return lines.join('\n');
}

function changeText(m: CompareEntry): string {
  if (m.unit === 'fraction') return `${m.change >= 0 ? '+' : ''}${(m.change * 100).toFixed(2)} pt`;
  return m.relativeChange === null ? '—' : `${m.relativeChange >= 0 ? '+' : ''}${(m.relativeChange * 100).toFixed(1)}%`;
}

function ciText(m: CompareEntry): string {
  if (!m.ci) return '—';
  if (m.unit === 'fraction' || !m.ci.relative) return `${num(m.ci.change[0], 3)} … ${num(m.ci.change[1], 3)}`;
  return `${(m.ci.relative[0] * 100).toFixed(1)}% … ${(m.ci.relative[1] * 100).toFixed(1)}%`;
}

const ICON = { regression: ':x: regression', improvement: ':rocket: improvement', same: 'same' } as const;

/**
 * The comparison: a headline, the whole run's key rows, then every regression and improvement of
 * any workload; the full table stays in compare.csv/compare.html to keep a comment readable.
 */
export function markdownComparison(c: Comparison, opts: { all?: boolean } = {}): string {
  const head =
    c.verdict === 'regression'
      ? `:x: ${c.regressions} regression(s)`
      : c.verdict === 'improvement'
        ? `:white_check_mark: no regression, ${c.improvements} improvement(s)`
        : ':white_check_mark: no regression';
  const lines = [`### servebench compare: ${mdCell(c.baseline.label)} → ${mdCell(c.candidate.label)} — ${head}`, ''];
  lines.push(
    `Method: ${c.method.name === 'block-bootstrap' ? `block bootstrap over 1 s intervals (${c.method.resamples} resamples, ${Math.round(c.method.confidence * 100)}% interval)` : 'tolerance only (no per-interval data)'}; ` +
      `${toleranceText(c.tolerance)}.`,
    '',
    `Data: ${mdCell(dataText(c.baseline))}; ${mdCell(dataText(c.candidate))}.`,
    '',
  );
  for (const w of c.warnings) lines.push(`> :warning: ${mdCell(w)}`);
  if (c.warnings.length) lines.push('');
  const shown = c.metrics.filter((m) => m.workload !== SERVER && (opts.all || m.verdict !== 'same' || (m.workload === 'all' && m.metric !== 'serviceTime' && m.stat !== 'p90')));
  const table = (first: string, entries: readonly CompareEntry[]) => {
    lines.push(row([first, 'metric', 'baseline', 'candidate', 'change', `${Math.round(c.method.confidence * 100)}% CI`, 'verdict']), '|---|---|---:|---:|---:|---:|---|');
    for (const m of entries) {
      const v = (x: number) => (m.unit === 'fraction' ? pct(x) : `${num(x)}${m.unit === 'ms' ? ' ms' : ''}`);
      lines.push(row([first === 'workload' ? m.workload : new Code(m.metric), first === 'workload' ? `${m.metric}.${m.stat}` : m.stat, v(m.baseline), v(m.candidate), changeText(m), ciText(m), ICON[m.verdict]]));
    }
  };
  table('workload', shown);
  if (c.server) {
    const srv = opts.all ? c.metrics.filter((m) => m.workload === SERVER) : serverShown(c, 12);
    lines.push('', `**Server series**: ${c.server.compared} in both runs, matched by name and labels${srv.length < c.metrics.filter((m) => m.workload === SERVER).length ? ' (judged changes first; every one is in compare.csv)' : ''}.`, '');
    if (srv.length) table('series', srv);
    for (const l of serverOnlyText(c)) lines.push('', `- ${mdCell(l)}`);
  }
  lines.push('', `${c.metrics.length} metrics compared: ${c.regressions} regression(s), ${c.improvements} improvement(s).`, '');
  return lines.join('\n');
}
