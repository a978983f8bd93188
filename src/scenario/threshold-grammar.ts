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
 * This file is the grammar only (evaluation is metrics/thresholds.ts), so scenario/ checks an
 * expression without reaching up into metrics/. The same parser serves scenario validation (a malformed expression is a scenario error that
 * points at it), evaluation at the end of a run or a merge, abortOnFail during a run, and the
 * `until` conditions of a sweep.
 */
import { ServebenchError } from '../errors.js';
import { METRICS, TIME_METRICS, type MetricName } from './metric-names.js';

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
  totals: ['scheduled', 'sent', 'completed', 'ok', 'errors', 'dropped', 'outputTokens', 'inputTokens', 'cachedInputTokens'],
  tokens: ['outputPerS'],
};

const FIXED_STATS = ['count', 'mean', 'min', 'max'];
const PERCENTILE = /^p(\d{1,2}(?:\.\d+)?|100|999)$/;
const OPS: readonly ThresholdOp[] = ['<=', '>=', '==', '!=', '<', '>'];
const EXPR = /^\s*([A-Za-z0-9._-]+)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/;
const RHS_NUMBER = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(us|µs|ms|s|m|h|%)?$/i;
const RHS_TARGET = /^(?:(\d+(?:\.\d+)?)\s*\*\s*)?target$/;

const isTimeMetric = (m: string) => TIME_METRICS.has(m as MetricName);
export const isMetric = (m: string) => (METRICS as readonly string[]).includes(m);
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

