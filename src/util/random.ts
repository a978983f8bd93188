/**
 * Seeded randomness. Every random choice in servebench (arrival gaps, workload mix, prompt lengths)
 * draws from these so that a run with the same seed makes the same plan.
 */

/** sfc32: small, fast, good enough statistically; state in four 32-bit ints, no allocation per draw. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in (0, 1]: safe under log(). */
  nextOpen(): number {
    return (this.nextU32() + 1) / 4294967296;
  }

  normal(): number {
    // Box–Muller; one value per call keeps the sequence simple to reason about.
    return Math.sqrt(-2 * Math.log(this.nextOpen())) * Math.cos(2 * Math.PI * this.next());
  }

  exponential(mean: number): number {
    return -Math.log(this.nextOpen()) * mean;
  }

  /** Gamma(shape, scale) by Marsaglia–Tsang; shape < 1 uses the boost u^(1/shape). */
  gamma(shape: number, scale: number): number {
    if (shape < 1) {
      const u = this.nextOpen();
      return this.gamma(shape + 1, scale) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.nextOpen();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }
}

/** A stateless uniform in [0,1) from (seed, index): lets any worker decide slot i alone. */
export function hashUnit(seed: number, index: number): number {
  let h = (Math.imul(seed ^ 0x85ebca6b, 0x9e3779b1) ^ Math.imul(index | 0, 0xc2b2ae35) ^ Math.floor(index / 4294967296)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
