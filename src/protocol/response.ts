/**
 * One response handler per request kind (predict JSON, completion JSON, SSE stream, embeddings JSON), chosen once per
 * workload (`responseHandlerFor`) when the worker prepares its workloads, so reading a response never
 * branches on the kind. A handler is stateless and shared; the state of one response lives in a
 * `ResponseState` that the engine's pooled request context owns and reuses.
 *
 * The handlers see 2xx answers only: an error status is the engine's (its body is collected into
 * `ResponseState.body` for the message it carries).
 */
import { performance } from 'node:perf_hooks';
import { JsonBodyCollector, checkPredictResponse, errorMessageOf, parseCompletionResponse } from './json.js';
import { SseTokenParser, type StreamObserver } from './sse.js';
import { parseEmbeddingResponse } from './embedding.js';

/** One response's parsing state and verdict; reused across requests (nothing here is per request). */
export class ResponseState {
  /** The body of a JSON answer, or of an error status, or of a stream answered with something else. */
  readonly body = new JsonBodyCollector();
  /** Streams: the parser (made on first use, remade only when the stream flavour changes). */
  sse: SseTokenParser | null = null;
  /** The content-type of a 2xx answer to a stream request that is not an event stream, else null. */
  badType: string | null = null;
  /** Non-streamed completions: usage and the generated text and finish reason. */
  promptTokens = -1;
  completionTokens = 0;
  /** usage.prompt_tokens_details.cached_tokens, -1 when not given. */
  cachedTokens = -1;
  text = '';
  finishReason: string | null = null;
  /** end()'s verdict: null when the answer is good. */
  errorClass: string | null = null;
  errorMessage: string | null = null;

  /** Back to a fresh attempt's state. */
  clear(maxBodyBytes: number): void {
    this.body.reset(maxBodyBytes);
    this.badType = null;
    this.promptTokens = -1;
    this.completionTokens = 0;
    this.cachedTokens = -1;
    this.text = '';
    this.finishReason = null;
    this.errorClass = null;
    this.errorMessage = null;
  }

  fail(errorClass: string, message: string | null): void {
    this.errorClass = errorClass;
    this.errorMessage = message;
  }
}

export interface ResponseHandler {
  /** Whether the handler reads response headers (a stream's content-type). */
  readonly needsHeaders: boolean;
  /**
   * Readies `r` for an attempt. `keepText`: a stream keeps its text for the tokenizer; undefined on
   * a retry keeps the first attempt's choice.
   */
  begin(r: ResponseState, observer: StreamObserver, maxBodyBytes: number, keepText?: boolean): void;
  /** A 2xx head arrived; true when the answer is now committed (a stream started: never retried). */
  head(r: ResponseState, rawHeaders: ReadonlyArray<string | Buffer> | null): boolean;
  /** A piece of a 2xx body. */
  data(r: ResponseState, chunk: Buffer): void;
  /** The 2xx response ended: sets r.errorClass and r.errorMessage (null when the answer is good). */
  end(r: ResponseState, redact: (text: string) => string): void;
}

type PredictKind = 'predict' | 'classify' | 'regress' | 'infer';
type CompletionKind = 'chat' | 'completion';
/** The scenario's workload kinds (scenario/types.ts' WorkloadKind; protocol/ imports only util/). */
export type RequestKind = PredictKind | CompletionKind | 'embedding';

/** A whole JSON answer, collected and read once at its end. */
abstract class JsonAnswer implements ResponseHandler {
  readonly needsHeaders = false;
  begin(r: ResponseState, _o: StreamObserver, maxBodyBytes: number): void {
    r.clear(maxBodyBytes);
  }
  head(): boolean {
    return false;
  }
  data(r: ResponseState, chunk: Buffer): void {
    r.body.push(chunk);
  }
  /** A body cut at the cap is not read: the verdict is said here once for every JSON kind. */
  end(r: ResponseState): void {
    if (r.body.overCap) return r.fail('invalid_response', `response body over ${r.body.bytes} bytes cap`);
    this.read(r);
  }
  /** Reads the whole body into `r` (fails it when the answer is not of its kind). */
  protected abstract read(r: ResponseState): void;
}

/** Checks a whole 2xx body of a predictive endpoint against its protocol's shape. */
class PredictJson extends JsonAnswer {
  constructor(private readonly kind: PredictKind) {
    super();
  }
  protected read(r: ResponseState): void {
    const json = r.body.json();
    if (json === undefined || !checkPredictResponse(this.kind, json)) {
      r.fail('invalid_response', json === undefined ? 'response is not valid JSON' : 'response lacks predictions');
    }
  }
}

/** Reads a whole vLLM chat or completion answer: usage, text and finish reason. */
class CompletionJson extends JsonAnswer {
  constructor(private readonly kind: CompletionKind) {
    super();
  }
  protected read(r: ResponseState): void {
    const res = parseCompletionResponse(this.kind, r.body.json());
    if ('error' in res) return r.fail('invalid_response', res.error);
    r.promptTokens = res.promptTokens;
    r.completionTokens = res.completionTokens;
    r.cachedTokens = res.cachedTokens;
    r.text = res.text;
    r.finishReason = res.finishReason;
  }
}

/** A whole vLLM embeddings answer: one embedding per input of the batch, and usage.prompt_tokens. */
class EmbeddingJson extends JsonAnswer {
  constructor(private readonly batch: number) {
    super();
  }
  protected read(r: ResponseState): void {
    const res = parseEmbeddingResponse(r.body.json(), this.batch);
    if ('error' in res) return r.fail('invalid_response', res.error);
    r.promptTokens = res.promptTokens;
  }
}

/** A vLLM event stream: tokens as they arrive (through the observer), the verdict at the end. */
class SseStream implements ResponseHandler {
  readonly needsHeaders = true;
  constructor(private readonly kind: CompletionKind) {}

  begin(r: ResponseState, observer: StreamObserver, maxBodyBytes: number, keepText?: boolean): void {
    r.clear(maxBodyBytes);
    // One parser per context, remade only when a context moves to a stream of the other flavour.
    if (r.sse === null || r.sse.kind !== this.kind) r.sse = new SseTokenParser(this.kind);
    r.sse.reset(observer, keepText);
  }

  head(r: ResponseState, rawHeaders: ReadonlyArray<string | Buffer> | null): boolean {
    // A gateway's HTML page or a JSON answer is not a stream: parse it as a body, not as SSE.
    if (rawHeaders) {
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const k = rawHeaders[i];
        if (k.length !== 12 || String(k).toLowerCase() !== 'content-type') continue;
        const v = String(rawHeaders[i + 1]);
        if (!v.toLowerCase().includes('text/event-stream')) r.badType = v;
        break;
      }
    }
    return true;
  }

  data(r: ResponseState, chunk: Buffer): void {
    if (r.badType === null) r.sse!.push(chunk, performance.now());
    else r.body.push(chunk);
  }

  end(r: ResponseState, redact: (text: string) => string): void {
    if (r.badType !== null) {
      const msg = errorMessageOf(r.body.json()) ?? r.body.textSnippet(120, redact);
      return r.fail('invalid_response', `expected text/event-stream, got ${r.badType}${msg ? `: ${msg}` : ''}`);
    }
    const p = r.sse!;
    p.end(performance.now());
    if (p.errorClass !== null) r.fail(p.errorClass, p.errorMessage);
  }
}

const HANDLERS = new Map<string, ResponseHandler>();

/** The handler of a workload's responses: its kind, streamed or not (`batch`: an embedding's inputs per request). */
export function responseHandlerFor(kind: RequestKind, stream: boolean, batch = 1): ResponseHandler {
  const key = `${kind}:${stream}:${batch}`;
  let h = HANDLERS.get(key);
  if (h === undefined) {
    const completion = kind === 'chat' || kind === 'completion';
    if (kind === 'embedding') h = new EmbeddingJson(batch);
    else h = !completion ? new PredictJson(kind) : stream ? new SseStream(kind) : new CompletionJson(kind);
    HANDLERS.set(key, h);
  }
  return h;
}
