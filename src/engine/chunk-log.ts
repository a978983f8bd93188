/**
 * One stream's content chunks, kept until it ends so its ITL can be recorded per token (DESIGN.md:
 * a chunk of k tokens arriving g after the previous one records k values of g/k) even when the
 * server gives no running usage. Where the per-chunk counts come from (`itlSource`):
 *  - `usage`: every content chunk carried usage.completion_tokens (vLLM's continuous_usage_stats);
 *    the increase of that count is the chunk's tokens;
 *  - `tokenizer`: no running usage; each chunk's text is counted with the workload's tokenizer and
 *    the counts are scaled to the request's output count (final usage.completion_tokens, else the
 *    tokenizer's count of the whole text), so the per-token gaps add up to the stream's span;
 *  - `chunks`: neither (no tokenizer, or a stream whose usage stopped half-way): each chunk weighs
 *    one, scaled to the output count the same way.
 *
 * Cost: a chunk costs three array writes; the counting runs once, when an ok stream is recorded.
 * A chunk's text is only held while the stream has no running usage (usage streams hold nothing),
 * and chunk texts repeat (single tokens, mostly) so their counts are memoized (ChunkCounter).
 */
import { spreadItl } from '../protocol/itl.js';
import type { Tokenizer } from '../workload/tokenizer.js';

export const ITL_USAGE = 0;
export const ITL_TOKENIZER = 1;
export const ITL_CHUNKS = 2;
/** A stream without content chunks: no source to count. */
export const ITL_NONE = -1;
export type ItlSourceCode = typeof ITL_USAGE | typeof ITL_TOKENIZER | typeof ITL_CHUNKS | typeof ITL_NONE;

const INITIAL_CHUNKS = 64;
/** reset() drops arrays a very long stream grew past this, so idle contexts stay small. */
const RETAIN_CHUNKS = 4096;

/** Chunk texts up to this many UTF-16 units are memoized; longer ones are rare and unlikely to repeat. */
const MEMO_MAX_CHARS = 32;
const MEMO_MAX_ENTRIES = 16_384;

/**
 * The tokenizer's count of one chunk's text, memoized. A miss costs ~3.5 µs with cl100k_base (its
 * fixed per-call cost dominates on a one-word text), a hit ~0.1 µs.
 */
export class ChunkCounter {
  private readonly memo = new Map<string, number>();
  constructor(private readonly tokenizer: Tokenizer) {}

  count(piece: string): number {
    if (piece.length > MEMO_MAX_CHARS) return this.tokenizer.count(piece);
    let n = this.memo.get(piece);
    if (n === undefined) {
      n = this.tokenizer.count(piece);
      if (this.memo.size >= MEMO_MAX_ENTRIES) this.memo.clear();
      this.memo.set(piece, n);
    }
    return n;
  }
}

export class ChunkLog {
  private timesMs = new Float64Array(INITIAL_CHUNKS);
  /** The parser's count per chunk (its usage delta, else 1); then, in record(), each chunk's weight. */
  private weights = new Float64Array(INITIAL_CHUNKS);
  private pieces: string[] = [];
  private n = 0;
  /** Every chunk so far carried running usage. */
  private allUsage = true;
  /** The first chunk whose text this stream holds (texts are held from the first chunk without usage on); -1: none. */
  private textFrom = -1;
  /** The largest per-token gap of the last record(), ms (for slo.itl). */
  maxGapMs = 0;

  reset(): void {
    if (this.timesMs.length > RETAIN_CHUNKS) {
      this.timesMs = new Float64Array(INITIAL_CHUNKS);
      this.weights = new Float64Array(INITIAL_CHUNKS);
      this.pieces = [];
    } else if (this.textFrom >= 0) {
      // let the texts go: a context may wait long for its next stream
      this.pieces.fill('', this.textFrom, this.n);
    }
    this.n = 0;
    this.allUsage = true;
    this.textFrom = -1;
    this.maxGapMs = 0;
  }

  get chunks(): number {
    return this.n;
  }

  /** A content chunk: `tokens` as the parser counted them, `fromUsage` when its usage gave that count. */
  add(nowMs: number, tokens: number, piece: string, fromUsage: boolean): void {
    const i = this.n;
    if (i === this.timesMs.length) this.grow();
    this.timesMs[i] = nowMs;
    this.weights[i] = tokens;
    if (this.allUsage && !fromUsage) {
      this.allUsage = false;
      this.textFrom = i;
    }
    if (!this.allUsage) this.pieces[i] = piece;
    this.n = i + 1;
  }

  /**
   * Records the stream's per-token gaps through `record` and returns where the per-chunk counts
   * came from. outputTokens: the request's output count (scaled to; ≤ 0 leaves the counts as they are).
   */
  record(record: (gapUs: number, count: number) => void, outputTokens: number, counter: ChunkCounter | null): ItlSourceCode {
    const n = this.n;
    if (n === 0) {
      this.maxGapMs = 0;
      return ITL_NONE;
    }
    if (this.allUsage) {
      this.maxGapMs = spreadItl(record, this.timesMs, this.weights, n, 0);
      return ITL_USAGE;
    }
    const w = this.weights;
    let source: ItlSourceCode = ITL_CHUNKS;
    // A stream that started with usage and then lost it has no text for its first chunks.
    if (counter !== null && this.textFrom === 0) {
      const p = this.pieces;
      for (let i = 0; i < n; i++) w[i] = counter.count(p[i]);
      source = ITL_TOKENIZER;
    } else {
      w.fill(1, 0, n);
    }
    this.maxGapMs = spreadItl(record, this.timesMs, this.weights, n, outputTokens);
    return source;
  }

  private grow(): void {
    const t = new Float64Array(this.timesMs.length * 2);
    t.set(this.timesMs);
    this.timesMs = t;
    const w = new Float64Array(this.weights.length * 2);
    w.set(this.weights);
    this.weights = w;
  }
}
