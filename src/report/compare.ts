/**
 * The comparison's files and console text: compare.json, compare.csv (compare-html.ts is the
 * page), and the terminal table. The statistics are in compare/.
 */
import { stringify } from 'csv-stringify/sync';
import { ALL } from '../metrics/bootstrap.js';
import { SERVER, type CompareEntry, type CompareReport, type Comparison, type RunRef } from '../compare/types.js';
import type { Writer } from './writer.js';
import { round1 } from '../util/values.js';

/** The comparison's counterpart of the summary's writers: one file rendered from the comparison. */
export type CompareWriter = Writer<CompareReport>;

export const compareJson: CompareWriter = {
  name: 'compare-json',
  file: 'compare.json',
  render: (r) => JSON.stringify(r.comparison, null, 2) + '\n',
};

export const CSV_COLUMNS = ['workload', 'metric', 'stat', 'unit', 'better', 'baseline', 'candidate', 'change', 'relativeChange', 'ratio', 'ciLow', 'ciHigh', 'ratioCiLow', 'ratioCiHigh', 'tolerance', 'toleranceKind', 'verdict', 'reason'] as const;

export const compareCsv: CompareWriter = {
  name: 'compare-csv',
  file: 'compare.csv',
  render(r) {
    const rows = r.comparison.metrics.map((m) => [
      m.workload,
      m.metric,
      m.stat,
      m.unit,
      m.better,
      m.baseline,
      m.candidate,
      m.change,
      m.relativeChange ?? '',
      m.ratio ?? '',
      m.ci?.change[0] ?? '',
      m.ci?.change[1] ?? '',
      m.ci?.ratio?.[0] ?? '',
      m.ci?.ratio?.[1] ?? '',
      m.tolerance,
      m.toleranceKind,
      m.verdict,
      m.reason,
    ]);
    return stringify([[...CSV_COLUMNS], ...rows]);
  },
};

// ---------------------------------------------------------------------------------------------
// Console text

function fmt(x: number, unit: string): string {
  if (unit === 'fraction') return `${(x * 100).toFixed(2)}%`;
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function relText(m: CompareEntry): string {
  if (m.unit === 'fraction') return `${m.change >= 0 ? '+' : ''}${(m.change * 100).toFixed(2)} pt`;
  return m.relativeChange === null ? 'n/a' : `${m.relativeChange >= 0 ? '+' : ''}${(m.relativeChange * 100).toFixed(1)}%`;
}

function ciText(m: CompareEntry): string {
  if (!m.ci) return '';
  if (m.unit === 'fraction' || !m.ci.relative) return `[${fmt(m.ci.change[0], m.unit)}, ${fmt(m.ci.change[1], m.unit)}]`;
  return `[${(m.ci.relative[0] * 100).toFixed(1)}%, ${(m.ci.relative[1] * 100).toFixed(1)}%]`;
}

/** The seconds of data a run really has: its measured duration and its one-second records. */
export function dataText(r: RunRef): string {
  const recs = r.intervals > 0 ? `${r.intervals} one-second record${r.intervals === 1 ? '' : 's'}` : 'summary only, no per-second records';
  return `${r.label} ${round1(r.durationS)} s measured (${recs})`;
}

/** `tolerance ±10% (latency.p99 ±5%, errors.rate ±0.5 pt)`: the overrides too, in their own units. */
export function toleranceText(t: Comparison['tolerance']): string {
  const over = Object.entries(t.overrides).map(([k, v]) => (k === 'errors.rate' ? `${k} ±${pctShort(v * 100)} pt` : `${k} ±${pctShort(v * 100)}%`));
  return `tolerance ±${pctShort(t.default * 100)}%${over.length ? ` (${over.join(', ')})` : ''}`;
}

function pctShort(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** Server entries to show in a short form: every judged change, then the rest up to `max`. */
export function serverShown(c: Comparison, max: number): CompareEntry[] {
  const srv = c.metrics.filter((m) => m.workload === SERVER);
  const moved = srv.filter((m) => m.verdict !== 'same');
  return [...moved, ...srv.filter((m) => m.verdict === 'same').slice(0, Math.max(0, max - moved.length))];
}

/** Lines naming the server series of one run only (listed, never failed). */
export function serverOnlyText(c: Comparison): string[] {
  const s = c.server;
  if (!s) return [];
  const list = (xs: string[]) => (xs.length > 8 ? `${xs.slice(0, 8).join(', ')} and ${xs.length - 8} more` : xs.join(', '));
  return [
    ...(s.onlyInBaseline.length ? [`only in the baseline (not compared): ${list(s.onlyInBaseline)}`] : []),
    ...(s.onlyInCandidate.length ? [`only in the candidate (not compared): ${list(s.onlyInCandidate)}`] : []),
  ];
}

/** Console rows of server series shown besides the judged ones. */
const SERVER_ROWS = 12;

/** A plain-text table for the terminal: the whole run's key rows, and every non-`same` row; then the server's series. */
export function compareText(c: Comparison): string {
  const client = c.metrics.filter((m) => m.workload !== SERVER);
  const shown = client.filter((m) => m.verdict !== 'same' || (m.workload === ALL && (m.stat === 'p50' || m.stat === 'p99' || m.metric !== 'serviceTime')));
  const head = ['workload', 'metric', 'baseline', 'candidate', 'change', `${Math.round(c.method.confidence * 100)}% CI`, 'verdict'];
  const lines = [
    `${c.baseline.label} (${c.baseline.scenario}, ${c.baseline.startedAt}) vs ${c.candidate.label} (${c.candidate.scenario}, ${c.candidate.startedAt})`,
    `data: ${dataText(c.baseline)}; ${dataText(c.candidate)}${c.baseline.workload && c.baseline.workload === c.candidate.workload ? `; one workload (${c.baseline.workload}): 'all' is it` : ''}`,
    `method: ${c.method.name}${c.method.name === 'block-bootstrap' ? ` (${c.method.resamples} resamples of 1 s intervals)` : ''}; ${toleranceText(c.tolerance)}`,
    '',
    ...textTable(head, shown),
  ];
  if (c.server) {
    const srv = serverShown(c, SERVER_ROWS);
    const all = c.metrics.length - client.length;
    lines.push('', `server series: ${c.server.compared} in both runs (matched by name and labels), ${all} figures compared${srv.length < all ? `, ${srv.length} shown (every one is in compare.csv)` : ''}`);
    if (srv.length) lines.push(...textTable(['workload', 'series.stat', ...head.slice(2)], srv));
    lines.push(...serverOnlyText(c));
  }
  lines.push('', `${c.metrics.length} compared: ${c.regressions} regression(s), ${c.improvements} improvement(s), ${c.metrics.length - c.regressions - c.improvements} same`);
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

function textTable(head: string[], entries: readonly CompareEntry[]): string[] {
  const rows = entries.map((m) => [m.workload, `${m.metric}.${m.stat}`, fmt(m.baseline, m.unit), fmt(m.candidate, m.unit), relText(m), ciText(m), m.verdict.toUpperCase()]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => (i >= 2 && i <= 4 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}
