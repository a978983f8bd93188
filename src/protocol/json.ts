import { isObject } from '../util/values.js';
/**
 * Non-streaming response bodies: collecting the bytes, and checking the JSON shapes of KServe V1,
 * TF Serving, KServe V2 and vLLM's OpenAI-compatible endpoints.
 */

type Json = Record<string, unknown>;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Collects a response body for one JSON.parse at the end. Most bodies arrive in one chunk, so chunks
 * are kept by reference (undici hands out a fresh buffer per read) and only concatenated when there
 * are several. Past `capBytes` nothing more is stored (what was stored is released) but bytes are
 * still counted, so the caller can report the size of an oversized body.
 */
/**
 * Text read past an error snippet's length, so that redaction (which runs before the cut) sees a
 * secret that straddles the cut whole. Longer than any key.
 */
export const SNIPPET_MARGIN_CHARS = 512;

export class JsonBodyCollector {
  private readonly chunks: Buffer[] = [];
  private storedBytes = 0;
  private totalBytes = 0;
  private capBytes = 0;
  private over = false;
  private parsed: unknown = undefined;
  private parsedDone = false;

  reset(capBytes: number): void {
    this.chunks.length = 0;
    this.storedBytes = 0;
    this.totalBytes = 0;
    this.capBytes = capBytes;
    this.over = false;
    this.parsed = undefined;
    this.parsedDone = false;
  }

  push(chunk: Uint8Array): void {
    const n = chunk.byteLength;
    this.totalBytes += n;
    if (this.over || n === 0) return;
    if (this.storedBytes + n > this.capBytes) {
      this.over = true;
      this.chunks.length = 0;
      this.storedBytes = 0;
      return;
    }
    this.chunks.push(asBuffer(chunk));
    this.storedBytes += n;
  }

  /** True once the body grew past the cap; json() is then undefined. */
  get overCap(): boolean {
    return this.over;
  }

  /** Bytes received since reset(), stored or not. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * The start of a body that is not JSON, whitespace folded, for error messages: proxies answer in
   * plain text (Envoy's "upstream connect error or disconnect/reset before headers…") or HTML.
   * Empty when nothing was stored. Error path only: it allocates.
   */
  textSnippet(maxChars: number, redact: (text: string) => string = (t) => t): string {
    if (this.over || this.chunks.length === 0) return '';
    // Redacted before the cut, with room past it: a secret straddling the cut is still whole here.
    const head = Buffer.concat(this.chunks, this.storedBytes).subarray(0, (maxChars + SNIPPET_MARGIN_CHARS) * 4).toString('utf8');
    const folded = redact(head.replace(/\s+/g, ' ').trim());
    return folded.length > maxChars ? folded.slice(0, maxChars - 1) + '…' : folded;
  }

  /** The parsed body, or undefined when it is empty, over the cap or not valid JSON. Parsed once. */
  json(): unknown | undefined {
    if (this.parsedDone) return this.parsed;
    this.parsedDone = true;
    const chunks = this.chunks;
    if (this.over || chunks.length === 0) return undefined;
    const text =
      chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, this.storedBytes).toString('utf8');
    try {
      this.parsed = JSON.parse(text);
    } catch {
      this.parsed = undefined;
    }
    return this.parsed;
  }
}

/**
 * The error message of an error body, or null when the body is not an error. Shapes:
 * `{"error": "..."}` (KServe V1/V2, TF Serving), `{"error": {"message": ...}}` (newer vLLM, OpenAI)
 * and `{"object": "error", "message": ...}` (older vLLM).
 */
export function errorMessageOf(body: unknown): string | null {
  if (!isObject(body)) return null;
  const e = body.error;
  if (typeof e === 'string') return e.length > 0 ? e : 'error';
  if (isObject(e)) {
    const m = e.message;
    if (typeof m === 'string' && m.length > 0) return m;
    return JSON.stringify(e);
  }
  if (e !== undefined && e !== null && e !== false) return JSON.stringify(e);
  if (body.object === 'error') {
    const m = body.message;
    return typeof m === 'string' && m.length > 0 ? m : 'error';
  }
  return null;
}

function isV2Output(o: unknown): boolean {
  if (!isObject(o)) return false;
  if (typeof o.name !== 'string' || typeof o.datatype !== 'string' || !Array.isArray(o.shape)) return false;
  if (Array.isArray(o.data)) return true;
  // the binary-data extension moves the tensor out of the JSON and leaves its size in parameters
  return isObject(o.parameters) && typeof o.parameters.binary_data_size === 'number';
}

/**
 * Whether a 200 body of a predictive endpoint has the shape its protocol promises:
 * - predict: KServe V1 / TF Serving row format `{"predictions": [...]}`, or TF Serving's columnar
 *   `{"outputs": ...}` (the answer to an `inputs` request)
 * - classify / regress: TF Serving `{"results": [...]}`
 * - infer: KServe V2 `{"outputs": [{name, datatype, shape, data}, ...]}`
 */
export function checkPredictResponse(kind: 'predict' | 'classify' | 'regress' | 'infer', body: unknown): boolean {
  if (!isObject(body) || errorMessageOf(body) !== null) return false;
  switch (kind) {
    case 'predict':
      return Array.isArray(body.predictions) || (body.outputs !== undefined && body.outputs !== null);
    case 'classify':
    case 'regress':
      return Array.isArray(body.results);
    case 'infer': {
      const outputs = body.outputs;
      if (!Array.isArray(outputs)) return false;
      for (let i = 0; i < outputs.length; i++) if (!isV2Output(outputs[i])) return false;
      return true;
    }
    default:
      return false;
  }
}

export interface CompletionResult {
  /** usage.prompt_tokens, -1 when the server gave none */
  promptTokens: number;
  /** usage.completion_tokens, -1 when the server gave none */
  completionTokens: number;
  /** usage.prompt_tokens_details.cached_tokens (prefix-cache hits), -1 when the server gave none */
  cachedTokens: number;
  /** the generated text; for chat, reasoning (`reasoning_content`/`reasoning`) followed by content */
  text: string;
  finishReason: string | null;
}

/**
 * `usage.prompt_tokens_details.cached_tokens`: the prompt tokens the server's prefix cache held
 * (vLLM with --enable-prompt-tokens-details, OpenAI); -1 when absent or null.
 */
export function cachedTokensOf(usage: Record<string, unknown>): number {
  const d = usage.prompt_tokens_details;
  if (!isObject(d)) return -1;
  const c = d.cached_tokens;
  return typeof c === 'number' && c >= 0 ? c : -1;
}

function stringOrEmpty(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Reads a non-streamed vLLM chat or completion body; an error body or a malformed one gives `{error}`. */
export function parseCompletionResponse(
  kind: 'chat' | 'completion',
  body: unknown,
): CompletionResult | { error: string } {
  const errorMessage = errorMessageOf(body);
  if (errorMessage !== null) return { error: errorMessage };
  if (!isObject(body)) return { error: 'response is not a JSON object' };
  const choices = body.choices;
  if (!Array.isArray(choices) || choices.length === 0) return { error: 'response has no choices' };
  const c0: unknown = choices[0];
  if (!isObject(c0)) return { error: 'choices[0] is not an object' };

  let text: string;
  if (kind === 'chat') {
    const message = c0.message;
    if (!isObject(message)) return { error: 'choices[0].message is missing' };
    const content = message.content;
    // content is null when the model answered with tool calls only
    if (content !== null && content !== undefined && typeof content !== 'string') {
      return { error: 'choices[0].message.content is not a string' };
    }
    const reasoning = stringOrEmpty(message.reasoning_content) || stringOrEmpty(message.reasoning);
    text = reasoning + (content ?? '');
  } else {
    if (typeof c0.text !== 'string') return { error: 'choices[0].text is not a string' };
    text = c0.text;
  }

  let promptTokens = -1;
  let completionTokens = -1;
  let cachedTokens = -1;
  const usage = body.usage;
  if (isObject(usage)) {
    if (typeof usage.prompt_tokens === 'number') promptTokens = usage.prompt_tokens;
    if (typeof usage.completion_tokens === 'number') completionTokens = usage.completion_tokens;
    cachedTokens = cachedTokensOf(usage);
  }
  const finishReason = typeof c0.finish_reason === 'string' ? c0.finish_reason : null;
  return { promptTokens, completionTokens, cachedTokens, text, finishReason };
}
