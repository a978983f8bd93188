/**
 * Records the outcome of a finished measured request into its workload's counters and histograms:
 * latency, service time and schedule lag, the SLO verdict, token metrics of generative answers, and
 * error classes with one redacted sample per class and interval.
 */
import type { ResolvedScenario } from '../scenario/types.js';
import type { Redactor } from '../util/redact.js';
import { C, ERR_INDEX, ERR_SLOTS, M, N_FIXED_ERR, type WlState } from './workload-state.js';
import { KEEP_FALLBACK, KEEP_NONE, type KeepText, type TokenAccounting } from './tokens.js';
import type { Ctx } from './request-context.js';

export class OutcomeRecorder {
  constructor(
    private readonly slo: ResolvedScenario['slo'],
    /** Closed loop: the intended instant is the send itself (nothing was scheduled earlier). */
    private readonly latencyFromSend: boolean,
    /** The interval's error samples (IntervalRecorder owns and clears them). */
    private readonly samples: Record<string, string>,
    private readonly redactor: Redactor,
  ) {}

  ok(ctx: Ctx, t: number): void {
    const wl = ctx.wl!;
    const c = wl.counters;
    c[C.ok]++;
    const h = wl.hist;
    const latencyUs = Math.round((t - (this.latencyFromSend && ctx.sentAt === ctx.sentAt ? ctx.sentAt : ctx.intended)) * 1000);
    h[M.latency].recordValue(latencyUs);
    if (ctx.sentAt === ctx.sentAt) {
      h[M.serviceTime].recordValue(Math.round((t - ctx.sentAt) * 1000));
      h[M.scheduleLag].recordValue(Math.max(0, Math.round((ctx.sentAt - ctx.intended) * 1000)));
    }
    let meets = this.slo.latencyMs === undefined || latencyUs <= this.slo.latencyMs * 1000;
    if (wl.prep.generative) meets = this.generative(ctx, wl, t) && meets;
    else if (wl.prep.embedding) this.embeddingTokens(ctx, wl);
    if (meets) c[C.sloMet]++;
    if (ctx.turn !== 0) wl.conversation!.turnOk(ctx.turn, latencyUs, turnTtftUs(ctx));
  }

  error(wl: WlState, errClass: string, message: string | null): void {
    if (errClass === 'timeout' && wl.tokens !== null) wl.tokens.timeout(message === wl.firstTokenTimeoutError.message);
    let idx = errClass.startsWith('http_') ? N_FIXED_ERR + (Number(errClass.slice(5)) - 100) : ERR_INDEX[errClass];
    // The sample goes under the class counted, so every sampled class is one of `errors`.
    if (!(idx >= 0 && idx < ERR_SLOTS)) {
      idx = ERR_INDEX.invalid_response;
      errClass = 'invalid_response';
    }
    wl.errors[idx]++;
    if (message !== null && this.samples[errClass] === undefined) this.samples[errClass] = this.redactor.snippet(message, 300);
  }

  /** Token metrics of a finished generative request; returns whether its token SLOs were met. */
  private generative(ctx: Ctx, wl: WlState, t: number): boolean {
    const acct = wl.tokens!;
    const r = ctx.response;
    let outTokens: number;
    let inTokens: number;
    let finishReason: string | null;
    let meets: boolean;
    let cached: number;
    if (wl.prep.stream) {
      const p = r.sse!;
      outTokens = acct.output(p.usageCompletionTokens, p.text(), ctx.keepText, p.tokensFromChunks);
      inTokens = acct.input(p.usagePromptTokens, ctx.req!.inputTokens);
      cached = p.usageCachedTokens;
      finishReason = p.finishReason;
      meets = this.streamTiming(ctx, wl, acct, outTokens);
    } else {
      // the whole text is at hand: no usage means the tokenizer counts it
      outTokens = acct.output(r.completionTokens, r.text, nonStreamKeep(acct), 0);
      inTokens = acct.input(r.promptTokens, ctx.req!.inputTokens);
      cached = r.cachedTokens;
      finishReason = r.finishReason;
      meets = !(this.slo.ttftMs !== undefined && t - ctx.sentAt > this.slo.ttftMs);
    }
    const h = wl.hist;
    const c = wl.counters;
    h[M.outputTokens].recordValue(Math.max(0, outTokens));
    h[M.inputTokens].recordValue(Math.max(0, inTokens));
    c[C.outputTokens] += outTokens;
    c[C.inputTokens] += inTokens;
    if (cached >= 0) {
      c[C.cachedInputTokens] += cached;
      c[C.cachedReported]++;
    }
    ctx.inputTokens = inTokens;
    ctx.outputTokens = outTokens;
    ctx.cachedTokens = cached;
    if (outTokens < ctx.req!.outputTokens) {
      c[C.short]++;
      acct.short(finishReason);
    } else acct.checkMax(outTokens, ctx.req!.outputTokens);
    return meets;
  }

  /** An embedding's input tokens: usage.prompt_tokens, else the tokenizer's count of the batch's inputs. */
  private embeddingTokens(ctx: Ctx, wl: WlState): void {
    const usage = ctx.response.promptTokens;
    const inTokens = usage >= 0 ? usage : ctx.req!.inputTokens;
    wl.hist[M.inputTokens].recordValue(Math.max(0, inTokens));
    wl.counters[C.inputTokens] += inTokens;
    ctx.inputTokens = inTokens;
    ctx.outputTokens = 0;
  }

  /** A stream's TTFT, TPOT and per-token ITL; returns whether their SLOs were met. */
  private streamTiming(ctx: Ctx, wl: WlState, acct: TokenAccounting, outTokens: number): boolean {
    const p = ctx.response.sse!;
    const h = wl.hist;
    const slo = this.slo;
    // Per-token ITL, now that the output count (the total to spread over the chunks) is known.
    const log = ctx.chunkLog!;
    acct.itl(log.record(wl.recordItl, acct.itlTotal(outTokens), acct.chunkCounter));
    if (p.firstTokenMs !== p.firstTokenMs) return slo.ttftMs === undefined;
    let meets = true;
    const ttftUs = Math.round((p.firstTokenMs - ctx.sentAt) * 1000);
    h[M.ttft].recordValue(Math.max(0, ttftUs));
    if (slo.ttftMs !== undefined && ttftUs > slo.ttftMs * 1000) meets = false;
    if (outTokens > 1) {
      const tpotUs = Math.round(((p.lastTokenMs - p.firstTokenMs) * 1000) / (outTokens - 1));
      h[M.tpot].recordValue(tpotUs);
      if (slo.tpotMs !== undefined && tpotUs > slo.tpotMs * 1000) meets = false;
    }
    if (slo.itlMs !== undefined && log.maxGapMs > slo.itlMs) meets = false;
    return meets;
  }
}

/** A conversation turn's TTFT in µs, -1 when it has none (not streamed, or no content). */
function turnTtftUs(ctx: Ctx): number {
  const p = ctx.response.sse;
  return ctx.wl!.prep.stream && p !== null && p.firstTokenMs === p.firstTokenMs ? Math.max(0, Math.round((p.firstTokenMs - ctx.sentAt) * 1000)) : -1;
}

/** A non-streamed answer's text is always at hand; the divergence is still sampled, to bound the tokenizer's cost. */
function nonStreamKeep(acct: TokenAccounting): KeepText {
  const k = acct.wantText();
  return k === KEEP_NONE ? KEEP_FALLBACK : k;
}
