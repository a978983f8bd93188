/**
 * Evaluation of thresholds (the grammar and its parser are scenario/threshold-grammar.ts): against
 * a finished summary, and during a run for abortOnFail.
 */
import { decode } from './hdr.js';
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
      return s.totals[t.stat as keyof Totals];
    case 'tokens':
      return s.outputTokensPerS;
  }
  return `unknown metric ${t.metric}`;
}

const show = (x: number) => String(Math.round(x * 1e6) / 1e6);

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
  const rounded = Math.round(value * 1e6) / 1e6;
  return { expr: t.expr, ok, value: rounded, ...(ok ? {} : { message: `${show(value)} is not ${t.op} ${show(limit)}` }) };
}

/** Evaluates expressions that were validated with the scenario. */
export function evaluateThresholds(summary: Summary, exprs: readonly string[]): ThresholdResult[] {
  return exprs.map((e) => evaluateThreshold(parseThreshold(e), summary));
}

/**
 * abortOnFail during a run: fed every record as it arrives, it evaluates the abort thresholds on
 * the run so far once per new measured second (after each one's delay) and reports the first
 * failure. A summary of the whole run so far is rebuilt each time, so evaluations are spaced at
 * least ten times their own cost apart: a long run never spends more than a tenth of the
 * coordinator's time here.
 */
export class AbortWatch {
  private readonly records: RunRecord[] = [];
  private readonly rules: ReadonlyArray<{ parsed: ParsedThreshold; delayMs: number }>;
  private lastIndex = -1;
  private nextEvalAtMs = 0;

  constructor(
    rules: readonly { readonly expr: string; readonly delayMs: number }[],
    private readonly summarize: (records: readonly RunRecord[]) => Summary,
  ) {
    this.rules = rules.map((r) => ({ parsed: parseThreshold(r.expr), delayMs: r.delayMs }));
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  /** Returns the failed threshold that should stop the run, or null. */
  observe(r: RunRecord): ThresholdResult | null {
    if (!this.active) return null;
    this.records.push(r);
    if (r.type !== 'interval' || r.index <= this.lastIndex) return null;
    this.lastIndex = r.index;
    const elapsedMs = (r.index + 1) * 1000;
    const due = this.rules.filter((x) => elapsedMs >= x.delayMs);
    const now = Date.now();
    if (due.length === 0 || now < this.nextEvalAtMs) return null;
    const summary = this.summarize(this.records);
    this.nextEvalAtMs = Date.now() + Math.max(1000, 10 * (Date.now() - now));
    for (const x of due) {
      const res = evaluateThreshold(x.parsed, summary);
      if (!res.ok) return res;
    }
    return null;
  }
}
