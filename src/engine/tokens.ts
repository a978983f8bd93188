/**
 * Per-workload token accounting in the worker: picks each finished request's output and input
 * counts by DESIGN.md's order (usage, else tokenizer, else one per content chunk) and counts which
 * source gave them, the usage-vs-tokenizer divergence, short outputs by finish_reason and
 * deadline timeouts. Counters are a flat typed array; the TokenInterval object is built once per
 * interval, in flush.
 *
 * Cost choice: the tokenizer never runs while chunks arrive. A stream keeps its text (string concatenation,
 * no tokenizing) only when the tokenizer will need it: every request while the server gives no
 * usage, otherwise one request in DIVERGENCE_SAMPLE_EVERY, whose text is counted once, when the
 * request ends. Counting ~100 tokens costs ~0.1 ms, so a sampled request stalls the loop far less
 * than the 1 ms itl error budget, and at 1 in 16 the average cost is a few µs per request.
 * Per-token ITL without running usage counts each chunk's text once the stream ends (chunk-log.ts).
 * Also counted here: where each stream's per-chunk ITL counts came from, and outputs over max_tokens.
 */
import type { Tokenizer } from '../workload/tokenizer.js';
import { emptyTokenInterval, type TokenInterval } from '../metrics/tokens.js';
import { ChunkCounter, ITL_TOKENIZER, ITL_USAGE, type ItlSourceCode } from './chunk-log.js';

export const DIVERGENCE_SAMPLE_EVERY = 16;

/** What a stream does with its text: drop it, keep it in case no usage comes, keep it to sample the divergence. */
export const KEEP_NONE = 0;
export const KEEP_FALLBACK = 1;
export const KEEP_SAMPLE = 2;
export type KeepText = typeof KEEP_NONE | typeof KEEP_FALLBACK | typeof KEEP_SAMPLE;

const enum T {
  outUsage,
  outTokenizer,
  outChunks,
  inUsage,
  inTokenizer,
  odSamples,
  odUsage,
  odTokenizer,
  odAbs,
  idSamples,
  idUsage,
  idTokenizer,
  idAbs,
  shortStop,
  shortLength,
  shortOther,
  toFirst,
  toTotal,
  itlUsage,
  itlTokenizer,
  itlChunks,
  overMaxRequests,
  overMaxTokens,
  size,
}

export class TokenAccounting {
  private readonly c = new Float64Array(T.size);
  private starts = 0;
  /** Whether the last finished request carried usage.completion_tokens (false until one has). */
  private usageSeen = false;
  /** Where the last output() count came from (T.outUsage, T.outTokenizer or T.outChunks). */
  private lastOutput: number = T.outChunks;
  private any = false;
  /** Counts chunk texts for per-token ITL (engine/chunk-log.ts); null without a tokenizer. */
  readonly chunkCounter: ChunkCounter | null;

  constructor(private readonly tokenizer: Tokenizer | null) {
    this.chunkCounter = tokenizer === null ? null : new ChunkCounter(tokenizer);
  }

  /** At a request's start: should its stream keep the generated text, and why? */
  wantText(): KeepText {
    if (this.tokenizer === null) return KEEP_NONE;
    if (this.starts++ % DIVERGENCE_SAMPLE_EVERY === 0) return KEEP_SAMPLE;
    // Until a request has shown usage (or while the server gives none), the text may be the only count.
    return this.usageSeen ? KEEP_NONE : KEEP_FALLBACK;
  }

  /**
   * The output count of a finished ok request. usage < 0: the server gave none; keep: why `text`
   * (the whole generated text unless KEEP_NONE) was kept; chunks: tokens counted from content chunks.
   */
  output(usage: number, text: string, keep: KeepText, chunks: number): number {
    const c = this.c;
    this.any = true;
    this.usageSeen = usage >= 0;
    if (usage >= 0) {
      this.lastOutput = T.outUsage;
      c[T.outUsage]++;
      if (keep === KEEP_SAMPLE && this.tokenizer !== null) {
        const n = this.tokenizer.count(text);
        c[T.odSamples]++;
        c[T.odUsage] += usage;
        c[T.odTokenizer] += n;
        c[T.odAbs] += Math.abs(n - usage);
      }
      return usage;
    }
    if (keep !== KEEP_NONE && this.tokenizer !== null) {
      this.lastOutput = T.outTokenizer;
      c[T.outTokenizer]++;
      return this.tokenizer.count(text);
    }
    this.lastOutput = T.outChunks;
    c[T.outChunks]++;
    return Math.max(0, chunks);
  }

  /** The input count: usage.prompt_tokens if given (< 0: not given), else the tokenizer's count of the prompt. */
  input(usage: number, prepared: number): number {
    const c = this.c;
    this.any = true;
    if (usage >= 0) {
      c[T.inUsage]++;
      c[T.idSamples]++;
      c[T.idUsage] += usage;
      c[T.idTokenizer] += prepared;
      c[T.idAbs] += Math.abs(prepared - usage);
      return usage;
    }
    c[T.inTokenizer]++;
    return prepared;
  }

  /** An ok request with fewer output tokens than max_tokens. */
  short(finishReason: string | null): void {
    this.any = true;
    this.c[finishReason === 'stop' ? T.shortStop : finishReason === 'length' ? T.shortLength : T.shortOther]++;
  }

  /**
   * The total a stream's per-chunk ITL counts are scaled to (call after output()): its output count,
   * unless that was itself one per chunk, which would flatten the tokenizer's per-chunk counts.
   */
  itlTotal(outputTokens: number): number {
    return this.lastOutput === T.outChunks ? 0 : outputTokens;
  }

  /** A recorded stream's per-chunk ITL counts came from this source (ChunkLog.record). */
  itl(source: ItlSourceCode): void {
    if (source < 0) return;
    this.any = true;
    this.c[source === ITL_USAGE ? T.itlUsage : source === ITL_TOKENIZER ? T.itlTokenizer : T.itlChunks]++;
  }

  /**
   * An ok request's output against the max_tokens it asked for. Judged only when the count is the
   * server's own (usage): a tokenizer's estimate over the limit is a tokenizer mismatch, not a server
   * that ignored max_tokens. Call after output().
   */
  checkMax(outputTokens: number, askedTokens: number): void {
    if (this.lastOutput !== T.outUsage || askedTokens <= 0 || outputTokens <= askedTokens) return;
    this.c[T.overMaxRequests]++;
    this.c[T.overMaxTokens] += outputTokens - askedTokens;
  }

  timeout(firstToken: boolean): void {
    this.any = true;
    this.c[firstToken ? T.toFirst : T.toTotal]++;
  }

  /** The interval's counts (undefined when nothing was counted), and a reset. */
  take(): TokenInterval | undefined {
    if (!this.any) return undefined;
    const c = this.c;
    const t = emptyTokenInterval();
    t.output.usage = c[T.outUsage];
    t.output.tokenizer = c[T.outTokenizer];
    t.output.chunks = c[T.outChunks];
    t.input.usage = c[T.inUsage];
    t.input.tokenizer = c[T.inTokenizer];
    t.outputDivergence = { samples: c[T.odSamples], usageTokens: c[T.odUsage], tokenizerTokens: c[T.odTokenizer], absDiffTokens: c[T.odAbs] };
    t.inputDivergence = { samples: c[T.idSamples], usageTokens: c[T.idUsage], tokenizerTokens: c[T.idTokenizer], absDiffTokens: c[T.idAbs] };
    t.short = { stop: c[T.shortStop], length: c[T.shortLength], other: c[T.shortOther] };
    t.timeouts = { firstToken: c[T.toFirst], total: c[T.toTotal] };
    t.itl = { usage: c[T.itlUsage], tokenizer: c[T.itlTokenizer], chunks: c[T.itlChunks] };
    t.overMax = { requests: c[T.overMaxRequests], tokens: c[T.overMaxTokens] };
    this.reset();
    return t;
  }

  reset(): void {
    this.c.fill(0);
    this.any = false;
  }
}
