/**
 * vLLM's `/v1/embeddings` behind the gateway: validates `{model, input, dimensions?,
 * encoding_format?}` with vLLM's error wording, and answers after `baseMs + msPerToken × input
 * tokens` (about 4 characters a token, as the LLM routes count) with one deterministic vector per
 * input: the same text always gets the same unit-length vector, so a client can check what it got.
 */
import { prng } from './random.js';
import { json, type Exchange, type RequestHandler } from './handler.js';
import { llmErrorBody, LlmRequestError } from './llm-request.js';
import type { Sender } from './respond.js';
import type { Timers } from './timers.js';
import type { ResolvedMockEmbeddingConfig } from './embedding-config.js';

export interface EmbeddingDeps {
  cfg: ResolvedMockEmbeddingConfig;
  errorShape: 'error' | 'object';
  out: Sender;
  timers: Timers;
  /** True for the requests that get an injected 500. */
  fails: () => boolean;
}

/** Vectors rendered as JSON text, by text and length: a load test sends the same inputs again. */
const CACHE_LIMIT = 4096;

/** FNV-1a of a text: the seed of its vector. */
function hashText(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The unit vector of `text` with `dims` components (deterministic). */
export function embeddingOf(text: string, dims: number): Float32Array {
  const rand = prng(hashText(text) ^ dims);
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = rand() * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  const k = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dims; i++) v[i] *= k;
  return v;
}

interface EmbeddingRequest {
  model: string;
  /** Each input as text (a token-id list becomes its ids joined, only to seed its vector). */
  texts: string[];
  tokens: number;
  dims: number;
  base64: boolean;
}

function bad(message: string, param: string | null = null): LlmRequestError {
  return new LlmRequestError(400, 'BadRequestError', message, param);
}

/** One input's text and token count: a string (≈4 characters a token) or a list of token ids. */
function readInput(x: unknown): { text: string; tokens: number } {
  if (typeof x === 'string') return { text: x, tokens: Math.max(1, Math.ceil(x.length / 4)) };
  if (Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t))) return { text: x.join(','), tokens: x.length };
  throw bad('input must be a string, a list of strings, or a list of token ids', 'input');
}

export function parseEmbeddingRequest(raw: unknown, models: readonly string[], defaultModel: string, cfg: ResolvedMockEmbeddingConfig): EmbeddingRequest {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('request body must be a JSON object');
  const body = raw as Record<string, unknown>;
  let model = defaultModel;
  if (body.model !== undefined && body.model !== null) {
    if (typeof body.model !== 'string') throw bad('model must be a string', 'model');
    model = body.model;
  }
  if (models.length > 0 && !models.includes(model)) throw new LlmRequestError(404, 'NotFoundError', `The model \`${model}\` does not exist.`, 'model');
  const input = body.input;
  if (input === undefined || input === null) throw bad('input is required', 'input');
  // A list of strings, or of token-id lists, is a batch; one string or one id list is one input.
  const batch = Array.isArray(input) && input.length > 0 && (typeof input[0] === 'string' || Array.isArray(input[0]));
  const items = batch ? (input as unknown[]).map(readInput) : [readInput(input)];
  let dims = cfg.dimensions;
  if (body.dimensions !== undefined && body.dimensions !== null) {
    if (!Number.isInteger(body.dimensions) || (body.dimensions as number) < 1 || (body.dimensions as number) > cfg.dimensions) {
      throw bad(`dimensions must be an integer from 1 to ${cfg.dimensions}`, 'dimensions');
    }
    dims = body.dimensions as number;
  }
  const fmt = body.encoding_format ?? 'float';
  if (fmt !== 'float' && fmt !== 'base64') throw bad(`encoding_format must be 'float' or 'base64'`, 'encoding_format');
  return { model, texts: items.map((i) => i.text), tokens: items.reduce((a, i) => a + i.tokens, 0), dims, base64: fmt === 'base64' };
}

export class EmbeddingHandler implements RequestHandler {
  readonly method = 'POST';
  private readonly cache = new Map<string, string>();
  private seq = 0;

  constructor(private readonly deps: EmbeddingDeps) {}

  errorBody(status: number, type: string, message: string): Buffer {
    return Buffer.from(llmErrorBody(this.deps.errorShape, status, type, message));
  }

  handle(ex: Exchange, body: Buffer): void {
    const { cfg, out } = this.deps;
    let req: EmbeddingRequest;
    try {
      req = parseEmbeddingRequest(JSON.parse(body.toString('utf8')), ex.dep.models, ex.dep.defaultModel, cfg);
    } catch (e) {
      if (e instanceof SyntaxError) return out.send(ex, 400, this.errorBody(400, 'BadRequestError', 'invalid JSON in request body'));
      if (!(e instanceof LlmRequestError)) throw e;
      return out.send(ex, e.status, Buffer.from(llmErrorBody(this.deps.errorShape, e.status, e.type, e.message, e.param)));
    }
    if (this.deps.fails()) return out.send(ex, 500, this.errorBody(500, 'InternalServerError', 'injected'));
    const answer = this.answer(req);
    this.deps.timers.later(cfg.baseMs + cfg.msPerToken * req.tokens, () => out.send(ex, 200, answer));
  }

  /** vLLM's answer: `{id, object: 'list', created, model, data: [{index, object, embedding}], usage}`. */
  private answer(req: EmbeddingRequest): Buffer {
    const data = req.texts.map((t, index) => `{"index":${index},"object":"embedding","embedding":${this.vector(t, req.dims, req.base64)}}`);
    const head = json({ id: `embd-${++this.seq}`, object: 'list', created: Math.floor(Date.now() / 1000), model: req.model }).toString('utf8').slice(0, -1);
    const usage = JSON.stringify({ prompt_tokens: req.tokens, total_tokens: req.tokens, completion_tokens: 0, prompt_tokens_details: null });
    return Buffer.from(`${head},"data":[${data.join(',')}],"usage":${usage}}`);
  }

  /** One vector as JSON text (a list of floats, or a base64 string of little-endian float32s). */
  private vector(text: string, dims: number, base64: boolean): string {
    const key = `${base64 ? 'b' : 'f'}${dims}:${text}`;
    let s = this.cache.get(key);
    if (s === undefined) {
      const v = embeddingOf(text, dims);
      s = base64 ? `"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}"` : `[${Array.from(v, (x) => x.toFixed(6)).join(',')}]`;
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, s);
    }
    return s;
  }
}
