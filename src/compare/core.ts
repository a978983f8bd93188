/**
 * Comparison of two runs (or two variants of one run): for every workload and the whole run, the
 * key stats of each metric with baseline, candidate, change, relative change, a bootstrap
 * confidence interval from the per-second records, and a verdict. A verdict is `regression` or
 * `improvement` only when the change is beyond the tolerance AND its interval excludes zero, so a
 * difference that one noisy second explains is `same`.
 *
 * Free of I/O: load.ts reads the runs, report/ renders the files.
 */
import { ALL, BOOTSTRAP_DEFAULTS, bootstrapChange, type BootstrapOptions, type ChangeInterval, type IntervalData, type Stat } from '../metrics/bootstrap.js';
import { metricScale, type MetricName } from '../metrics/records.js';
import { RESULTS_FILE } from '../metrics/results-file.js';
import type { Summary, WorkloadSummary } from '../metrics/summary-types.js';
import { DEFAULT_TOLERANCE, MIN_INTERVALS, TIME_METRICS_COMPARED, TIME_STATS, type CompareEntry, type CompareOptions, type Comparison, type RunData, type RunRef } from './types.js';
import { entryOf, type Row } from './entry.js';
import { compareServer } from './server.js';

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

/** Whether the runs' per-second data can judge the noise, and the warnings when it cannot. */
function noiseCheck(base: RunData, cand: RunData, warnings: string[]): boolean {
  const nA = base.intervals?.get(ALL)?.length ?? 0;
  const nB = cand.intervals?.get(ALL)?.length ?? 0;
  if (base.intervals === null || cand.intervals === null) {
    const missing = [base, cand].filter((r) => r.intervals === null).map((r) => r.label);
    warnings.push(`no ${RESULTS_FILE} next to the summary of ${missing.join(' and ')}: verdicts use the tolerance only, not the run-to-run noise`);
    return false;
  }
  if (nA < MIN_INTERVALS || nB < MIN_INTERVALS) {
    warnings.push(`fewer than ${MIN_INTERVALS} one-second intervals in a run (${nA} and ${nB}): too few to judge the noise, verdicts use the tolerance only`);
    return false;
  }
  return true;
}

/** Differences between the runs that make the comparison less than like with like. */
function runWarnings(sa: Summary, sb: Summary, warnings: string[]): void {
  if (sa.load?.targetRps !== sb.load?.targetRps) warnings.push(`the runs had different target rates (${sa.load?.targetRps} and ${sb.load?.targetRps} req/s): latency depends on load, compare like with like`);
  if (sa.generator?.saturated) warnings.push(`the baseline's generator was saturated: its latency includes the generator's own delay`);
  if (sb.generator?.saturated) warnings.push(`the candidate's generator was saturated: its latency includes the generator's own delay`);
}

/** 'all' and every workload both runs have; a workload in one run only is a warning. */
function comparedWorkloads(sa: Summary, sb: Summary, warnings: string[]): string[] {
  // With one workload in each run (the same one), 'all' is that workload: list each metric once, so
  // a regression is counted (and fails a JUnit case) once.
  const single = sa.workloads.length === 1 && sb.workloads.length === 1 && sa.workloads[0].name === sb.workloads[0].name;
  const names = single ? [ALL] : [ALL, ...sa.workloads.map((w) => w.name).filter((n) => sb.workloads.some((w) => w.name === n))];
  for (const w of sa.workloads) if (!sb.workloads.some((x) => x.name === w.name)) warnings.push(`workload '${w.name}' is only in the baseline`);
  for (const w of sb.workloads) if (!sa.workloads.some((x) => x.name === w.name)) warnings.push(`workload '${w.name}' is only in the candidate`);
  return names;
}

function methodOf(useBootstrap: boolean, bo: BootstrapOptions, resamples: number): Comparison['method'] {
  const conf = Math.round(bo.confidence * 100);
  return useBootstrap
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
      };
}

export { judge } from './entry.js';

export function compareRuns(base: RunData, cand: RunData, opts: CompareOptions = {}): Comparison {
  const bo: BootstrapOptions = { ...BOOTSTRAP_DEFAULTS, ...opts.bootstrap };
  const warnings: string[] = [];
  const useBootstrap = noiseCheck(base, cand, warnings);
  const sa = base.summary;
  const sb = cand.summary;
  runWarnings(sa, sb, warnings);
  const names = comparedWorkloads(sa, sb, warnings);

  const metrics: CompareEntry[] = [];
  let resamples = 0;
  for (const name of names) {
    const a = sideOf(sa, name);
    const b = sideOf(sb, name);
    if (!a || !b) continue;
    const rows = rowsFor(a, b);
    const boot = useBootstrap ? bootstrapRows(rows, base.intervals!.get(name) ?? [], cand.intervals!.get(name) ?? [], fullSeconds(sa), fullSeconds(sb), bo) : new Map();
    for (const r of rows) {
      const b0 = boot.get(`${r.metric}.${r.stat}`);
      if (b0) resamples = Math.max(resamples, b0.resamples);
      metrics.push(entryOf(name, r, b0, opts, bo.confidence));
    }
  }
  const server = compareServer(sa.server, sb.server, opts, bo, warnings);
  if (server) metrics.push(...server.entries);
  const regressions = metrics.filter((m) => m.verdict === 'regression').length;
  const improvements = metrics.filter((m) => m.verdict === 'improvement').length;
  return {
    schemaVersion: 1,
    kind: opts.kind ?? 'runs',
    baseline: ref(base),
    candidate: ref(cand),
    method: methodOf(useBootstrap, bo, resamples),
    tolerance: { default: opts.tolerance ?? DEFAULT_TOLERANCE, overrides: { ...(opts.toleranceFor ?? {}) } },
    verdict: regressions > 0 ? 'regression' : improvements > 0 ? 'improvement' : 'same',
    regressions,
    improvements,
    warnings,
    metrics,
    ...(server ? { server: server.lists } : {}),
  };
}

/** Each variant that ran against the first (the baseline); none when the first did not run. */
export function compareVariants(data: readonly (RunData | null)[]): Array<{ variant: number; comparison: Comparison }> {
  const base = data[0];
  if (!base) return [];
  const out: Array<{ variant: number; comparison: Comparison }> = [];
  data.forEach((d, v) => {
    if (v > 0 && d) out.push({ variant: v, comparison: compareRuns(base, d, { kind: 'variants' }) });
  });
  return out;
}
