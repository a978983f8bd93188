/**
 * Thresholds: k6-style pass/fail expressions over a run's summary, such as
 *   latency.p99 < 250ms     errors.rate < 1%     assistant.ttft.p95 <= 800ms
 *   goodput.rate > 95%      load.achievedRps >= 0.99*target
 *
 * Grammar:  [<workload>.]<subject>.<stat> <op> <number>[unit]   |   … <op> [<factor>*]target
 * - time metrics (latency, serviceTime, scheduleLag, ttft, tpot, itl) compare in ms; their right
 *   side takes us/ms/s/m/h or a bare number of ms. Stats: count, mean, min, max, p50 … p999, or any
 *   pNN / pNN.N read from the encoded histogram.
 * - counts (outputTokens, inputTokens) take the same stats, no unit.
 * - rates (errors.rate, dropped.rate, goodput.rate) are fractions: `1%` and `0.01` are the same; a
 *   bare number >= 1 is refused (`errors.rate < 1` would be 100 %, a gate that never fails).
 * - `target` on the right side is the planned rate of the run or of the workload.
 *
 * The same parser serves scenario validation (a malformed expression is a scenario error that
 * points at it), evaluation at the end of a run or a merge, abortOnFail during a run, and the
 * `until` conditions of a sweep.
 */
import { ServebenchError } from '../errors.js';
import { decode } from './hdr.js';
import { METRICS, TIME_METRICS, metricScale, type MetricName } from './records.js';
import type { MetricSummary, Summary, ThresholdResult, Totals, WorkloadSummary } from './summary.js';
import type { RunRecord } from './records.js';

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ParsedThreshold {
  /** The expression as written (trimmed). */
  expr: string;
  /** Workload name, when the expression is about one workload. */
  workload?: string;
  /** `latency`, `errors`, `goodput`, `load`, `totals`, `dropped`, `tokens`, … */
  metric: string;
  stat: string;
  op: ThresholdOp;
  /** Right side in report units (ms, fraction, rps, count); a multiple of `target` when `ofTarget`. */
  value: number;
  ofTarget: boolean;
}

/** Subjects that are not histograms, with the stats each accepts. */
const SCALARS: Record<string, readonly string[]> = {
  errors: ['rate', 'count'], // plus any error class, e.g. errors.http_503, errors.timeout
  dropped: ['rate', 'count'],
  goodput: ['rate', 'rps'],
  load: ['achievedRps', 'targetRps'],
  totals: ['scheduled', 'sent', 'completed', 'ok', 'errors', 'dropped', 'outputTokens', 'inputTokens'],
  tokens: ['outputPerS'],
};

const FIXED_STATS = ['count', 'mean', 'min', 'max'];
const PERCENTILE = /^p(\d{1,2}(?:\.\d+)?|100|999)$/;
const OPS: readonly ThresholdOp[] = ['<=', '>=', '==', '!=', '<', '>'];
const EXPR = /^\s*([A-Za-z0-9._-]+)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/;
const RHS_NUMBER = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(us|µs|ms|s|m|h|%)?$/i;
const RHS_TARGET = /^(?:(\d+(?:\.\d+)?)\s*\*\s*)?target$/;

const isTimeMetric = (m: string) => TIME_METRICS.has(m as MetricName);
const isMetric = (m: string) => (METRICS as readonly string[]).includes(m);
const isRate = (metric: string, stat: string) => stat === 'rate' && (metric === 'errors' || metric === 'dropped' || metric === 'goodput');

function fail(expr: string, why: string, hint?: string): never {
  throw new ServebenchError('E_SCENARIO', `threshold '${expr}': ${why}`, {
    hint: hint ?? `write it as <metric>.<stat> <op> <value>, e.g. 'latency.p99 < 250ms' or 'errors.rate < 1%'`,
  });
}

function statOk(metric: string, stat: string): boolean {
  if (isMetric(metric)) return FIXED_STATS.includes(stat) || PERCENTILE.test(stat);
  if (metric === 'errors' && /^[a-z][a-z0-9_]*$/.test(stat)) return true;
  return SCALARS[metric]?.includes(stat) ?? false;
}

function statPhrase(metric: string): string {
  if (isMetric(metric)) return 'count, mean, min, max or a percentile like p50, p99, p999';
  const list = SCALARS[metric]!.join(', ');
  return metric === 'errors' ? `${list} or an error class like http_503` : list;
}

/** Parses one expression; throws E_SCENARIO naming what is wrong. */
export function parseThreshold(raw: string): ParsedThreshold {
  const expr = raw.trim();
  const m = EXPR.exec(expr);
  if (!m) {
    const why = OPS.some((o) => expr.includes(o)) ? 'the left side is not <metric>.<stat>' : 'no comparison operator (<, <=, >, >=, ==, !=)';
    fail(expr, why);
  }
  const [, lhs, op, rhs] = m;
  const parts = lhs.split('.');
  // `p99.9` is one stat although it contains a dot: join a trailing numeric segment back on.
  if (parts.length >= 3 && /^\d+$/.test(parts[parts.length - 1]) && /^p\d+$/.test(parts[parts.length - 2])) {
    parts.splice(parts.length - 2, 2, `${parts[parts.length - 2]}.${parts[parts.length - 1]}`);
  }
  let workload: string | undefined;
  let metric: string;
  let stat: string;
  if (parts.length === 2) [metric, stat] = parts;
  else if (parts.length === 3) [workload, metric, stat] = parts;
  else fail(expr, `'${lhs}' is not [<workload>.]<metric>.<stat>`);
  if (!isMetric(metric) && !(metric in SCALARS)) {
    fail(expr, `unknown metric '${metric}'`, `metrics: ${[...METRICS, ...Object.keys(SCALARS)].join(', ')}`);
  }
  if (!statOk(metric, stat)) fail(expr, `'${stat}' is not a stat of ${metric}`, `${metric} has ${statPhrase(metric)}`);

  const target = RHS_TARGET.exec(rhs);
  if (target) {
    if (metric !== 'load' && !(metric === 'goodput' && stat === 'rps')) fail(expr, `'target' (the planned rate) compares only with load.* or goodput.rps`);
    return { expr, ...(workload ? { workload } : {}), metric, stat, op: op as ThresholdOp, value: target[1] ? Number(target[1]) : 1, ofTarget: true };
  }
  const n = RHS_NUMBER.exec(rhs);
  if (!n) fail(expr, `'${rhs}' is not a number, a duration, a percentage or <factor>*target`);
  const unit = n[2]?.toLowerCase();
  let value = Number(n[1]);
  const time = isTimeMetric(metric) && stat !== 'count';
  if (unit === '%') {
    if (!isRate(metric, stat)) fail(expr, `'%' applies only to rates (errors.rate, dropped.rate, goodput.rate)`);
    value /= 100;
  } else if (unit) {
    if (!time) fail(expr, `'${n[2]}' is a time unit but ${metric}.${stat} is not a time`);
    value *= unit === 's' ? 1000 : unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : unit === 'ms' ? 1 : 1e-3;
  }
  // A bare 1 is 100 % to the parser and 1 % to whoever meant `errors.rate < 1`: a gate that never fails.
  if (isRate(metric, stat) && unit !== '%' && value >= 1) fail(expr, `a bare ${n[1]} for a rate is ambiguous (1 would be 100%)`, `write the rate with '%', e.g. ${n[1]}% or 100%; a bare number must be a fraction below 1`);
  if (isRate(metric, stat) && (value < 0 || value > 1)) fail(expr, `a rate is a fraction from 0 to 1 (or 0% to 100%), got ${rhs}`);
  return { expr, ...(workload ? { workload } : {}), metric, stat, op: op as ThresholdOp, value, ofTarget: false };
}

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
