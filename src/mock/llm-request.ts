/**
 * vLLM's request side for `/v1/chat/completions` and `/v1/completions`: validating an
 * OpenAI-style body with vLLM's error wording, sizing the prompt (about 4 characters a token),
 * and deciding the answer's length and finish reason.
 */
import type { ResolvedMockLlmConfig } from './config.js';
import type { PromptBlocks } from './prefix-cache.js';

export type FinishReason = 'stop' | 'length';

/** What the server hands the engine for one accepted generation request. */
export interface GenerationRequest {
  chat: boolean;
  stream: boolean;
  model: string;
  promptTokens: number;
  outputTokens: number;
  finishReason: FinishReason;
  includeUsage: boolean;
  continuousUsage: boolean;
  /** Upstream arrival (performance.now()). */
  arrivalMs: number;
  /** The prompt as prompt-cache blocks (prefix-cache.ts), when the cache is on. */
  blocks?: PromptBlocks;
}

export class LlmRequestError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** vLLM's error body in either of its historical shapes. */
export function llmErrorBody(shape: 'error' | 'object', status: number, type: string, message: string, param: string | null = null): string {
  return shape === 'object'
    ? JSON.stringify({ object: 'error', message, type, param, code: status })
    : JSON.stringify({ error: { message, type, param, code: status } });
}

type Obj = Record<string, unknown>;

function textChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (Array.isArray(content)) {
    let n = 0;
    for (const part of content) {
      if (typeof part === 'string') n += part.length;
      else if (part && typeof part === 'object' && typeof (part as Obj).text === 'string') n += ((part as Obj).text as string).length;
    }
    return n;
  }
  return 0;
}

function optInt(body: Obj, key: string, min: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new LlmRequestError(400, 'BadRequestError', `${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`, key);
  }
  return v;
}

function optBool(body: Obj, key: string): boolean {
  const v = body[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new LlmRequestError(400, 'BadRequestError', `${key} must be a boolean`, key);
  return v;
}

/** The prompt's length in tokens: about 4 characters a token; token-id prompts count as given. */
function promptTokensOf(body: Obj, chat: boolean): number {
  let chars = 0;
  if (chat) {
    const msgs = body.messages;
    if (!Array.isArray(msgs) || msgs.length === 0) {
      throw new LlmRequestError(400, 'BadRequestError', 'messages must be a non-empty array', 'messages');
    }
    for (const m of msgs) {
      if (m === null || typeof m !== 'object' || Array.isArray(m)) {
        throw new LlmRequestError(400, 'BadRequestError', 'each message must be an object with role and content', 'messages');
      }
      chars += textChars((m as Obj).content);
    }
    return Math.ceil(chars / 4);
  }
  const p = body.prompt;
  if (typeof p === 'string') return Math.ceil(p.length / 4);
  if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'number')) return p.length; // already token ids
  if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'string')) {
    for (const s of p as string[]) chars += s.length;
    return Math.ceil(chars / 4);
  }
  throw new LlmRequestError(400, 'BadRequestError', 'prompt must be a string, an array of strings or an array of token ids', 'prompt');
}

/** `stream_options`: allowed only on a streamed request. */
function streamOptionsOf(body: Obj, stream: boolean): { includeUsage: boolean; continuousUsage: boolean } {
  const so = body.stream_options;
  if (so === undefined || so === null) return { includeUsage: false, continuousUsage: false };
  if (typeof so !== 'object' || Array.isArray(so)) {
    throw new LlmRequestError(400, 'BadRequestError', 'stream_options must be an object', 'stream_options');
  }
  if (!stream) throw new LlmRequestError(400, 'BadRequestError', 'Stream options can only be defined when `stream=True`.', 'stream_options');
  return { includeUsage: optBool(so as Obj, 'include_usage'), continuousUsage: optBool(so as Obj, 'continuous_usage_stats') };
}

/** The model's natural answer length (where it would emit EOS) against the request's limits. */
function outputOf(
  cfg: ResolvedMockLlmConfig,
  rand: () => number,
  maxTokens: number | undefined,
  minTokens: number,
  ignoreEos: boolean,
): { outputTokens: number; finishReason: FinishReason } {
  const natural = cfg.outputTokens ?? maxTokens ?? 64;
  if (ignoreEos) return { outputTokens: maxTokens ?? natural, finishReason: 'length' };
  let n = natural;
  if (cfg.eosRate > 0 && rand() < cfg.eosRate) {
    const lo = Math.max(minTokens, 1);
    if (n - 1 >= lo) n = lo + Math.floor(rand() * (n - lo)); // uniform in [lo, n-1]
  }
  n = Math.max(n, minTokens, 1);
  if (maxTokens !== undefined && n >= maxTokens) return { outputTokens: maxTokens, finishReason: 'length' };
  return { outputTokens: n, finishReason: 'stop' };
}

/**
 * Validates an OpenAI-style body and decides the output: its length and finish reason.
 * Throws LlmRequestError (400 / 404) with vLLM's wording where it matters.
 */
export function parseGenerationRequest(
  raw: unknown,
  chat: boolean,
  models: readonly string[],
  defaultModel: string,
  cfg: ResolvedMockLlmConfig,
  rand: () => number,
  arrivalMs: number,
): GenerationRequest {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new LlmRequestError(400, 'BadRequestError', 'request body must be a JSON object');
  }
  const body = raw as Obj;
  let model = defaultModel;
  if (body.model !== undefined && body.model !== null) {
    if (typeof body.model !== 'string') throw new LlmRequestError(400, 'BadRequestError', 'model must be a string', 'model');
    model = body.model;
  }
  if (models.length > 0 && !models.includes(model)) {
    throw new LlmRequestError(404, 'NotFoundError', `The model \`${model}\` does not exist.`, 'model');
  }
  const promptTokens = promptTokensOf(body, chat);
  const maxTokens = optInt(body, 'max_completion_tokens', 1) ?? optInt(body, 'max_tokens', 1);
  const minTokens = optInt(body, 'min_tokens', 0) ?? 0;
  if (maxTokens !== undefined && minTokens > maxTokens) {
    throw new LlmRequestError(400, 'BadRequestError', `min_tokens (${minTokens}) must be less than or equal to max_tokens (${maxTokens})`, 'min_tokens');
  }
  const stream = optBool(body, 'stream');
  const ignoreEos = optBool(body, 'ignore_eos');
  const { includeUsage, continuousUsage } = streamOptionsOf(body, stream);
  const { outputTokens, finishReason } = outputOf(cfg, rand, maxTokens, minTokens, ignoreEos);
  return { chat, stream, model, promptTokens, outputTokens, finishReason, includeUsage, continuousUsage, arrivalMs };
}
