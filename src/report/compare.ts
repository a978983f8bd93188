/**
 * Comparison of two runs (or two variants of one run): for every workload and the whole run, the
 * key stats of each metric with baseline, candidate, change, relative change, a bootstrap
 * confidence interval from the per-second records, and a verdict. A verdict is `regression` or
 * `improvement` only when the change is beyond the tolerance AND its interval excludes zero, so a
 * difference that one noisy second explains is `same`.
 *
 * Reads summaries and results.ndjson only (DESIGN.md: report never reads the engine).
 */
import { stringify } from 'csv-stringify/sync';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ServebenchError } from '../errors.js';
import { ALL, BOOTSTRAP_DEFAULTS, PERCENTILE_OF, bootstrapChange, intervalsOf, type BootstrapOptions, type ChangeInterval, type IntervalData, type RunIntervals, type Stat } from '../metrics/bootstrap.js';
import { metricScale, type MetricName, type RunRecord } from '../metrics/records.js';
import type { Summary, WorkloadSummary } from '../metrics/summary-types.js';
import { RESULTS_FILE, readRecords } from './ndjson.js';
import { writeFileAtomic } from './writer.js';
import { requirePercent } from '../util/percent.js';

export type Verdict = 'regression' | 'improvement' | 'same';

export interface CompareEntry {
  /** A workload name, or 'all' for the whole run. */
  workload: string;
  metric: string;
  stat: string;
  unit: string;
  /** Which direction is good. */
  better: 'lower' | 'higher';
  baseline: number;
  candidate: number;
  /** candidate − baseline, in the metric's unit. */
  change: number;
  /** change / baseline (null when the baseline is 0). */
  relativeChange: number | null;
  /** candidate / baseline (null when the baseline is 0). */
  ratio: number | null;
  /** Bootstrap interval of the change (null for a tolerance-only verdict). */
  ci: { level: number; change: [number, number]; relative: [number, number] | null; ratio: [number, number] | null } | null;
  /** The tolerance applied and whether it is relative (a fraction of the baseline) or absolute. */
  tolerance: number;
  toleranceKind: 'relative' | 'absolute';
  verdict: Verdict;
  /** Why this verdict, in a sentence. */
  reason: string;
}

export interface RunRef {
  label: string;
  path: string;
  scenario: string;
  startedAt: string;
  /** Measured seconds of the run: the seconds of data it really has. */
  durationS: number;
  /** One-second records found (0: summary.json only); the last may hold only late completions. */
  intervals: number;
  /** The run's only workload, when it has one ('all' rows are that workload). */
  workload?: string;
}

export interface Comparison {
  schemaVersion: 1;
  kind: 'runs' | 'variants';
  baseline: RunRef;
  candidate: RunRef;
  method: {
    name: 'block-bootstrap' | 'tolerance-only';
    description: string;
    confidence: number;
    resamples: number;
    seed: number;
  };
  tolerance: { default: number; overrides: Record<string, number> };
  verdict: Verdict;
  regressions: number;
  improvements: number;
  warnings: string[];
  metrics: CompareEntry[];
}

/** A run as compare sees it: its summary, and its per-second data when results.ndjson is there. */
export interface RunData {
  label: string;
  path: string;
  summary: Summary;
  intervals: RunIntervals | null;
}

export interface CompareOptions {
  /** Default relative tolerance (0.1 = 10 %). */
  tolerance?: number;
  /** Per `metric.stat` tolerances, e.g. {'latency.p99': 0.05, 'errors.rate': 0.005}. */
  toleranceFor?: Record<string, number>;
  bootstrap?: Partial<BootstrapOptions>;
  kind?: Comparison['kind'];
}

export const DEFAULT_TOLERANCE = 0.1;
/** Error rate changes are judged in absolute points: +10 % of a 0.1 % error rate is no news. */
export const DEFAULT_ERROR_RATE_TOLERANCE = 0.01;
/** Fewer seconds than this per run and a bootstrap over seconds says nothing: tolerance only. */
export const MIN_INTERVALS = 3;
/**
 * A percentile is judged only when each run has at least this many samples beyond it: p99 of 150
 * requests is the second-largest value, which one slow second moves by 30 %, and neither the
 * tolerance nor a bootstrap over three seconds can tell that from a regression.
 */
export const MIN_TAIL_SAMPLES = 10;

export const TIME_METRICS_COMPARED: readonly MetricName[] = ['latency', 'serviceTime', 'ttft', 'tpot', 'itl'];
export const TIME_STATS: readonly Stat[] = ['p50', 'p90', 'p99', 'mean'];

// ---------------------------------------------------------------------------------------------
// Loading

/** `<dir>` or `<dir>/summary.json` (or `<dir>/results.ndjson`): the summary and, if present, the records. */
export function loadRun(arg: string, label: string): RunData {
  const p = resolve(arg);
  if (!existsSync(p)) throw new ServebenchError('E_FILE', `${arg} does not exist`, { hint: 'name a run folder or its summary.json' });
  const dir = statSync(p).isDirectory() ? p : dirname(p);
  const summaryPath = statSync(p).isDirectory() ? join(p, 'summary.json') : basename(p) === RESULTS_FILE ? join(dir, 'summary.json') : p;
  if (!existsSync(summaryPath)) throw new ServebenchError('E_FILE', `${summaryPath} does not exist`, { hint: 'name a run folder that holds summary.json (servebench report <dir> rebuilds it)' });
  let summary: Summary;
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary;
  } catch (err) {
    throw new ServebenchError('E_RESULTS', `${summaryPath}: not a servebench summary: ${(err as Error).message}`);
  }
  if (typeof summary !== 'object' || summary === null || !summary.metrics || !Array.isArray(summary.workloads) || !summary.totals) {
    throw new ServebenchError('E_RESULTS', `${summaryPath}: not a servebench summary (no metrics, workloads or totals)`);
  }
  const results = join(dir, RESULTS_FILE);
  const intervals = existsSync(results) ? intervalsOf(readRecords(results)) : null;
  return { label, path: summaryPath, summary, intervals };
}

/** A RunData straight from records (the in-run variant comparison). */
export function runDataOf(label: string, path: string, summary: Summary, records: readonly RunRecord[]): RunData {
  return { label, path, summary, intervals: intervalsOf(records) };
}

// ---------------------------------------------------------------------------------------------
// Tolerances

/** '10%' → 0.1. A bare number is refused (E_USAGE, with the hint 'write 10%'): see util/percent.ts. */
export function parseTolerance(s: string, flag = '--tolerance'): number {
  return requirePercent(s, flag);
}

/** 'latency.p99=5%' → ['latency.p99', 0.05]; 'errors.rate=1%' → ['errors.rate', 0.01] (absolute points). */
export function parseToleranceFor(s: string): [string, number] {
  const eq = s.indexOf('=');
  const key = eq < 0 ? '' : s.slice(0, eq).trim();
  if (!/^[A-Za-z]+\.[A-Za-z0-9]+$/.test(key)) throw new ServebenchError('E_USAGE', `--tolerance-for '${s}' is not metric.stat=value (e.g. latency.p99=5%)`);
  return [key, parseTolerance(s.slice(eq + 1), `--tolerance-for ${key}`)];
}

// ---------------------------------------------------------------------------------------------
// The comparison

interface Row {
  /** For percentiles: the smaller sample count of the two runs. */
  count?: number;
  metric: string;
  stat: string;
  unit: string;
  better: 'lower' | 'higher';
  base: number;
  cand: number;
  absoluteTolerance?: boolean;
}

function errorRate(t: { errors: number; completed: number }): number {
  return t.completed > 0 ? t.errors / t.completed : 0;
}

type Side = { metrics: WorkloadSummary['metrics']; totals: WorkloadSummary['totals']; achievedRps: number; tokensPerS: number; goodput: number | null };

function sideOf(s: Summary, workload: string): Side | null {
  if (workload === ALL) {
    const gp = s.workloads.every((w) => w.goodput) && s.workloads.length > 0 ? s.workloads.reduce((x, w) => x + w.goodput!.ratePerS, 0) : null;
    return { metrics: s.metrics, totals: s.totals, achievedRps: s.load.achievedRps, tokensPerS: s.durationS > 0 ? s.totals.outputTokens / s.durationS : 0, goodput: gp };
  }
  const w = s.workloads.find((x) => x.name === workload);
  if (!w) return null;
  return { metrics: w.metrics, totals: w.totals, achievedRps: w.achievedRps, tokensPerS: w.outputTokensPerS, goodput: w.goodput?.ratePerS ?? null };
}

function rowsFor(a: Side, b: Side): Row[] {
  const rows: Row[] = [];
  for (const m of TIME_METRICS_COMPARED) {
    const x = a.metrics[m];
    const y = b.metrics[m];
    if (!x || !y || x.count === 0 || y.count === 0) continue;
    for (const st of TIME_STATS) rows.push({ metric: m, stat: st, unit: 'ms', better: 'lower', base: x[st], cand: y[st], count: Math.min(x.count, y.count) });
  }
  if (a.totals.completed > 0 || b.totals.completed > 0) {
    rows.push({ metric: 'errors', stat: 'rate', unit: 'fraction', better: 'lower', base: errorRate(a.totals), cand: errorRate(b.totals), absoluteTolerance: true });
  }
  rows.push({ metric: 'load', stat: 'achievedRps', unit: 'req/s', better: 'higher', base: a.achievedRps, cand: b.achievedRps });
  if (a.totals.outputTokens > 0 || b.totals.outputTokens > 0) {
    rows.push({ metric: 'outputTokens', stat: 'perS', unit: 'tokens/s', better: 'higher', base: a.tokensPerS, cand: b.tokensPerS });
  }
  if (a.goodput !== null && b.goodput !== null) rows.push({ metric: 'goodput', stat: 'ratePerS', unit: 'req/s', better: 'higher', base: a.goodput, cand: b.goodput });
  return rows;
}

const r6 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x);

function ciOf(iv: ChangeInterval, level: number): CompareEntry['ci'] {
  return {
    level,
    change: [r6(iv.change[0]), r6(iv.change[1])],
    relative: iv.relative ? [r6(iv.relative[0]), r6(iv.relative[1])] : null,
    ratio: iv.relative ? [r6(1 + iv.relative[0]), r6(1 + iv.relative[1])] : null,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(Math.abs(x) < 0.1 ? 1 : 0)}%`;
}

/** The verdict of one entry (exported for unit tests of the rule itself). */
export function judge(e: Pick<CompareEntry, 'better' | 'baseline' | 'change' | 'relativeChange' | 'ci' | 'tolerance' | 'toleranceKind'>): { verdict: Verdict; reason: string } {
  if (e.change === 0) return { verdict: 'same', reason: 'no change' };
  const worse = e.better === 'lower' ? e.change > 0 : e.change < 0;
  const magnitude = e.toleranceKind === 'absolute' ? Math.abs(e.change) : e.relativeChange === null ? Infinity : Math.abs(e.relativeChange);
  const tolText = e.toleranceKind === 'absolute' ? `±${e.tolerance}` : `±${pct(e.tolerance)}`;
  if (!(magnitude > e.tolerance)) return { verdict: 'same', reason: `within the tolerance (${tolText})` };
  if (e.ci) {
    // The whole interval must lie beyond the tolerance, not only beyond 0: a tail stat of a short
    // run moves by more than 10 % on one slow second, and a false alarm in CI costs more than a
    // late one (the next run catches a real, lasting regression again).
    const [lo, hi] = e.toleranceKind === 'relative' && e.ci.relative ? e.ci.relative : e.ci.change;
    const clear = e.change > 0 ? lo > e.tolerance : hi < -e.tolerance;
    const shown = e.toleranceKind === 'relative' && e.ci.relative ? `[${pct(lo)}, ${pct(hi)}]` : `[${r6(lo)}, ${r6(hi)}]`;
    if (!clear) return { verdict: 'same', reason: `beyond the tolerance (${tolText}) but not beyond the noise: the ${Math.round(e.ci.level * 100)}% interval of the change ${shown} reaches into the tolerance` };
  }
  const how = e.ci ? `beyond the tolerance (${tolText}) and the noise` : `beyond the tolerance (${tolText}); no per-interval data, so the noise is not judged`;
  return { verdict: worse ? 'regression' : 'improvement', reason: how };
}

function toleranceFor(key: string, row: Row, opts: CompareOptions): { tolerance: number; kind: 'relative' | 'absolute' } {
  const over = opts.toleranceFor?.[key];
  if (row.absoluteTolerance) return { tolerance: over ?? DEFAULT_ERROR_RATE_TOLERANCE, kind: 'absolute' };
  return { tolerance: over ?? opts.tolerance ?? DEFAULT_TOLERANCE, kind: 'relative' };
}

/** The per-interval statistic behind a row, for the bootstrap. */
function bootstrapRows(rows: Row[], a: IntervalData[], b: IntervalData[], fullA: number, fullB: number, bo: BootstrapOptions): Map<string, { iv: ChangeInterval; resamples: number }> {
  const out = new Map<string, { iv: ChangeInterval; resamples: number }>();
  const byMetric = new Map<string, Stat[]>();
  for (const r of rows) {
    if (r.unit === 'ms') {
      const l = byMetric.get(r.metric) ?? [];
      l.push(r.stat as Stat);
      byMetric.set(r.metric, l);
    }
  }
  for (const [m, stats] of byMetric) {
    const res = bootstrapChange(a, b, { kind: 'hist', metric: m as MetricName, stats, scale: metricScale(m as MetricName) }, bo);
    stats.forEach((st, k) => res.intervals[k] && out.set(`${m}.${st}`, { iv: res.intervals[k], resamples: res.resamples }));
  }
  // Per-second rates over the measured seconds only: the record after the last one holds the
  // completions of the last second's requests and nothing sent, which is not a rate of 0.
  const ra = a.filter((d) => d.index < fullA);
  const rb = b.filter((d) => d.index < fullB);
  const ratio = (key: string, num: (d: IntervalData) => number, den: (d: IntervalData) => number) => {
    const perSecond = key !== 'errors.rate';
    const res = bootstrapChange(perSecond ? ra : a, perSecond ? rb : b, { kind: 'ratio', num, den }, bo);
    if (res.intervals[0]) out.set(key, { iv: res.intervals[0], resamples: res.resamples });
  };
  for (const r of rows) {
    const key = `${r.metric}.${r.stat}`;
    if (key === 'errors.rate') ratio(key, (d) => d.errors, (d) => d.ok + d.errors);
    else if (key === 'load.achievedRps') ratio(key, (d) => d.sent, () => 1);
    else if (key === 'outputTokens.perS') ratio(key, (d) => d.outputTokens, () => 1);
    else if (key === 'goodput.ratePerS') ratio(key, (d) => d.sloMet, () => 1);
  }
  return out;
}

/** Whole measured seconds of a run (at least 1). */
function fullSeconds(s: Summary): number {
  return Math.max(1, Math.floor((s.durationS ?? 0) + 1e-9));
}

function ref(r: RunData): RunRef {
  return {
    label: r.label,
    path: r.path,
    scenario: r.summary.scenario?.name ?? '',
    startedAt: r.summary.startedAt ?? '',
    durationS: r.summary.durationS ?? 0,
    intervals: r.intervals?.get(ALL)?.length ?? 0,
    ...(r.summary.workloads?.length === 1 ? { workload: r.summary.workloads[0].name } : {}),
  };
}

export function compareRuns(base: RunData, cand: RunData, opts: CompareOptions = {}): Comparison {
  const bo: BootstrapOptions = { ...BOOTSTRAP_DEFAULTS, ...opts.bootstrap };
  const warnings: string[] = [];
  const nA = base.intervals?.get(ALL)?.length ?? 0;
  const nB = cand.intervals?.get(ALL)?.length ?? 0;
  let useBootstrap = base.intervals !== null && cand.intervals !== null;
  if (!useBootstrap) {
    const missing = [base, cand].filter((r) => r.intervals === null).map((r) => r.label);
    warnings.push(`no ${RESULTS_FILE} next to the summary of ${missing.join(' and ')}: verdicts use the tolerance only, not the run-to-run noise`);
  } else if (nA < MIN_INTERVALS || nB < MIN_INTERVALS) {
    useBootstrap = false;
    warnings.push(`fewer than ${MIN_INTERVALS} one-second intervals in a run (${nA} and ${nB}): too few to judge the noise, verdicts use the tolerance only`);
  }
  const sa = base.summary;
  const sb = cand.summary;
  if (sa.load?.targetRps !== sb.load?.targetRps) warnings.push(`the runs had different target rates (${sa.load?.targetRps} and ${sb.load?.targetRps} req/s): latency depends on load, compare like with like`);
  if (sa.generator?.saturated) warnings.push(`the baseline's generator was saturated: its latency includes the generator's own delay`);
  if (sb.generator?.saturated) warnings.push(`the candidate's generator was saturated: its latency includes the generator's own delay`);

  // With one workload in each run (the same one), 'all' is that workload: list each metric once, so
  // a regression is counted (and fails a JUnit case) once.
  const single = sa.workloads.length === 1 && sb.workloads.length === 1 && sa.workloads[0].name === sb.workloads[0].name;
  const names = single ? [ALL] : [ALL, ...sa.workloads.map((w) => w.name).filter((n) => sb.workloads.some((w) => w.name === n))];
  for (const w of sa.workloads) if (!sb.workloads.some((x) => x.name === w.name)) warnings.push(`workload '${w.name}' is only in the baseline`);
  for (const w of sb.workloads) if (!sa.workloads.some((x) => x.name === w.name)) warnings.push(`workload '${w.name}' is only in the candidate`);

  const metrics: CompareEntry[] = [];
  let resamples = 0;
  for (const name of names) {
    const a = sideOf(sa, name);
    const b = sideOf(sb, name);
    if (!a || !b) continue;
    const rows = rowsFor(a, b);
    const boot = useBootstrap ? bootstrapRows(rows, base.intervals!.get(name) ?? [], cand.intervals!.get(name) ?? [], fullSeconds(sa), fullSeconds(sb), bo) : new Map();
    for (const r of rows) {
      const key = `${r.metric}.${r.stat}`;
      const t = toleranceFor(key, r, opts);
      const change = r.cand - r.base;
      const rel = r.base !== 0 ? change / r.base : null;
      const b0 = boot.get(key);
      if (b0) resamples = Math.max(resamples, b0.resamples);
      const partial = {
        better: r.better,
        baseline: r.base,
        change: r6(change),
        relativeChange: rel === null ? null : r6(rel),
        ci: b0 ? ciOf(b0.iv, bo.confidence) : null,
        tolerance: t.tolerance,
        toleranceKind: t.kind,
      };
      let { verdict, reason } = judge(partial);
      const p = r.stat in PERCENTILE_OF ? PERCENTILE_OF[r.stat as keyof typeof PERCENTILE_OF] : undefined;
      if (verdict !== 'same' && p !== undefined && r.count !== undefined && r.count * (1 - p / 100) < MIN_TAIL_SAMPLES) {
        verdict = 'same';
        reason = `not judged: ${r.count} samples leave ${Math.floor(r.count * (1 - p / 100))} above ${r.stat} (at least ${MIN_TAIL_SAMPLES} needed); run longer to gate on it`;
      }
      metrics.push({
        workload: name,
        metric: r.metric,
        stat: r.stat,
        unit: r.unit,
        ...partial,
        baseline: r6(r.base),
        candidate: r6(r.cand),
        ratio: rel === null ? null : r6(r.cand / r.base),
        verdict,
        reason,
      });
    }
  }
  const regressions = metrics.filter((m) => m.verdict === 'regression').length;
  const improvements = metrics.filter((m) => m.verdict === 'improvement').length;
  const conf = Math.round(bo.confidence * 100);
  return {
    schemaVersion: 1,
    kind: opts.kind ?? 'runs',
    baseline: ref(base),
    candidate: ref(cand),
    method: useBootstrap
      ? {
          name: 'block-bootstrap',
          description:
            `Block bootstrap over one-second intervals: each replicate resamples, with replacement, as many one-second records as each run has ` +
            `(histograms merged exactly), and recomputes each statistic; the ${conf}% interval of candidate − baseline is the percentile interval of ` +
            `${resamples} replicates (seeded, repeatable). A verdict is a regression or an improvement only when the whole interval lies beyond the ` +
            `tolerance (so the change is larger than both the tolerance and the noise). Rates use only the run's full seconds.`,
          confidence: bo.confidence,
          resamples,
          seed: bo.seed,
        }
      : {
          name: 'tolerance-only',
          description: 'No per-interval data for both runs: a verdict is a regression or an improvement when the change is beyond the tolerance; the noise is not judged.',
          confidence: bo.confidence,
          resamples: 0,
          seed: bo.seed,
        },
    tolerance: { default: opts.tolerance ?? DEFAULT_TOLERANCE, overrides: { ...(opts.toleranceFor ?? {}) } },
    verdict: regressions > 0 ? 'regression' : improvements > 0 ? 'improvement' : 'same',
    regressions,
    improvements,
    warnings,
    metrics,
  };
}

// ---------------------------------------------------------------------------------------------
// Output files

export interface CompareReport {
  comparison: Comparison;
  baseline: Summary;
  candidate: Summary;
}

/** The comparison's counterpart of ReportWriter: one file rendered from the comparison. */
export interface CompareWriter {
  readonly name: string;
  readonly file: string;
  render(r: CompareReport): string;
}

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

export function writeCompareReports(r: CompareReport, dir: string, writers: readonly CompareWriter[]): string[] {
  const out: string[] = [];
  for (const w of writers) {
    const p = join(dir, w.file);
    writeFileAtomic(p, w.render(r));
    out.push(p);
  }
  return out;
}

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
  return `${r.label} ${Math.round(r.durationS * 10) / 10} s measured (${recs})`;
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
