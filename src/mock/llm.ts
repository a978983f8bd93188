/**
 * The vLLM imitation's engine: the continuous-batching timing model, and the exact byte shapes
 * vLLM streams (SSE `data:` events). Requests arrive validated (llm-request.ts).
 *
 * Timing model, per sequence (no global step loop, which keeps it simple and exact):
 *   queued FIFO while `maxBatch` sequences are running
 *   → prefill: the first token comes prefillMsPerToken × inputTokens after admission
 *   → decode: every later token takes decodeMsPerToken × (1 + slowdown × (running − 1)).
 * `firstTokenMs` / `interTokenMs` replace those with exact times measured from the request's
 * arrival (a sequence with firstTokenMs is admitted at once), so tests know the truth.
 * Token times are absolute targets (`nextAt += step`), so timer lateness never accumulates.
 * A chunk of k tokens (multiTokenChunkRate) is sent when its last token is produced.
 */
import type { ServerResponse } from 'node:http';
import type { ResolvedMockLlmConfig } from './config.js';
import { llmErrorBody, type GenerationRequest } from './llm-request.js';
import type { LlmMetricsSink } from './metrics.js';
import type { PrefixCache } from './prefix-cache.js';

export interface LlmHooks {
  now(): number;
  later(ms: number, fn: () => void): NodeJS.Timeout;
  cancel(t: NodeJS.Timeout): void;
  rand(): number;
  /** Runs fn now, or after a stall window, keeping the order of everything gated. */
  gate(fn: () => void): void;
  /** Writes the response head: status and extra headers (the server adds its own). */
  writeHead(res: ServerResponse, status: number, contentType: string, contentLength: number | undefined): void;
  tokensSent(n: number): void;
  /** The /metrics counters (metrics.ts). */
  metrics?: LlmMetricsSink;
  /** The prompt cache (prefix-cache.ts); absent when off. */
  prefixCache?: PrefixCache;
}

// Plain constants rather than a const enum: vitest transpiles files one by one.
const State = { Queued: 0, Running: 1, Done: 2 } as const;
type State = (typeof State)[keyof typeof State];

interface Seq {
  readonly req: GenerationRequest;
  readonly res: ServerResponse;
  /** `{"id":…,"object":…,"created":…,"model":…,"choices":` — shared by every chunk. */
  readonly head: string;
  state: State;
  /** Tokens produced so far. */
  sent: number;
  /** Tokens the next tick delivers. */
  pending: number;
  /** When the next tick is due (performance.now() ms). */
  nextAt: number;
  /** When the first token was due, for exact inter-token timing. */
  firstAt: number;
  errorAt: number;
  timer: NodeJS.Timeout | undefined;
  /** Prompt tokens the prompt cache held at admission (their prefill is skipped). */
  cachedTokens: number;
}

let idCounter = 0;
const idPrefix = Math.floor(Math.random() * 0xffffffff)
  .toString(16)
  .padStart(8, '0');

/** Token i (1-based) of every answer: ` tok<i>`. */
function tokens(from: number, to: number): string {
  let s = '';
  for (let i = from; i <= to; i++) s += ` tok${i}`;
  return s;
}

export class LlmEngine {
  private running = 0;
  private readonly waiting: Seq[] = [];
  private waitHead = 0;
  private readonly live = new Set<Seq>();

  constructor(
    private readonly cfg: ResolvedMockLlmConfig,
    private readonly hooks: LlmHooks,
  ) {}

  /** Sequences running (prefill or decode) right now. */
  get active(): number {
    return this.running;
  }

  /** Accepts a validated request: sends the stream head at once, then generates. */
  submit(req: GenerationRequest, res: ServerResponse): void {
    const id = `${req.chat ? 'chatcmpl' : 'cmpl'}-${idPrefix}${(++idCounter).toString(16).padStart(8, '0')}`;
    const object = req.chat ? (req.stream ? 'chat.completion.chunk' : 'chat.completion') : 'text_completion';
    const head = `{"id":"${id}","object":"${object}","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(req.model)},"choices":`;
    const seq: Seq = {
      req,
      res,
      head,
      state: State.Queued,
      sent: 0,
      pending: 1,
      nextAt: 0,
      firstAt: 0,
      errorAt: this.cfg.errorAfterTokens !== undefined && this.cfg.errorAfterTokens < req.outputTokens ? this.cfg.errorAfterTokens : Infinity,
      timer: undefined,
      cachedTokens: 0,
    };
    this.live.add(seq);
    // vLLM aborts a request whose client went away, freeing its batch slot.
    res.once('close', () => this.abort(seq));
    if (req.stream) {
      this.hooks.gate(() => {
        if (res.destroyed) return;
        this.hooks.writeHead(res, 200, 'text/event-stream; charset=utf-8', undefined);
        res.flushHeaders();
      });
    }
    if (this.cfg.firstTokenMs !== undefined || this.running < this.cfg.maxBatch) this.run(seq);
    else {
      this.waiting.push(seq);
      this.hooks.metrics?.queued(req.model);
    }
  }

  /** Stops everything (server close). */
  shutdown(): void {
    for (const seq of this.live) {
      if (seq.timer) this.hooks.cancel(seq.timer);
      seq.state = State.Done;
    }
    this.live.clear();
    this.waiting.length = 0;
    this.waitHead = 0;
    this.running = 0;
  }

  private run(seq: Seq, fromQueue = false): void {
    seq.state = State.Running;
    this.running++;
    this.hooks.metrics?.started(seq.req.model, fromQueue);
    const now = this.hooks.now();
    const cache = this.hooks.prefixCache;
    const blocks = seq.req.blocks;
    if (cache && blocks) {
      // Looked up at admission, as vLLM's scheduler does: only the uncached tokens are prefilled.
      seq.cachedTokens = cache.lookup(blocks.keys, blocks.lookupBlocks) * cache.blockTokens;
      this.hooks.metrics?.prefixCacheQueried?.(seq.req.model, seq.req.promptTokens, seq.cachedTokens);
    }
    seq.nextAt =
      this.cfg.firstTokenMs !== undefined
        ? seq.req.arrivalMs + this.cfg.firstTokenMs
        : now + this.cfg.prefillMsPerToken * (seq.req.promptTokens - seq.cachedTokens);
    this.schedule(seq, now);
  }

  private schedule(seq: Seq, now: number): void {
    const wait = seq.nextAt - now;
    seq.timer = this.hooks.later(wait > 0 ? wait : 0, () => this.tick(seq));
  }

  private tick(seq: Seq): void {
    seq.timer = undefined;
    if (seq.state !== State.Running) return;
    // Node timers can fire up to ~1 ms early (libuv's cached loop clock): a token is never sent
    // before its time, so exact-timing tests can trust firstTokenMs / interTokenMs.
    const early = seq.nextAt - this.hooks.now();
    if (early > 0) {
      if (early >= 1) this.schedule(seq, seq.nextAt - early);
      else setImmediate(() => this.tick(seq));
      return;
    }
    if (seq.sent === 0) seq.firstAt = seq.nextAt;
    if (seq.sent >= seq.errorAt) {
      this.fail(seq);
      return;
    }
    const { req } = seq;
    const k = seq.pending;
    const from = seq.sent + 1;
    if (from === 1) {
      this.hooks.metrics?.firstToken(req.model, this.hooks.now() - req.arrivalMs);
      // Prefill done: the prompt's blocks are now in the KV cache for the requests after it.
      if (req.blocks) this.hooks.prefixCache?.insert(req.blocks.keys);
    }
    seq.sent += k;
    const last = seq.sent >= req.outputTokens;
    if (req.stream) {
      let out = '';
      if (from === 1 && req.chat) {
        // vLLM's first event of a chat stream: the role, empty content, no token.
        out += `data: ${seq.head}[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${this.usage(seq, 0, true)}}\n\n`;
      }
      const text = JSON.stringify(tokens(from, seq.sent));
      const fin = last ? `"finish_reason":"${req.finishReason}","stop_reason":null` : '"finish_reason":null';
      const choice = req.chat
        ? `[{"index":0,"delta":{"content":${text}},"logprobs":null,${fin}}]`
        : `[{"index":0,"text":${text},"logprobs":null,${fin}${last ? '' : ',"stop_reason":null'}}]`;
      out += `data: ${seq.head}${choice}${this.usage(seq, seq.sent, true)}}\n\n`;
      if (last) {
        if (req.includeUsage) out += `data: ${seq.head}[]${this.usage(seq, seq.sent, false)}}\n\n`;
        out += 'data: [DONE]\n\n';
      }
      this.write(seq, out, last, k);
    } else if (last) {
      this.respondWhole(seq);
    }
    if (last) {
      this.finish(seq, req.finishReason);
      return;
    }
    this.plan(seq);
  }

  /** `,"usage":{…}` when this chunk carries usage; '' otherwise. */
  private usage(seq: Seq, completion: number, continuousOnly: boolean): string {
    const { req } = seq;
    if (continuousOnly && !req.continuousUsage) return '';
    // vLLM (--enable-prompt-tokens-details) reports prefix-cache hits in the final usage only, and
    // leaves the field out when nothing was cached.
    const details = !continuousOnly && seq.cachedTokens > 0 ? `,"prompt_tokens_details":{"cached_tokens":${seq.cachedTokens}}` : '';
    return `,"usage":{"prompt_tokens":${req.promptTokens},"total_tokens":${req.promptTokens + completion},"completion_tokens":${completion}${details}}`;
  }

  private plan(seq: Seq): void {
    const { req } = seq;
    let k = 1;
    const rate = this.cfg.multiTokenChunkRate;
    if (rate > 0 && this.hooks.rand() < rate) k = this.hooks.rand() < 0.5 ? 2 : 3;
    const left = (seq.errorAt < req.outputTokens ? seq.errorAt : req.outputTokens) - seq.sent;
    if (k > left) k = left > 0 ? left : 1; // left = 0: the next tick is the error event
    seq.pending = k;
    if (this.cfg.interTokenMs !== undefined) {
      seq.nextAt = seq.firstAt + (seq.sent + k - 1) * this.cfg.interTokenMs;
    } else {
      const step = this.cfg.decodeMsPerToken * (1 + this.cfg.decodeSlowdownPerStream * (this.running - 1));
      seq.nextAt += k * step;
    }
    this.schedule(seq, this.hooks.now());
  }

  private write(seq: Seq, data: string, end: boolean, tokensInChunk: number): void {
    const { res } = seq;
    this.hooks.gate(() => {
      if (res.destroyed) return;
      if (end) res.end(data);
      else res.write(data);
      this.hooks.tokensSent(tokensInChunk);
    });
  }

  private respondWhole(seq: Seq): void {
    const { req } = seq;
    const text = JSON.stringify(tokens(1, req.outputTokens));
    const choice = req.chat
      ? `[{"index":0,"message":{"role":"assistant","content":${text},"tool_calls":[]},"logprobs":null,"finish_reason":"${req.finishReason}","stop_reason":null}]`
      : `[{"index":0,"text":${text},"logprobs":null,"finish_reason":"${req.finishReason}","stop_reason":null,"prompt_logprobs":null}]`;
    const body = Buffer.from(`${seq.head}${choice}${this.usage(seq, req.outputTokens, false)}}`);
    const { res } = seq;
    const n = req.outputTokens;
    this.hooks.gate(() => {
      if (res.destroyed) return;
      this.hooks.writeHead(res, 200, 'application/json', body.length);
      res.end(body);
      this.hooks.tokensSent(n);
    });
  }

  /** errorAfterTokens reached: an error event inside the 200 stream, or a 500 unstreamed. */
  private fail(seq: Seq): void {
    const msg = `injected error after ${seq.sent} tokens`;
    const err = llmErrorBody(this.cfg.errorShape, 500, 'InternalServerError', msg);
    const { res } = seq;
    if (seq.req.stream) {
      this.write(seq, `data: ${err}\n\ndata: [DONE]\n\n`, true, 0);
    } else {
      const body = Buffer.from(err);
      this.hooks.gate(() => {
        if (res.destroyed) return;
        this.hooks.writeHead(res, 500, 'application/json', body.length);
        res.end(body);
      });
    }
    this.finish(seq, 'error');
  }

  private finish(seq: Seq, reason: string): void {
    if (seq.state === State.Done) return;
    // A whole answer: the next turn of its conversation will send it back, so its blocks are kept.
    const blocks = seq.req.blocks;
    if (blocks && (reason === 'stop' || reason === 'length')) this.hooks.prefixCache?.insert(blocks.withReply(tokens(1, seq.sent)));
    this.hooks.metrics?.finished(seq.req.model, seq.state === State.Running, seq.req.promptTokens, seq.sent, this.hooks.now() - seq.req.arrivalMs, reason);
    if (seq.state === State.Running) this.running--;
    seq.state = State.Done;
    this.live.delete(seq);
    while (this.running < this.cfg.maxBatch && this.waitHead < this.waiting.length) {
      const next = this.waiting[this.waitHead++];
      if (next.state === State.Queued) this.run(next, true);
    }
    if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitHead);
      this.waitHead = 0;
    }
  }

  private abort(seq: Seq): void {
    if (seq.state === State.Done) return;
    if (seq.timer) this.hooks.cancel(seq.timer);
    seq.timer = undefined;
    this.finish(seq, 'abort');
  }
}
