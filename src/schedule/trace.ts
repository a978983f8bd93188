/**
 * A trace as an arrival plan: record i is global slot i, sent at its time in the trace divided by
 * `speed`, so workers and shards stride through a trace exactly as through any other plan
 * (SlotIterator, shard.ts). The records live in columns of SharedArrayBuffers, packed once by the
 * coordinator and read in place by every worker: no per-request objects are cloned into threads.
 */

/** The columns, as posted to the workers. */
export interface SharedTrace {
  /** Float64: ms from the first record, as written (before `speed`). Non-decreasing. */
  readonly timesMs: SharedArrayBuffer;
  /** Int32 each. */
  readonly inputTokens: SharedArrayBuffer;
  readonly outputTokens: SharedArrayBuffer;
  /** Int16: workload index, -1 to pick by weight. */
  readonly workload: SharedArrayBuffer;
  /** Uint32, records + 1: record i's shared blocks are blockSeeds[blockStart[i] .. blockStart[i+1]). */
  readonly blockStart: SharedArrayBuffer;
  /** Uint32 seed and Int32 token count per shared block. */
  readonly blockSeeds: SharedArrayBuffer;
  readonly blockTokens: SharedArrayBuffer;
}

/** Typed-array views of a SharedTrace (no copy). */
export class TraceColumns {
  readonly count: number;
  readonly timesMs: Float64Array;
  readonly inputTokens: Int32Array;
  readonly outputTokens: Int32Array;
  readonly workload: Int16Array;
  readonly blockStart: Uint32Array;
  readonly blockSeeds: Uint32Array;
  readonly blockTokens: Int32Array;

  constructor(shared: SharedTrace) {
    this.timesMs = new Float64Array(shared.timesMs);
    this.count = this.timesMs.length;
    this.inputTokens = new Int32Array(shared.inputTokens);
    this.outputTokens = new Int32Array(shared.outputTokens);
    this.workload = new Int16Array(shared.workload);
    this.blockStart = new Uint32Array(shared.blockStart);
    this.blockSeeds = new Uint32Array(shared.blockSeeds);
    this.blockTokens = new Int32Array(shared.blockTokens);
  }

  /** Slot offset of record i at `speed` (ms from slot 0); NaN past the end. */
  offsetMs(i: number, speed: number): number {
    return i < this.count ? this.timesMs[i] / speed : NaN;
  }

  /** The first record at or after `ms` (scaled by `speed`); `count` when none is. */
  firstAtOrAfter(ms: number, speed: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timesMs[mid] / speed < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A typed column that doubles as it grows (the record count is not known while reading). */
class Grow<T extends Float64Array | Int32Array | Uint32Array | Int16Array> {
  length = 0;
  constructor(
    private data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data as never);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  /** The values in a SharedArrayBuffer of exactly their size. */
  share(bytesPer: number, view: (b: SharedArrayBuffer) => { set(a: ArrayLike<number>): void }): SharedArrayBuffer {
    const sab = new SharedArrayBuffer(this.length * bytesPer);
    view(sab).set(this.data.subarray(0, this.length));
    return sab;
  }
}

/** Packs records one by one into a SharedTrace; times are taken relative to the first record. */
export class TraceBuilder {
  private readonly times = new Grow(new Float64Array(1024), (n) => new Float64Array(n));
  private readonly input = new Grow(new Int32Array(1024), (n) => new Int32Array(n));
  private readonly output = new Grow(new Int32Array(1024), (n) => new Int32Array(n));
  private readonly wl = new Grow(new Int16Array(1024), (n) => new Int16Array(n));
  private readonly start = new Grow(new Uint32Array(1024), (n) => new Uint32Array(n));
  private readonly seeds = new Grow(new Uint32Array(4096), (n) => new Uint32Array(n));
  private readonly tokens = new Grow(new Int32Array(4096), (n) => new Int32Array(n));
  private firstMs = NaN;

  add(timeMs: number, inputTokens: number, outputTokens: number, workload: number, blockSeeds: readonly number[], blockTokens: readonly number[]): void {
    if (this.times.length === 0) this.firstMs = timeMs;
    this.times.push(timeMs - this.firstMs);
    this.input.push(inputTokens);
    this.output.push(outputTokens);
    this.wl.push(workload);
    this.start.push(this.seeds.length);
    for (let j = 0; j < blockSeeds.length; j++) {
      this.seeds.push(blockSeeds[j]);
      this.tokens.push(blockTokens[j]);
    }
  }

  get count(): number {
    return this.times.length;
  }

  finish(): SharedTrace {
    this.start.push(this.seeds.length);
    return {
      timesMs: this.times.share(8, (b) => new Float64Array(b)),
      inputTokens: this.input.share(4, (b) => new Int32Array(b)),
      outputTokens: this.output.share(4, (b) => new Int32Array(b)),
      workload: this.wl.share(2, (b) => new Int16Array(b)),
      blockStart: this.start.share(4, (b) => new Uint32Array(b)),
      blockSeeds: this.seeds.share(4, (b) => new Uint32Array(b)),
      blockTokens: this.tokens.share(4, (b) => new Int32Array(b)),
    };
  }
}
