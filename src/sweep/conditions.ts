/**
 * `sweep.until` conditions: k6-style threshold expressions (`latency.p99 < 250ms`,
 * `errors.rate < 1%`, `assistant.ttft.p95 < 1s`, `load.achievedRps >= 0.99*target`) evaluated on
 * one step's Summary.
 *
 * The project's threshold parser (src/metrics/thresholds.ts, contract in DESIGN/brief) is being
 * written on main at the same time. This file implements the same signatures so the sweep works
 * on its own branch; once thresholds.ts is merged, this file re-exports it and nothing else
 * changes (the sweep imports only `parseThreshold` and `evaluateThresholds` from here).
 */
import { ServebenchError } from '../errors.js';
import type { MetricName } from '../metrics/records.js';
import type { Summary, ThresholdResult, WorkloadSummary } from '../metrics/summary.js';

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface ParsedThreshold {
  expr: string;
  workload?: string;
  metric: string;
  stat: string;
  op: ThresholdOp;
  /** Right side in report units (ms, fraction, rps); with `target`, a factor of the target rate. */
  value: number;
  ofTarget: boolean;
}

const TIME_METRICS = new Set(['latency', 'serviceTime', 'scheduleLag', 'ttft', 'tpot', 'itl']);
const COUNT_METRICS = new Set(['outputTokens', 'inputTokens']);
const STATS = new Set(['count', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'p999', 'max']);
const RATE_KEYS: Record<string, readonly string[]> = {
  errors: ['rate', 'count'],
  goodput: ['rate', 'rps'],
  load: ['achievedRps', 'targetRps'],
  tokens: ['perS'],
};

const EXPR = /^\s*([A-Za-z0-9_.-]+)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/;

function bad(expr: string, why: string): ServebenchError {
  return new ServebenchError('E_SCENARIO', `threshold '${expr}': ${why}`, {
    hint: "write <metric>.<stat> <op> <value>, e.g. 'latency.p99 < 250ms', 'errors.rate < 1%', 'load.achievedRps >= 0.99*target'",
  });
}

function parseValue(expr: string, raw: string, time: boolean): { value: number; ofTarget: boolean } {
  const t = /^(\d+(?:\.\d+)?)\s*\*\s*target$/.exec(raw);
  if (t) return { value: Number(t[1]), ofTarget: true };
  const m = /^(-?\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|%)?$/.exec(raw);
  if (!m) throw bad(expr, `'${raw}' is not a number, a duration (250ms, 1s) or a percentage`);
  const n = Number(m[1]);
  switch (m[2]) {
    case '%':
      return { value: n / 100, ofTarget: false };
    case 'us':
    case 'µs':
      return { value: n / 1000, ofTarget: false };
    case 's':
      return { value: n * 1000, ofTarget: false };
    case 'm':
      return { value: n * 60_000, ofTarget: false };
    case 'ms':
      if (!time) throw bad(expr, `'${raw}' is a duration but the metric is not a time`);
      return { value: n, ofTarget: false };
    default:
      return { value: n, ofTarget: false };
  }
}

export function parseThreshold(expr: string): ParsedThreshold {
  const m = EXPR.exec(expr);
  if (!m) throw bad(expr, 'expected <metric>.<stat> <op> <value>');
  const parts = m[1].split('.');
  let workload: string | undefined;
  if (parts.length === 3) workload = parts.shift();
  if (parts.length !== 2) throw bad(expr, `'${m[1]}' is not [workload.]metric.stat`);
  const [metric, stat] = parts;
  if (TIME_METRICS.has(metric) || COUNT_METRICS.has(metric)) {
    if (!STATS.has(stat)) throw bad(expr, `unknown statistic '${stat}' (one of ${[...STATS].join(', ')})`);
  } else if (RATE_KEYS[metric]) {
    if (!RATE_KEYS[metric].includes(stat)) throw bad(expr, `unknown field '${metric}.${stat}' (one of ${RATE_KEYS[metric].map((k) => `${metric}.${k}`).join(', ')})`);
  } else {
    throw bad(expr, `unknown metric '${metric}'`);
  }
  const { value, ofTarget } = parseValue(expr, m[3], TIME_METRICS.has(metric));
  return { expr, ...(workload !== undefined ? { workload } : {}), metric, stat, op: m[2] as ThresholdOp, value, ofTarget };
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

type Scope = Pick<WorkloadSummary, 'totals' | 'metrics' | 'goodput' | 'outputTokensPerS' | 'targetRps' | 'achievedRps'>;

function scopeOf(s: Summary, workload: string | undefined): Scope | undefined {
  if (workload === undefined) {
    const gp = s.workloads.every((w) => w.goodput === null)
      ? null
      : s.workloads.reduce(
          (acc, w) => ({ ratePerS: acc.ratePerS + (w.goodput?.ratePerS ?? 0), sloMet: acc.sloMet + (w.goodput?.sloMet ?? 0), attainment: 0 }),
          { ratePerS: 0, sloMet: 0, attainment: 0 },
        );
    if (gp) gp.attainment = s.totals.completed ? gp.sloMet / s.totals.completed : 0;
    return {
      totals: s.totals,
      metrics: s.metrics,
      goodput: gp,
      outputTokensPerS: s.workloads.reduce((x, w) => x + w.outputTokensPerS, 0),
      targetRps: s.load.targetRps,
      achievedRps: s.load.achievedRps,
    };
  }
  return s.workloads.find((w) => w.name === workload);
}

function valueOf(p: ParsedThreshold, sc: Scope): number | null {
  switch (p.metric) {
    case 'errors':
      return p.stat === 'count' ? sc.totals.errors : sc.totals.completed ? sc.totals.errors / sc.totals.completed : 0;
    case 'goodput':
      if (!sc.goodput) return null;
      return p.stat === 'rps' ? sc.goodput.ratePerS : sc.goodput.attainment;
    case 'load':
      return p.stat === 'targetRps' ? sc.targetRps : sc.achievedRps;
    case 'tokens':
      return sc.outputTokensPerS;
    default: {
      const m = sc.metrics[p.metric as MetricName];
      if (!m) return null;
      return m[p.stat as keyof typeof m] as number;
    }
  }
}

export function evaluateThresholds(summary: Summary, exprs: readonly string[]): ThresholdResult[] {
  return exprs.map((expr) => {
    const p = parseThreshold(expr);
    const sc = scopeOf(summary, p.workload);
    if (!sc) return { expr, ok: false, value: null, message: `no workload named '${p.workload}'` };
    const value = valueOf(p, sc);
    if (value === null) return { expr, ok: false, value: null, message: `no ${p.metric} recorded` };
    const right = p.ofTarget ? p.value * sc.targetRps : p.value;
    return { expr, ok: compare(value, p.op, right), value: Math.round(value * 1e6) / 1e6 };
  });
}
