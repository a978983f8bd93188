/**
 * The sweep's decisions, free of I/O: what one step measured (from its run records), whether the
 * server saturated within it, whether it was stable, which value to try next (ladder or search),
 * the knee, the answer and the replica count. The runner (run.ts) supplies a `measure` function
 * that runs one step; tests supply a synthetic one.
 *
 * Definitions (also in docs/capacity-planning.md):
 * - A step **passes** when every `until` condition holds and the server did not saturate.
 * - **Saturated**: the completions per second fell more than RATE_SHORTFALL behind the offered rate,
 *   requests were dropped, the error rate rose ERROR_RISE above the first step's, or latency kept
 *   growing within the step (the last window's p50 over GROWTH × the first's, rising across the
 *   windows): a queue that grows for as long as the step lasts. Closed loop (concurrency): the
 *   throughput rose less than PLATEAU while the concurrency rose.
 * - **Stable**: the last STABLE_WINDOWS windows agree on throughput and p50 latency within
 *   `stability` (perf_analyzer's rule); an unstable step that did not saturate is run again, and
 *   so is a failure without saturation, once, to confirm it (see measureStable).
 * - **Knee**: the largest value whose latency p99 is still within KNEE_FACTOR × the low-load p99
 *   (the smallest p99 measured), below a value that exceeds it (null when none does). See kneeOf.
 */
import { addEncoded, newAccumulator, statsOf } from '../metrics/hdr.js';
import type { IntervalRecord, RunRecord } from '../metrics/records.js';
import type { Summary, ThresholdResult } from '../metrics/summary-types.js';
import type { ResolvedSweep } from '../scenario/types.js';
import { round3 } from '../util/values.js';
import { serverSaturation } from '../server-metrics/signals.js';
import { stepServer, type StepServer } from './server.js';

export const RATE_SHORTFALL = 0.05;
export const SHORTFALL_SLACK = 2;
export const ERROR_RISE = 0.01;
export const GROWTH = 1.5;
export const PLATEAU = 0.05;
export const STABLE_WINDOWS = 3;
export const KNEE_FACTOR = 2;

export type SweepUnit = 'rps' | 'concurrency';

export interface Pcts {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

/** One window (interval) of a step, summed over workers and workloads. */
export interface StepWindow {
  completed: number;
  latencyP50Ms: number;
}

export interface SweepStep {
  /** Order in which the steps ran (0-based). */
  index: number;
  /** The value set for the step: load.rps or load.concurrency. */
  value: number;
  unit: SweepUnit;
  /** Runs of this value (more than 1 when an unstable result was repeated). */
  attempts: number;
  startedAt: string;
  durationS: number;
  /** Requests sent per second (open loop: the offered rate, unless dropped). */
  achievedRps: number;
  /** Requests completed per second within the measured window. */
  throughputRps: number;
  latencyMs: Pcts | null;
  ttftMs: Pcts | null;
  tpotMs: Pcts | null;
  completed: number;
  errors: number;
  errorRate: number;
  dropped: number;
  goodputRps: number | null;
  outputTokensPerS: number;
  /** Mean requests in flight at window ends (closed loop: the concurrency reached). */
  meanInFlight: number;
  conditions: ThresholdResult[];
  /** Why the server counts as saturated in this step; empty when it kept up. */
  saturation: string[];
  /**
   * The load generator itself fell behind its plan (summary.generator.saturated): the step's
   * figures then partly describe servebench and this machine, and the answer is a lower bound.
   */
  generatorSaturated: boolean;
  stable: boolean;
  pass: boolean;
  /** The server's series over the step's measured window (scenario `server:`); absent without it. */
  server?: StepServer;
}

export interface SweepAnswer {
  unit: SweepUnit;
  /** Largest value (rps or concurrency) that met every condition without saturating; null: none. */
  maxRate: number | null;
  /** Requests per second completed at maxRate (the per-replica figure of the planning note). */
  maxAchievedRps: number | null;
  knee: number | null;
  kneeAchievedRps: number | null;
  /** True when the largest value tried still passed: the capacity lies above the range. */
  aboveRange: boolean;
  /** The failing step that bounds the answer had a saturated generator: a lower bound only. */
  generatorBound: boolean;
  sentence: string;
}

export interface PlanningNote {
  peakRps: number;
  headroom: number;
  perReplicaRps: number;
  replicas: number;
  text: string;
}


/** Per-window figures of a step, in index order, only the measured windows. */
export function stepWindows(records: readonly RunRecord[], measuredWindows: number): StepWindow[] {
  const by = new Map<number, { completed: number; lat: ReturnType<typeof newAccumulator> }>();
  for (const r of records) {
    if (r.type !== 'interval' || r.index >= measuredWindows) continue;
    let w = by.get(r.index);
    if (!w) by.set(r.index, (w = { completed: 0, lat: newAccumulator() }));
    for (const wl of (r as IntervalRecord).workloads) {
      w.completed += wl.ok;
      for (const k in wl.errors) w.completed += wl.errors[k];
      if (wl.hist.latency) addEncoded(w.lat, wl.hist.latency);
    }
  }
  const out: StepWindow[] = [];
  for (const i of [...by.keys()].sort((a, b) => a - b)) {
    const w = by.get(i)!;
    out.push({ completed: w.completed, latencyP50Ms: w.lat.totalCount ? statsOf(w.lat, 1e-3).p50 : 0 });
    w.lat.destroy();
  }
  return out;
}

/**
 * The last windows agree within `tol`. Counts also get two standard deviations of counting noise
 * (2·√n: a window of a few requests cannot agree to 10 %), latencies 2 ms of scheduler jitter.
 */
export function isStable(windows: readonly StepWindow[], tol: number): boolean {
  const last = windows.slice(-STABLE_WINDOWS);
  if (last.length < 2) return true;
  const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
  const counts = last.map((w) => w.completed);
  const lats = last.map((w) => w.latencyP50Ms);
  const maxCount = Math.max(...counts);
  return spread(counts) <= tol * maxCount + 2 * Math.sqrt(maxCount) && spread(lats) <= tol * Math.max(...lats) + 2;
}

/** Latency kept growing through the step: a queue that builds for as long as the load lasts. */
export function latencyGrows(windows: readonly StepWindow[]): boolean {
  const lats = windows.map((w) => w.latencyP50Ms).filter((x) => x > 0);
  if (lats.length < 3) return false;
  const first = lats[0];
  const last = lats[lats.length - 1];
  let rises = 0;
  for (let i = 1; i < lats.length; i++) if (lats[i] > lats[i - 1]) rises++;
  return last > GROWTH * first && last - first > 2 && rises >= lats.length - 2;
}

function pcts(m: Pcts | undefined): Pcts | null {
  return m ? { p50: m.p50, p90: m.p90, p95: m.p95, p99: m.p99 } : null;
}

export interface MeasureInput {
  index: number;
  value: number;
  unit: SweepUnit;
  attempts: number;
  summary: Summary;
  windows: readonly StepWindow[];
  /** Mean in-flight over the measured windows. */
  meanInFlight: number;
  conditions: ThresholdResult[];
  stability: number;
  /** The first step's error rate, for "errors rise"; null for the first step. */
  baselineErrorRate: number | null;
  /** Previous (lower) closed-loop step, for the throughput plateau. */
  previous: SweepStep | null;
}

/** One step's figures and verdict from its summary and windows. */
export function stepFrom(m: MeasureInput): SweepStep {
  const s = m.summary;
  const durationS = s.durationS;
  const completedInWindow = m.windows.reduce((x, w) => x + w.completed, 0);
  // Only requests sent in the measured window are counted (warm-up ones are not), so the first
  // completions arrive one request duration after the window opens: divide by the time in which
  // completions could arrive, or a 200 ms chat stream in a 1.5 s step reads as 13 % short.
  const leadS = Math.min(s.metrics.latency?.min ?? 0, (durationS * 1000) / 2) / 1000;
  const countedS = Math.max(durationS - leadS, 1e-3);
  const throughputRps = round3(completedInWindow / countedS);
  const errorRate = s.totals.completed ? round3(s.totals.errors / s.totals.completed) : 0;
  const goodput = s.workloads.some((w) => w.goodput) ? round3(s.workloads.reduce((x, w) => x + (w.goodput?.ratePerS ?? 0), 0)) : null;
  const saturation: string[] = [];
  // The slack of SHORTFALL_SLACK requests keeps a low rate's count quantization (7 of 7.5 expected
  // in 1.5 s at 5 rps) from reading as a shortfall.
  if (m.unit === 'rps' && completedInWindow < (1 - RATE_SHORTFALL) * m.value * countedS - SHORTFALL_SLACK) {
    saturation.push(`completed ${throughputRps} rps of ${m.value} offered (more than ${RATE_SHORTFALL * 100}% behind)`);
  }
  if (s.totals.dropped > 0) saturation.push(`${s.totals.dropped} requests dropped (load.maxInFlight reached)`);
  if (errorRate > (m.baselineErrorRate ?? 0) + ERROR_RISE) saturation.push(`error rate ${round3(errorRate * 100)}% (rose above ${round3(((m.baselineErrorRate ?? 0) + ERROR_RISE) * 100)}%)`);
  if (latencyGrows(m.windows)) {
    const lats = m.windows.map((w) => w.latencyP50Ms).filter((x) => x > 0);
    saturation.push(`latency kept growing within the step (p50 ${lats[0]} → ${lats[lats.length - 1]} ms)`);
  }
  if (m.unit === 'concurrency' && m.previous && m.previous.throughputRps > 0 && throughputRps < (1 + PLATEAU) * m.previous.throughputRps) {
    saturation.push(`throughput stopped rising (${m.previous.throughputRps} → ${throughputRps} rps from concurrency ${m.previous.value} to ${m.value})`);
  }
  saturation.push(...serverSaturation(s.server)); // server-metrics hook: the server signal that moved
  const stable = isStable(m.windows, m.stability);
  return {
    index: m.index,
    value: m.value,
    unit: m.unit,
    attempts: m.attempts,
    startedAt: s.startedAt,
    durationS,
    achievedRps: s.load.achievedRps,
    throughputRps,
    latencyMs: pcts(s.metrics.latency),
    ttftMs: pcts(s.metrics.ttft),
    tpotMs: pcts(s.metrics.tpot),
    completed: s.totals.completed,
    errors: s.totals.errors,
    errorRate,
    dropped: s.totals.dropped,
    goodputRps: goodput,
    outputTokensPerS: round3(s.workloads.reduce((x, w) => x + w.outputTokensPerS, 0)),
    meanInFlight: round3(m.meanInFlight),
    conditions: m.conditions,
    saturation,
    generatorSaturated: s.generator.saturated,
    stable,
    pass: saturation.length === 0 && m.conditions.every((c) => c.ok),
    ...(s.server ? { server: stepServer(s.server) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Drivers

/** Runs one value; resolves null when the sweep was interrupted during the step. */
export type Measure = (value: number, attempt: number) => Promise<SweepStep | null>;

/**
 * Runs a value until its result can be trusted, at most 1 + maxRepeats times, and keeps the last:
 * - a saturated step is final (a growing queue is itself the verdict);
 * - an unstable step (its last windows disagree) is run again;
 * - a failure without saturation is run once more to confirm it: on a busy machine one scheduler
 *   hiccup can decide a tail percentile, and a search that believes it bisects the wrong half.
 */
async function measureStable(value: number, sweep: ResolvedSweep, measure: Measure): Promise<SweepStep | null> {
  let step: SweepStep | null = null;
  for (let attempt = 1; attempt <= 1 + sweep.maxRepeats; attempt++) {
    step = await measure(value, attempt);
    if (!step || step.saturation.length > 0) return step;
    const confirm = !step.pass && attempt === 1;
    if (step.stable && !confirm) return step;
  }
  return step;
}

export interface DriveOutcome {
  steps: SweepStep[];
  interrupted: boolean;
}

/** Called with each step once it is final (after its repeats), in run order. */
export type OnStep = (s: SweepStep) => void;

function keep(steps: SweepStep[], step: SweepStep, onStep: OnStep | undefined): void {
  step.index = steps.length;
  steps.push(step);
  onStep?.(step);
}

export async function driveLadder(sweep: ResolvedSweep, measure: Measure, onStep?: OnStep): Promise<DriveOutcome> {
  const steps: SweepStep[] = [];
  for (const v of sweep.values) {
    const step = await measureStable(v, sweep, measure);
    if (!step) return { steps, interrupted: true };
    keep(steps, step, onStep);
    if (sweep.stopEarly && !step.pass) break;
  }
  return { steps, interrupted: false };
}

function roundValue(v: number, integer: boolean): number {
  if (integer) return Math.round(v);
  // Three significant digits: rates like 187.5 or 1250, not 187.49999.
  return Number(v.toPrecision(3));
}

/**
 * Search: bracket by doubling from `from` (capped at `to`) until a step fails, then bisect between
 * the largest pass and the smallest fail until they are within `precision` of each other
 * (concurrency: until they are adjacent integers).
 */
export async function driveSearch(sweep: ResolvedSweep, measure: Measure, onStep?: OnStep): Promise<DriveOutcome> {
  const steps: SweepStep[] = [];
  const integer = sweep.over === 'concurrency';
  let lo: number | null = null;
  let hi: number | null = null;
  let v = sweep.from;
  while (steps.length < sweep.maxSteps) {
    const step = await measureStable(v, sweep, measure);
    if (!step) return { steps, interrupted: true };
    keep(steps, step, onStep);
    if (step.pass) lo = v;
    else hi = v;
    if (lo === null) break; // fails at the bottom of the range: nothing passes
    if (hi === null) {
      if (lo >= sweep.to) break; // passes at the top of the range
      v = Math.min(lo * 2, sweep.to);
      continue;
    }
    const done = integer ? hi - lo <= 1 : (hi - lo) / lo <= sweep.precision;
    if (done) break;
    const next = roundValue((lo + hi) / 2, integer);
    if (next <= lo || next >= hi) break;
    v = next;
  }
  return { steps, interrupted: false };
}

// ---------------------------------------------------------------------------------------------
// Answer

/**
 * The knee: the largest value whose p99 is within KNEE_FACTOR × the low-load p99, below the
 * largest value that exceeds it. The low-load p99 is the smallest p99 measured (on a busy machine
 * the lowest step's p99 can carry a scheduler hiccup); the largest exceeding value anchors the knee
 * to where the curve turns up for good, not to a noisy step below it. Null: no step exceeds.
 */
export function kneeOf(steps: readonly SweepStep[]): SweepStep | null {
  const withP99 = steps.filter((s) => s.latencyMs).sort((a, b) => a.value - b.value);
  if (withP99.length < 2) return null;
  const bound = KNEE_FACTOR * Math.min(...withP99.map((s) => s.latencyMs!.p99));
  const over = withP99.filter((s) => s.latencyMs!.p99 > bound);
  if (over.length === 0) return null;
  const top = over[over.length - 1].value;
  const within = withP99.filter((s) => s.value < top && s.latencyMs!.p99 <= bound);
  return within.length ? within[within.length - 1] : null;
}

export function answerOf(steps: readonly SweepStep[], unit: SweepUnit, to: number): SweepAnswer {
  const byValue = [...steps].sort((a, b) => a.value - b.value || a.index - b.index);
  // The largest passing value below the smallest failing one: a pass above a fail is luck.
  const firstFail = byValue.find((s) => !s.pass);
  const passing = byValue.filter((s) => s.pass && (!firstFail || s.value < firstFail.value));
  const best = passing.length ? passing[passing.length - 1] : null;

  const knee = kneeOf(byValue);
  const u = unit === 'rps' ? 'rps' : 'concurrent streams';
  const aboveRange = best !== null && !firstFail && best.value >= to;
  const fmt = (s: SweepStep) => (unit === 'rps' ? `${s.value} rps` : `${s.value} ${u} (${s.throughputRps} rps)`);
  let sentence: string;
  if (steps.length === 0) sentence = 'no step finished: no answer';
  else if (!best) sentence = `does not meet the conditions even at ${byValue[0].value} ${u}, the lowest value tried`;
  else sentence = `sustains ${fmt(best)} within SLO${aboveRange ? ' (the largest value tried: the limit lies above the range)' : ''}`;
  if (steps.length > 0) sentence += knee ? `; the knee is at ${fmt(knee)}` : `; no knee in the range (p99 stayed within ${KNEE_FACTOR}× its low-load value)`;
  // The failure that bounds the answer came with the generator behind its plan: the limit found
  // may be this machine's, not the server's.
  const bound = firstFail ?? null;
  const generatorBound = bound !== null && bound.generatorSaturated;
  if (generatorBound) sentence += ` (caution: the load generator was saturated at ${bound.value} ${u}; the answer may be a lower bound)`;
  return {
    unit,
    maxRate: best ? best.value : null,
    maxAchievedRps: best ? best.throughputRps : null,
    knee: knee ? knee.value : null,
    kneeAchievedRps: knee ? knee.throughputRps : null,
    aboveRange,
    generatorBound,
    sentence,
  };
}

/**
 * Replicas for a peak rate, assuming throughput scales linearly with replicas and each replica is
 * run at no more than (1 − headroom) of its measured maximum.
 */
export function planReplicas(perReplicaRps: number, peakRps: number, headroom: number): PlanningNote {
  const usable = perReplicaRps * (1 - headroom);
  const replicas = usable > 0 ? Math.ceil(peakRps / usable - 1e-9) : Infinity;
  const text =
    `measured maximum per replica: ${round3(perReplicaRps)} rps within SLO. ` +
    `For a peak of ${peakRps} rps with ${round3(headroom * 100)}% headroom (each replica at most ${round3(usable)} rps), ` +
    `${replicas} replicas, assuming throughput scales linearly with replicas (check it by sweeping 2 replicas).`;
  return { peakRps, headroom, perReplicaRps: round3(perReplicaRps), replicas, text };
}
