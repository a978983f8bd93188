/**
 * The comparison's files and console text: compare.json, compare.csv (compare-html.ts is the
 * page), and the terminal table. The statistics are in compare/.
 */
import { stringify } from 'csv-stringify/sync';
import { ALL } from '../metrics/bootstrap.js';
import type { CompareEntry, CompareReport, Comparison, RunRef } from '../compare/types.js';
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

/** A plain-text table for the terminal: the whole run's key rows, and every non-`same` row. */
export function compareText(c: Comparison): string {
  const shown = c.metrics.filter((m) => m.verdict !== 'same' || (m.workload === ALL && (m.stat === 'p50' || m.stat === 'p99' || m.metric !== 'serviceTime')));
  const head = ['workload', 'metric', 'baseline', 'candidate', 'change', `${Math.round(c.method.confidence * 100)}% CI`, 'verdict'];
  const rows = shown.map((m) => [m.workload, `${m.metric}.${m.stat}`, fmt(m.baseline, m.unit), fmt(m.candidate, m.unit), relText(m), ciText(m), m.verdict.toUpperCase()]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => (i >= 2 && i <= 4 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [
    `${c.baseline.label} (${c.baseline.scenario}, ${c.baseline.startedAt}) vs ${c.candidate.label} (${c.candidate.scenario}, ${c.candidate.startedAt})`,
    `data: ${dataText(c.baseline)}; ${dataText(c.candidate)}${c.baseline.workload && c.baseline.workload === c.candidate.workload ? `; one workload (${c.baseline.workload}): 'all' is it` : ''}`,
    `method: ${c.method.name}${c.method.name === 'block-bootstrap' ? ` (${c.method.resamples} resamples of 1 s intervals)` : ''}; ${toleranceText(c.tolerance)}`,
    '',
    line(head),
    ...rows.map(line),
    '',
    `${c.metrics.length} compared: ${c.regressions} regression(s), ${c.improvements} improvement(s), ${c.metrics.length - c.regressions - c.improvements} same`,
  ];
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
