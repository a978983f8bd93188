/**
 * Per-workload token accounting in the worker: picks each finished request's output and input
 * counts by DESIGN.md's order (usage, else tokenizer, else one per content chunk) and counts which
 * source gave them, the usage-vs-tokenizer divergence, short outputs by finish_reason and
 * deadline timeouts. Counters are a flat typed array; the TokenInterval object is built once per
 * interval, in flush.
 *
 * Cost choice: the tokenizer never runs per chunk. A stream keeps its text (string concatenation,
 * no tokenizing) only when the tokenizer will need it: every request while the server gives no
 * usage, otherwise one request in DIVERGENCE_SAMPLE_EVERY, whose text is counted once, when the
 * request ends. Counting ~100 tokens costs ~0.1 ms, so a sampled request stalls the loop far less
 * than the 1 ms itl error budget, and at 1 in 16 the average cost is a few µs per request.
 */
import type { Tokenizer } from '../workload/tokenizer.js';
import { emptyTokenInterval, type TokenInterval } from '../metrics/tokens.js';

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
  size,
}

export class TokenAccounting {
  private readonly c = new Float64Array(T.size);
  private starts = 0;
  /** Whether the last finished request carried usage.completion_tokens (false until one has). */
  private usageSeen = false;
  private any = false;

  constructor(private readonly tokenizer: Tokenizer | null) {}

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
      c[T.outTokenizer]++;
      return this.tokenizer.count(text);
    }
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
    this.reset();
    return t;
  }

  reset(): void {
    this.c.fill(0);
    this.any = false;
  }
}
