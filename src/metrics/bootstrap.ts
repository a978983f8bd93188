/**
 * Per-interval data of a run and a block bootstrap over it, for `servebench compare` and the
 * in-run variant comparison.
 *
 * Why intervals and not requests: requests of one second share the machine's state (a GC pause, a
 * noisy neighbour, a slow pod), so resampling single requests would pretend they are independent
 * and give intervals far too narrow. A one-second interval (one results.ndjson record per worker,
 * merged over workers) is the smallest block the run keeps, and resampling whole blocks keeps the
 * within-second correlation. This is the "moving block bootstrap" idea with blocks aligned to the
 * recording, and a percentile interval of the statistic's relative change.
 *
 * Histograms are turned into sparse (bucket index, count) arrays over one value dictionary shared
 * by both runs, so one bootstrap replicate is a few array additions and one walk to read every
 * percentile, with no HDR decoding in the loop.
 */
import { JsHistogram } from 'hdr-histogram-js';
import { decode } from './hdr.js';
import { METRICS, type IntervalRecord, type MetricName, type RunRecord } from './records.js';
import { Rng } from '../util/random.js';

/** Bucket value (µs, or a count for token metrics) → count, for one second of one workload. */
export type SparseHist = Map<number, number>;

export interface IntervalData {
  /** Seconds since the measured start. */
  index: number;
  sent: number;
  ok: number;
  errors: number;
  outputTokens: number;
  sloMet: number;
  hist: Partial<Record<MetricName, SparseHist>>;
}

/** A run's per-second data per workload name; the key 'all' holds every workload merged. */
export type RunIntervals = Map<string, IntervalData[]>;

export const ALL = 'all';

/** Adds one encoded histogram to every map given (its workload's and the run's), decoding it once. */
function addHist(into: readonly SparseHist[], b64: string): void {
  const h = decode(b64);
  if (h instanceof JsHistogram && h.totalCount > 0) {
    // A direct walk over the counts up to the max: the recorded-values iterator costs an object
    // call per bucket of the whole (hour-wide) counts array.
    const last = Math.min(h.countsArrayLength - 1, h.countsArrayIndex(h.maxValue));
    for (let i = Math.max(0, h.countsArrayIndex(h.minNonZeroValue)); i <= last; i++) {
      const c = h.getCountAtIndex(i);
      if (c === 0) continue;
      // The bucket's highest equivalent value, as getValueAtPercentile reports it.
      const value = h.highestEquivalentValue(h.valueFromIndex(i));
      for (const m of into) m.set(value, (m.get(value) ?? 0) + c);
    }
  }
  h.destroy();
}

function emptyInterval(index: number): IntervalData {
  return { index, sent: 0, ok: 0, errors: 0, outputTokens: 0, sloMet: 0, hist: {} };
}

/** Groups a run's interval records by second and workload, merging workers (and shards). */
export function intervalsOf(records: readonly RunRecord[]): RunIntervals {
  const start = records.find((r) => r.type === 'start');
  const names = start && start.type === 'start' ? start.run.workloads.map((w) => w.name) : [];
  const bySecond = new Map<number, IntervalData[]>();
  for (const r of records) {
    if (r.type !== 'interval') continue;
    const rec = r as IntervalRecord;
    let row = bySecond.get(rec.index);
    if (!row) {
      row = [...names.map(() => emptyInterval(rec.index)), emptyInterval(rec.index)];
      bySecond.set(rec.index, row);
    }
    rec.workloads.forEach((w, i) => {
      if (i >= names.length) return;
      let errs = 0;
      for (const k in w.errors) errs += w.errors[k];
      for (const d of [row![i], row![names.length]]) {
        d.sent += w.sent;
        d.ok += w.ok;
        d.errors += errs;
        d.outputTokens += w.outputTokens;
        d.sloMet += w.sloMet;
      }
      for (const m of METRICS) {
        const b64 = w.hist[m];
        if (!b64) continue;
        addHist([(row![i].hist[m] ??= new Map()), (row![names.length].hist[m] ??= new Map())], b64);
      }
    });
  }
  const seconds = [...bySecond.keys()].sort((a, b) => a - b);
  const out: RunIntervals = new Map();
  [...names, ALL].forEach((name, i) => out.set(name, seconds.map((s) => bySecond.get(s)![i])));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Statistics over a set of intervals

export type Stat = 'p50' | 'p90' | 'p95' | 'p99' | 'mean';
export const PERCENTILE_OF: Record<Exclude<Stat, 'mean'>, number> = { p50: 50, p90: 90, p95: 95, p99: 99 };

/** Sparse histograms of one metric over both runs, on one sorted value dictionary. */
interface Packed {
  values: Float64Array;
  /** Per interval: bucket indexes and counts. */
  idx: Int32Array[];
  cnt: Float64Array[];
}

/**
 * Bootstrap grid: values are grouped into buckets 0.5 % wide (HDR's are 0.05–0.1 %), which makes a
 * replicate's walk about ten times shorter and moves no statistic by more than 0.5 %, far inside
 * any tolerance worth setting. Each group is represented by its largest value.
 */
const GRID = Math.log(1.005);

function gridKey(v: number): number {
  return v <= 0 ? -1 : Math.floor(Math.log(v) / GRID);
}

const exactKey = (v: number): number => v;

function pack(hists: ReadonlyArray<SparseHist | undefined>, coarse = true): Packed {
  const keyOf = coarse ? gridKey : exactKey;
  const top = new Map<number, number>();
  for (const h of hists) {
    if (!h) continue;
    for (const v of h.keys()) {
      const k = keyOf(v);
      if (!(top.get(k)! >= v)) top.set(k, v);
    }
  }
  const keys = [...top.keys()].sort((a, b) => a - b);
  const values = Float64Array.from(keys, (k) => top.get(k)!);
  const slot = new Map<number, number>();
  keys.forEach((k, i) => slot.set(k, i));
  const pos = { get: (v: number) => slot.get(keyOf(v)) };
  const idx: Int32Array[] = [];
  const cnt: Float64Array[] = [];
  for (const h of hists) {
    const n = h ? h.size : 0;
    const ii = new Int32Array(n);
    const cc = new Float64Array(n);
    let k = 0;
    if (h) {
      for (const [v, c] of h) {
        ii[k] = pos.get(v)!;
        cc[k++] = c;
      }
    }
    idx.push(ii);
    cnt.push(cc);
  }
  return { values, idx, cnt };
}

/**
 * Reads the stats of an accumulated histogram in one walk, given its total count and value sum
 * (summed per interval by the caller, so the mean needs no walk). Percentiles follow
 * HdrHistogram's rule: the first bucket whose cumulative count reaches max(1, round(p/100 · total)).
 */
function readStats(values: Float64Array, acc: Float64Array, total: number, sum: number, stats: readonly Stat[], scale: number, out: number[]): void {
  for (let k = 0; k < stats.length; k++) out[k] = NaN;
  if (total === 0) return;
  // Percentile targets in ascending order, so one pointer moves along the walk.
  const order: number[] = [];
  const target: number[] = [];
  for (let k = 0; k < stats.length; k++) {
    const st = stats[k];
    if (st === 'mean') out[k] = (sum / total) * scale;
    else {
      order.push(k);
      target.push(Math.max(1, Math.floor((PERCENTILE_OF[st] / 100) * total + 0.5)));
    }
  }
  const idx = order.map((_, j) => j).sort((x, y) => target[x] - target[y]);
  let j = 0;
  let cum = 0;
  for (let i = 0; i < acc.length && j < idx.length; i++) {
    cum += acc[i];
    while (j < idx.length && cum >= target[idx[j]]) {
      out[order[idx[j]]] = values[i] * scale;
      j++;
    }
  }
}

/** Count and value sum of each interval's sparse histogram. */
function totalsOf(p: Packed): { tot: Float64Array; sum: Float64Array } {
  const tot = new Float64Array(p.idx.length);
  const sum = new Float64Array(p.idx.length);
  for (let k = 0; k < p.idx.length; k++) {
    const ii = p.idx[k];
    const cc = p.cnt[k];
    for (let j = 0; j < ii.length; j++) {
      tot[k] += cc[j];
      sum[k] += cc[j] * p.values[ii[j]];
    }
  }
  return { tot, sum };
}

// ---------------------------------------------------------------------------------------------
// The bootstrap

export interface BootstrapOptions {
  /** Replicates; fewer are drawn for very long runs (see resamplesFor). */
  resamples: number;
  /** Two-sided confidence level, e.g. 0.95. */
  confidence: number;
  seed: number;
}

export const BOOTSTRAP_DEFAULTS: BootstrapOptions = { resamples: 1000, confidence: 0.95, seed: 1 };

/** Bounds of one statistic's change candidate − baseline (absolute) and candidate / baseline − 1. */
export interface ChangeInterval {
  change: [number, number];
  relative: [number, number] | null;
}

/**
 * A statistic of a set of intervals. `kind: 'hist'` reads a histogram stat; `kind: 'ratio'` is
 * Σnum / Σden over the chosen intervals (error rate, rates per second with den = 1 per interval).
 */
export type StatisticSpec =
  | { kind: 'hist'; metric: MetricName; stats: readonly Stat[]; scale: number }
  | { kind: 'ratio'; num: (d: IntervalData) => number; den: (d: IntervalData) => number };

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function interval(changes: Float64Array, rels: Float64Array, relOk: boolean, confidence: number): ChangeInterval {
  const a = (1 - confidence) / 2;
  const c = changes.slice().sort();
  const out: ChangeInterval = { change: [quantile(c, a), quantile(c, 1 - a)], relative: null };
  if (relOk) {
    const r = rels.slice().sort();
    out.relative = [quantile(r, a), quantile(r, 1 - a)];
  }
  return out;
}

/** Keeps a bootstrap over a long run to a bounded amount of work (about 5·10⁷ additions). */
function resamplesFor(requested: number, workPerReplicate: number): number {
  return Math.max(200, Math.min(requested, Math.floor(5e7 / Math.max(1, workPerReplicate))));
}

/**
 * Bootstraps candidate − baseline of one statistic (or, for 'hist', of several stats of one
 * metric at once): each replicate draws as many intervals as each run has, with replacement, from
 * that run. Returns one interval per stat, and the number of replicates drawn.
 */
export function bootstrapChange(
  base: readonly IntervalData[],
  cand: readonly IntervalData[],
  spec: StatisticSpec,
  opts: BootstrapOptions = BOOTSTRAP_DEFAULTS,
): { intervals: ChangeInterval[]; resamples: number } {
  const rng = new Rng(opts.seed);
  if (base.length === 0 || cand.length === 0) return { intervals: [], resamples: 0 };
  const draw = (n: number) => Math.floor(rng.next() * n);
  return spec.kind === 'ratio' ? bootstrapRatio(base, cand, spec, opts, draw) : bootstrapHist(base, cand, spec, opts, draw);
}

/**
 * Bootstraps the change of a mean of per-second values (a server gauge's value, a counter's rate
 * in each second): the ratio of sums with one unit of weight per second.
 */
export function bootstrapMeanChange(base: readonly number[], cand: readonly number[], opts: BootstrapOptions = BOOTSTRAP_DEFAULTS): { intervals: ChangeInterval[]; resamples: number } {
  const wrap = (xs: readonly number[]) => xs.map((v, i) => ({ ...emptyInterval(i), sent: v }));
  return bootstrapChange(wrap(base), wrap(cand), { kind: 'ratio', num: (d) => d.sent, den: () => 1 }, opts);
}

/** A ratio of sums (errors over completions, sent per second): each replicate sums its draws. */
function bootstrapRatio(
  base: readonly IntervalData[],
  cand: readonly IntervalData[],
  spec: Extract<StatisticSpec, { kind: 'ratio' }>,
  opts: BootstrapOptions,
  draw: (n: number) => number,
): { intervals: ChangeInterval[]; resamples: number } {
  const nA = base.length;
  const nB = cand.length;
  const numA = Float64Array.from(base, spec.num);
  const denA = Float64Array.from(base, spec.den);
  const numB = Float64Array.from(cand, spec.num);
  const denB = Float64Array.from(cand, spec.den);
  const B = resamplesFor(opts.resamples, nA + nB);
  const changes = new Float64Array(B);
  const rels = new Float64Array(B);
  let relOk = true;
  for (let b = 0; b < B; b++) {
    let na = 0;
    let da = 0;
    let nb = 0;
    let db = 0;
    for (let i = 0; i < nA; i++) {
      const k = draw(nA);
      na += numA[k];
      da += denA[k];
    }
    for (let i = 0; i < nB; i++) {
      const k = draw(nB);
      nb += numB[k];
      db += denB[k];
    }
    const va = da > 0 ? na / da : 0;
    const vb = db > 0 ? nb / db : 0;
    changes[b] = vb - va;
    if (va > 0) rels[b] = vb / va - 1;
    else relOk = false;
  }
  return { intervals: [interval(changes, rels, relOk, opts.confidence)], resamples: B };
}

/** Stats of a metric's histogram: each replicate merges its draws' histograms exactly. */
function bootstrapHist(
  base: readonly IntervalData[],
  cand: readonly IntervalData[],
  spec: Extract<StatisticSpec, { kind: 'hist' }>,
  opts: BootstrapOptions,
  draw: (n: number) => number,
): { intervals: ChangeInterval[]; resamples: number } {
  const nA = base.length;
  const nB = cand.length;
  const packed = pack([...base.map((d) => d.hist[spec.metric]), ...cand.map((d) => d.hist[spec.metric])]);
  const U = packed.values.length;
  let work = U * 2;
  for (const ii of packed.idx) work += ii.length;
  const B = resamplesFor(opts.resamples, work);
  const S = spec.stats.length;
  const changes = spec.stats.map(() => new Float64Array(B));
  const rels = spec.stats.map(() => new Float64Array(B));
  const relOk = spec.stats.map(() => true);
  const accA = new Float64Array(U);
  const accB = new Float64Array(U);
  const sa = new Array<number>(S);
  const sb = new Array<number>(S);
  const { tot, sum } = totalsOf(packed);
  const side = { total: 0, sum: 0 };
  const addInto = (acc: Float64Array, k: number) => {
    const ii = packed.idx[k];
    const cc = packed.cnt[k];
    for (let j = 0; j < ii.length; j++) acc[ii[j]] += cc[j];
    side.total += tot[k];
    side.sum += sum[k];
  };
  for (let b = 0; b < B; b++) {
    accA.fill(0);
    accB.fill(0);
    side.total = side.sum = 0;
    for (let i = 0; i < nA; i++) addInto(accA, draw(nA));
    readStats(packed.values, accA, side.total, side.sum, spec.stats, spec.scale, sa);
    side.total = side.sum = 0;
    for (let i = 0; i < nB; i++) addInto(accB, nA + draw(nB));
    readStats(packed.values, accB, side.total, side.sum, spec.stats, spec.scale, sb);
    for (let k = 0; k < S; k++) {
      // A replicate that drew only empty seconds has no value: count it as no change.
      const va = Number.isNaN(sa[k]) ? sb[k] : sa[k];
      const vb = Number.isNaN(sb[k]) ? sa[k] : sb[k];
      changes[k][b] = vb - va || 0;
      if (va > 0) rels[k][b] = vb / va - 1;
      else relOk[k] = false;
    }
  }
  return { intervals: spec.stats.map((_, k) => interval(changes[k], rels[k], relOk[k], opts.confidence)), resamples: B };
}

/** The stats of one metric over all given intervals (the point estimate the bootstrap varies). */
export function statsOver(data: readonly IntervalData[], metric: MetricName, stats: readonly Stat[], scale: number): number[] {
  const packed = pack(data.map((d) => d.hist[metric]), false);
  const acc = new Float64Array(packed.values.length);
  for (let k = 0; k < data.length; k++) {
    const ii = packed.idx[k];
    const cc = packed.cnt[k];
    for (let j = 0; j < ii.length; j++) acc[ii[j]] += cc[j];
  }
  const out = new Array<number>(stats.length);
  const { tot, sum } = totalsOf(packed);
  readStats(packed.values, acc, tot.reduce((x, y) => x + y, 0), sum.reduce((x, y) => x + y, 0), stats, scale, out);
  return out;
}
