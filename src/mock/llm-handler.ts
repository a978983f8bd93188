/**
 * vLLM's OpenAI endpoints behind the gateway: `/v1/chat/completions` and `/v1/completions`
 * requests are validated (llm-request.ts), may get an injected 500, and are handed to the one LlmEngine
 * both routes share, which writes through the gateway's headers, stall gate and token count.
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ResolvedMockLlmConfig } from './config.js';
import type { Exchange, RequestHandler } from './handler.js';
import { LlmEngine } from './llm.js';
import { PrefixCache, promptBlocks } from './prefix-cache.js';
import type { LlmMetricsSink } from './metrics.js';
import { LlmRequestError, llmErrorBody, parseGenerationRequest } from './llm-request.js';
import type { StallGate } from './faults.js';
import type { Responder } from './respond.js';
import type { StatsCounter } from './stats.js';
import type { Timers } from './timers.js';

const EXCHANGE = Symbol('mockExchange');
type ResWithExchange = http.ServerResponse & { [EXCHANGE]: Exchange };

export interface LlmDeps {
  cfg: ResolvedMockLlmConfig;
  timers: Timers;
  stall: StallGate;
  out: Responder;
  stats: StatsCounter;
  rand: () => number;
  /** True for the requests that get an injected 500. */
  fails: () => boolean;
  metrics?: LlmMetricsSink;
}

/** The engine both LLM routes share, and a handler for each route. */
export function llmHandlers(deps: LlmDeps): { engine: LlmEngine; chat: LlmHandler; completion: LlmHandler } {
  const { timers, stall, out, stats } = deps;
  const engine = new LlmEngine(deps.cfg, {
    now: () => performance.now(),
    later: (ms, fn) => timers.later(ms, fn),
    cancel: (t) => timers.cancel(t),
    rand: deps.rand,
    gate: (fn) => stall.gate(fn),
    writeHead: (res, status, type, len) => out.writeHead((res as ResWithExchange)[EXCHANGE], status, type, len),
    tokensSent: (n) => {
      stats.tokens += n;
    },
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.cfg.prefixCacheBlocks > 0 ? { prefixCache: new PrefixCache(deps.cfg.prefixCacheBlocks, deps.cfg.prefixCacheBlockTokens) } : {}),
  });
  return { engine, chat: new LlmHandler(true, engine, deps), completion: new LlmHandler(false, engine, deps) };
}

export class LlmHandler implements RequestHandler {
  readonly method = 'POST';

  /** `chat`: /v1/chat/completions (else /v1/completions). */
  constructor(
    private readonly chat: boolean,
    private readonly engine: LlmEngine,
    private readonly deps: LlmDeps,
  ) {}

  errorBody(status: number, type: string, message: string): Buffer {
    return Buffer.from(llmErrorBody(this.deps.cfg.errorShape, status, type, message));
  }

  handle(ex: Exchange, body: Buffer): void {
    const { cfg, out } = this.deps;
    let raw: unknown;
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch {
      out.send(ex, 400, this.errorBody(400, 'BadRequestError', 'invalid JSON in request body'));
      return;
    }
    let req;
    try {
      req = parseGenerationRequest(raw, this.chat, ex.dep.models, ex.dep.defaultModel, cfg, this.deps.rand, ex.t0);
    } catch (e) {
      if (!(e instanceof LlmRequestError)) throw e;
      out.send(ex, e.status, Buffer.from(llmErrorBody(cfg.errorShape, e.status, e.type, e.message, e.param)));
      return;
    }
    if (this.deps.fails()) {
      out.send(ex, 500, this.errorBody(500, 'InternalServerError', 'injected'));
      return;
    }
    if (cfg.prefixCacheBlocks > 0) req.blocks = promptBlocks(raw as Record<string, unknown>, this.chat, cfg.prefixCacheBlockTokens, req.promptTokens);
    (ex.res as ResWithExchange)[EXCHANGE] = ex;
    this.engine.submit(req, ex.res);
  }
}
