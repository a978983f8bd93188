/**
 * Evaluation of thresholds (the grammar and its parser are scenario/threshold-grammar.ts): against
 * a summary (a finished run's; during a run, abort-watch.ts evaluates the run so far).
 */
import { decode } from './hdr.js';
import { round6 } from '../util/values.js';
import { metricScale, type MetricName, type RunRecord } from './records.js';
import type { MetricSummary, Summary, ThresholdResult, Totals, WorkloadSummary } from './summary-types.js';
import { isMetric, parseThreshold, type ParsedThreshold, type ThresholdOp } from '../scenario/threshold-grammar.js';

export { parseThreshold, type ParsedThreshold, type ThresholdOp } from '../scenario/threshold-grammar.js';

function compare(a: number, op: ThresholdOp, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

interface Scope {
  totals: Totals;
  errors: Record<string, number>;
  metrics: Partial<Record<MetricName, MetricSummary>>;
  achievedRps: number;
  targetRps: number;
  goodput: WorkloadSummary['goodput'];
  outputTokensPerS: number;
}

function percentileOf(ms: MetricSummary, metric: MetricName, stat: string): number {
  const fixed = (ms as unknown as Record<string, number>)[stat];
  if (typeof fixed === 'number') return fixed;
  const p = Number(stat.slice(1));
  const h = decode(ms.hdr);
  try {
    return Math.round(h.getValueAtPercentile(p) * metricScale(metric) * 1000) / 1000;
  } finally {
    h.destroy();
  }
}

/** The measured value an expression reads, or a reason why there is none. */
function measure(t: ParsedThreshold, s: Scope): number | string {
  if (isMetric(t.metric)) {
    const ms = s.metrics[t.metric as MetricName];
    if (!ms || ms.count === 0) return t.stat === 'count' ? 0 : `no ${t.metric} was recorded`;
    return percentileOf(ms, t.metric as MetricName, t.stat);
  }
  const done = s.totals.completed;
  switch (t.metric) {
    case 'errors':
      if (t.stat === 'rate') return done ? s.totals.errors / done : 'no request completed';
      if (t.stat === 'count') return s.totals.errors;
      return s.errors[t.stat] ?? 0;
    case 'dropped':
      if (t.stat === 'count') return s.totals.dropped;
      return s.totals.scheduled ? s.totals.dropped / s.totals.scheduled : 'no request was scheduled';
    case 'goodput':
      if (!s.goodput) return 'the scenario has no slo, so goodput is not measured';
      return t.stat === 'rps' ? s.goodput.ratePerS : done ? s.goodput.attainment : 'no request completed';
    case 'load':
      return t.stat === 'achievedRps' ? s.achievedRps : s.targetRps;
    case 'totals':
      return s.totals[t.stat as keyof Totals] ?? 0;
    case 'tokens':
      return s.outputTokensPerS;
  }
  return `unknown metric ${t.metric}`;
}

const show = (x: number) => String(round6(x));

/** Evaluates one parsed threshold against a summary. */
export function evaluateThreshold(t: ParsedThreshold, summary: Summary): ThresholdResult {
  let scope: Scope;
  if (t.workload !== undefined) {
    const w = summary.workloads.find((x) => x.name === t.workload);
    if (!w) return { expr: t.expr, ok: false, value: null, message: `no workload named '${t.workload}'` };
    scope = w;
  } else {
    const g = summary.workloads.filter((w) => w.goodput);
    const met = g.reduce((n, w) => n + w.goodput!.sloMet, 0);
    scope = {
      ...summary,
      achievedRps: summary.load.achievedRps,
      targetRps: summary.load.targetRps,
      goodput: g.length
        ? { sloMet: met, ratePerS: g.reduce((n, w) => n + w.goodput!.ratePerS, 0), attainment: summary.totals.completed ? met / summary.totals.completed : 0 }
        : null,
      outputTokensPerS: summary.workloads.reduce((n, w) => n + w.outputTokensPerS, 0),
    };
  }
  const value = measure(t, scope);
  if (typeof value === 'string') return { expr: t.expr, ok: false, value: null, message: value };
  const limit = t.ofTarget ? t.value * scope.targetRps : t.value;
  const ok = compare(value, t.op, limit);
  const rounded = round6(value);
  return { expr: t.expr, ok, value: rounded, ...(ok ? {} : { message: `${show(value)} is not ${t.op} ${show(limit)}` }) };
}

/** Evaluates expressions that were validated with the scenario. */
export function evaluateThresholds(summary: Summary, exprs: readonly string[]): ThresholdResult[] {
  return exprs.map((e) => evaluateThreshold(parseThreshold(e), summary));
}
