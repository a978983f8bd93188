/**
 * Arrival plans. A plan is one global sequence of slots (intended send instants, ms from the start
 * of the run, warm-up included). Worker k of n takes slots k, k+n, k+2n … of that one sequence, so
 * the merged arrivals of all workers are exactly the plan (as k6's execution segments do) and no
 * worker sends a burst of its own.
 *
 * Slot times come from the index and the start time, never from the previous tick: constant and ramp
 * slots are closed-form functions of the index; poisson slots are a seeded cumulative sum that every
 * worker computes in full (a few ns per slot) and then strides through.
 */
import type { ResolvedLoad, RampStage } from '../scenario/types.js';
import { Rng } from '../util/random.js';
import type { TraceColumns } from './trace.js';

/** What the open loop walks: SlotIterator, or a wrapper of it (engine/trace-replay.ts). */
export interface SlotSource {
  readonly index: number;
  readonly warmup: boolean;
  readonly measuredIndex: number;
  next(): number;
}

/** Offset in ms of global slot `i` for a constant rate. */
export function constantSlotMs(i: number, ratePerS: number): number {
  return (i * 1000) / ratePerS;
}

/**
 * Offset in ms of global slot `i` for a piecewise-linear rate curve (k6's ramping-arrival-rate):
 * slot i is sent at the instant t where the integral of the rate from 0 to t equals i.
 * Returns Infinity when the curve ends before slot i.
 */
export function rampSlotMs(i: number, startRps: number, stages: readonly RampStage[]): number {
  let t0Ms = 0;
  let r0 = startRps;
  let done = 0; // slots covered by earlier stages (fractional)
  for (const st of stages) {
    const dS = st.durationMs / 1000;
    const r1 = st.targetRps;
    const area = ((r0 + r1) / 2) * dS;
    if (i < done + area) {
      const need = i - done;
      // Solve r0*x + (r1-r0)/(2*dS) * x^2 = need for x in [0, dS].
      const a = (r1 - r0) / (2 * dS);
      let x: number;
      if (Math.abs(a) < 1e-12) x = need / r0;
      else x = (-r0 + Math.sqrt(r0 * r0 + 4 * a * need)) / (2 * a);
      return t0Ms + x * 1000;
    }
    done += area;
    t0Ms += st.durationMs;
    r0 = r1;
  }
  return Infinity;
}

/** Total number of slots a ramp holds (the integral of the whole curve). */
export function rampSlotCount(startRps: number, stages: readonly RampStage[]): number {
  let r0 = startRps;
  let total = 0;
  for (const st of stages) {
    total += ((r0 + st.targetRps) / 2) * (st.durationMs / 1000);
    r0 = st.targetRps;
  }
  return Math.floor(total + 1e-9);
}

/**
 * Iterates one worker's share of the plan. `next()` advances and returns the slot's offset in ms
 * (warm-up included), or -1 when the plan is over; `index` and `warmup` then describe that slot.
 * Fields instead of a returned object: this runs once per request on the hot path.
 */
export class SlotIterator implements SlotSource {
  /** Global index of the current slot. */
  index = -1;
  /** True when the current slot falls in the warm-up (sent, not recorded). */
  warmup = false;
  /** Index among measured slots (0-based), -1 during warm-up. */
  measuredIndex = -1;

  private readonly rng: Rng;
  private readonly gapShape: number;
  private readonly gapScaleMs: number;
  private readonly endMs: number;
  private readonly stride: number;
  private poissonIndex = -1;
  private poissonMs = 0;
  /** Poisson: the first global index at or after the warm-up, seen while walking the gaps. */
  private poissonFirstMeasured = -1;
  private firstMeasured = -1;

  constructor(
    private readonly load: ResolvedLoad,
    private readonly worker: number,
    workers: number,
    /** load.type trace: the records, slot i at record i's time / speed. */
    private readonly trace?: TraceColumns,
  ) {
    this.stride = workers;
    this.rng = new Rng(load.seed);
    // Gamma gaps with shape k and mean 1/rate: k = 1 is exponential (Poisson arrivals).
    this.gapShape = load.burstiness;
    this.gapScaleMs = 1000 / load.rps / load.burstiness;
    this.endMs = load.warmupMs + load.durationMs;
  }

  next(): number {
    const i = this.index < 0 ? this.worker : this.index + this.stride;
    const t = this.slotMs(i);
    if (!(t >= 0)) return -1;
    this.index = i;
    this.warmup = t < this.load.warmupMs;
    if (this.warmup) {
      this.measuredIndex = -1;
    } else {
      if (this.firstMeasured < 0) this.firstMeasured = this.findFirstMeasured(i);
      this.measuredIndex = i - this.firstMeasured;
    }
    if (this.load.requests > 0) {
      if (!this.warmup && this.measuredIndex >= this.load.requests) return -1;
      return t;
    }
    return t < this.endMs ? t : -1;
  }

  /** Offset of global slot i; NaN or Infinity when the plan has no such slot. */
  private slotMs(i: number): number {
    switch (this.load.type) {
      case 'constant':
        return constantSlotMs(i, this.load.rps);
      case 'ramp': {
        // The warm-up runs at the ramp's starting rate, then the stages follow.
        const warmSlots = Math.floor((this.load.warmupMs / 1000) * this.load.rps);
        if (i < warmSlots) return constantSlotMs(i, this.load.rps);
        return this.load.warmupMs + rampSlotMs(i - warmSlots, this.load.rps, this.load.stages);
      }
      case 'poisson':
        while (this.poissonIndex < i) {
          this.poissonIndex++;
          // Slot 0 is at t=0 as in the constant plan; each later slot adds one gap.
          if (this.poissonIndex > 0) this.poissonMs += this.rng.gamma(this.gapShape, this.gapScaleMs);
          if (this.poissonFirstMeasured < 0 && this.poissonMs >= this.load.warmupMs) this.poissonFirstMeasured = this.poissonIndex;
        }
        return this.poissonMs;
      case 'trace':
        return this.trace ? this.trace.offsetMs(i, this.load.trace?.speed ?? 1) : NaN;
      default:
        return NaN;
    }
  }

  /** The global index of the first slot at or after the warm-up (needed to count measured slots). */
  private findFirstMeasured(atOrBefore: number): number {
    const w = this.load.warmupMs;
    if (w === 0) return 0;
    switch (this.load.type) {
      case 'constant':
        return Math.ceil((w * this.load.rps) / 1000 - 1e-9);
      case 'ramp':
        return Math.floor((w / 1000) * this.load.rps);
      case 'trace':
        return this.trace ? this.trace.firstAtOrAfter(w, this.load.trace?.speed ?? 1) : atOrBefore;
      default:
        // poisson: slotMs walks every global index up to this one, and noted the first measured
        // there. (A replay from slot 0 here held the worker for as long as the warm-up had slots.)
        return this.poissonFirstMeasured >= 0 ? this.poissonFirstMeasured : atOrBefore;
    }
  }
}

