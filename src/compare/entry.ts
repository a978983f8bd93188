/**
 * One compared figure (a row: metric, stat, baseline and candidate values) turned into an entry:
 * the tolerance that applies, the bootstrap interval, the verdict and its reason. Shared by the
 * client metrics (core.ts) and the server's series (server.ts), so both are judged alike.
 */
import { PERCENTILE_OF, type ChangeInterval } from '../metrics/bootstrap.js';
import { round6 } from '../util/values.js';
import { DEFAULT_ERROR_RATE_TOLERANCE, DEFAULT_TOLERANCE, MIN_TAIL_SAMPLES, type CompareEntry, type CompareOptions, type Verdict } from './types.js';

export interface Row {
  /** For percentiles: the smaller sample count of the two runs. */
  count?: number;
  metric: string;
  stat: string;
  unit: string;
  better: CompareEntry['better'];
  base: number;
  cand: number;
  absoluteTolerance?: boolean;
  /** The `--tolerance-for` key when it is not `metric.stat` (server series: `server.<stat>`). */
  toleranceKey?: string;
}

function ciOf(iv: ChangeInterval, level: number): CompareEntry['ci'] {
  return {
    level,
    change: [round6(iv.change[0]), round6(iv.change[1])],
    relative: iv.relative ? [round6(iv.relative[0]), round6(iv.relative[1])] : null,
    ratio: iv.relative ? [round6(1 + iv.relative[0]), round6(1 + iv.relative[1])] : null,
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
    const shown = e.toleranceKind === 'relative' && e.ci.relative ? `[${pct(lo)}, ${pct(hi)}]` : `[${round6(lo)}, ${round6(hi)}]`;
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


/** One row's entry: the change, its interval, and the verdict (a thin tail is not judged). */
export function entryOf(workload: string, r: Row, boot: { iv: ChangeInterval } | undefined, opts: CompareOptions, confidence: number): CompareEntry {
  const t = toleranceFor(r.toleranceKey ?? `${r.metric}.${r.stat}`, r, opts);
  const change = r.cand - r.base;
  const rel = r.base !== 0 ? change / r.base : null;
  const partial = {
    better: r.better,
    baseline: r.base,
    change: round6(change),
    relativeChange: rel === null ? null : round6(rel),
    ci: boot ? ciOf(boot.iv, confidence) : null,
    tolerance: t.tolerance,
    toleranceKind: t.kind,
  };
  let { verdict, reason } = judge(partial);
  const p = r.stat in PERCENTILE_OF ? PERCENTILE_OF[r.stat as keyof typeof PERCENTILE_OF] : undefined;
  if (verdict !== 'same' && p !== undefined && r.count !== undefined && r.count * (1 - p / 100) < MIN_TAIL_SAMPLES) {
    verdict = 'same';
    reason = `not judged: ${r.count} samples leave ${Math.floor(r.count * (1 - p / 100))} above ${r.stat} (at least ${MIN_TAIL_SAMPLES} needed); run longer to gate on it`;
  }
  if (verdict !== 'same' && r.better === 'either') {
    verdict = 'same';
    reason = `not judged: ${reason}, but which way is better is not known for this series`;
  }
  return {
    workload,
    metric: r.metric,
    stat: r.stat,
    unit: r.unit,
    ...partial,
    baseline: round6(r.base),
    candidate: round6(r.cand),
    ratio: rel === null ? null : round6(r.cand / r.base),
    verdict,
    reason,
  };
}

