import { SNIPPET_MARGIN_CHARS, cachedTokensOf, errorMessageOf } from './json.js';
import { SseFraming } from './sse-framing.js';
import { isObject } from '../util/values.js';

export { MAX_EVENT_BYTES } from './sse-framing.js';

/** Implemented by the caller; called synchronously from push(). */
export interface StreamObserver {
  /**
   * A content chunk arrived carrying `tokens` tokens (≥ 1) and the text `piece`; `fromUsage`: the
   * chunk carried usage.completion_tokens (running usage), so `tokens` is its increase, not a guess.
   */
  onToken(nowMs: number, tokens: number, piece: string, fromUsage: boolean): void;
}

export type StreamErrorClass = 'stream_error' | 'invalid_response';

export interface SseTokenParserOptions {
  /** Keep the generated text for text(); off on the hot path. */
  keepText?: boolean;
}

const NO_OBSERVER: StreamObserver = { onToken() {} };

/** Unicode code points of s (a surrogate pair counts once). */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}

function isDone(buf: Buffer, s: number, e: number): boolean {
  // "[DONE]"
  return (
    e - s === 6 &&
    buf[s] === 0x5b &&
    buf[s + 1] === 0x44 &&
    buf[s + 2] === 0x4f &&
    buf[s + 3] === 0x4e &&
    buf[s + 4] === 0x45 &&
    buf[s + 5] === 0x5d
  );
}

/**
 * Server-sent-events parser for vLLM's OpenAI-compatible streams, turning bytes into token events.
 * The framing is SseFraming's (sse-framing.ts); this class reads each event's JSON.
 *
 * Deviations from a browser EventSource, on purpose: a data value that is empty or blank is a
 * keep-alive, not a message; `event`/`id`/`retry` are ignored; after `[DONE]` nothing more is read.
 * As in the spec, an event still unterminated when the body ends is discarded.
 */
export class SseTokenParser extends SseFraming {
  readonly kind: 'chat' | 'completion';
  private keepText: boolean;
  private observer: StreamObserver = NO_OBSERVER;

  // results
  private firstMs = NaN;
  private lastMs = NaN;
  private chunks = 0;
  private tokens = 0;
  private promptTokens = -1;
  private completionTokens = -1;
  private cachedTokens = -1;
  /** completion_tokens of the latest chunk with usage: the base of the next usage delta */
  private prevCompletionTokens = 0;
  private chars = 0;
  private textAcc = '';
  private finish: string | null = null;
  private done = false;
  private errClass: StreamErrorClass | null = null;
  private errMessage: string | null = null;

  constructor(kind: 'chat' | 'completion', options: SseTokenParserOptions = {}) {
    super();
    this.kind = kind;
    this.keepText = options.keepText === true;
  }

  /** keepText: keep this stream's text (default: the constructor's choice). */
  reset(observer: StreamObserver, keepText?: boolean): void {
    this.observer = observer;
    if (keepText !== undefined) this.keepText = keepText;
    this.resetFraming();
    this.firstMs = NaN;
    this.lastMs = NaN;
    this.chunks = 0;
    this.tokens = 0;
    this.promptTokens = -1;
    this.completionTokens = -1;
    this.cachedTokens = -1;
    this.prevCompletionTokens = 0;
    this.chars = 0;
    this.textAcc = '';
    this.finish = null;
    this.done = false;
    this.errClass = null;
    this.errMessage = null;
  }

  /** The HTTP body ended. */
  end(_nowMs: number): void {
    this.halt();
    if (this.errClass === null && !this.done && this.finish === null) {
      this.fail('stream_error', 'stream ended without [DONE] or finish_reason');
    }
  }

  get firstTokenMs(): number {
    return this.firstMs;
  }
  get lastTokenMs(): number {
    return this.lastMs;
  }
  /** Chunks that carried content. */
  get contentChunks(): number {
    return this.chunks;
  }
  /** Tokens by usage deltas when continuous usage is present, else one per content chunk. */
  get tokensFromChunks(): number {
    return this.tokens;
  }
  /** The latest usage.prompt_tokens, -1 if no usage was seen. */
  get usagePromptTokens(): number {
    return this.promptTokens;
  }
  /** The latest usage.completion_tokens, -1 if no usage was seen. */
  get usageCompletionTokens(): number {
    return this.completionTokens;
  }
  /** The latest usage.prompt_tokens_details.cached_tokens, -1 if no usage carried it. */
  get usageCachedTokens(): number {
    return this.cachedTokens;
  }
  /** Code points of all content (for a tokenizer-free estimate). */
  get textChars(): number {
    return this.chars;
  }
  /** The concatenated content when constructed with {keepText: true}, else ''. */
  text(): string {
    return this.textAcc;
  }
  get finishReason(): string | null {
    return this.finish;
  }
  get sawDone(): boolean {
    return this.done;
  }
  get errorClass(): StreamErrorClass | null {
    return this.errClass;
  }
  get errorMessage(): string | null {
    return this.errMessage;
  }

  private fail(cls: StreamErrorClass, message: string): void {
    if (this.errClass !== null) return;
    this.errClass = cls;
    this.errMessage = message;
  }

  protected onOversized(): void {
    this.fail('invalid_response', 'event exceeds 1 MiB');
  }

  /** An event's data, trimmed and not blank: [DONE], or a JSON chunk. */
  protected onEventData(buf: Buffer, s: number, e: number, nowMs: number): void {
    if (isDone(buf, s, e)) {
      this.done = true;
      this.halt();
      return;
    }
    // after an error only [DONE] is still looked for
    if (this.errClass !== null) return;
    let event: unknown;
    try {
      event = JSON.parse(buf.toString('utf8', s, e));
    } catch {
      // Cut by the worker after redaction (Redactor.snippet), so a secret is never split here.
      const snippet = buf.toString('utf8', s, Math.min(e, s + 80 + SNIPPET_MARGIN_CHARS));
      this.fail('invalid_response', `event data is not valid JSON: ${snippet}`);
      return;
    }
    this.onEvent(event, nowMs);
  }

  private onEvent(event: unknown, nowMs: number): void {
    if (!isObject(event)) {
      this.fail('invalid_response', 'event data is not a JSON object');
      return;
    }
    const errorMessage = errorMessageOf(event);
    if (errorMessage !== null) {
      this.fail('stream_error', errorMessage);
      return;
    }

    let completion = -1;
    const usage = event.usage;
    if (isObject(usage)) {
      const p = usage.prompt_tokens;
      const c = usage.completion_tokens;
      if (typeof p === 'number') this.promptTokens = p;
      if (typeof c === 'number') this.completionTokens = completion = c;
      if (usage.prompt_tokens_details !== undefined) this.cachedTokens = cachedTokensOf(usage);
    }

    let piece = '';
    const choices = event.choices;
    if (Array.isArray(choices) && choices.length > 0) {
      const c0: unknown = choices[0];
      if (isObject(c0)) {
        if (this.kind === 'chat') {
          const delta = c0.delta;
          if (isObject(delta)) {
            const content = delta.content;
            if (typeof content === 'string') piece = content;
            // Reasoning models stream their thinking first; those are generated tokens too (and counted
            // in usage.completion_tokens), so they count for TTFT and ITL as vLLM's benchmark does.
            const reasoning =
              typeof delta.reasoning_content === 'string'
                ? delta.reasoning_content
                : typeof delta.reasoning === 'string'
                  ? delta.reasoning
                  : '';
            if (reasoning.length > 0) piece = reasoning + piece;
          }
        } else if (typeof c0.text === 'string') {
          piece = c0.text;
        }
        const fr = c0.finish_reason;
        if (typeof fr === 'string') this.finish = fr;
      }
    }

    let tokens = 0;
    if (piece.length > 0) {
      tokens = 1;
      // continuous usage: the chunk carries the increase of the cumulative completion count
      if (completion >= 0 && completion - this.prevCompletionTokens > 1) {
        tokens = completion - this.prevCompletionTokens;
      }
      this.chunks++;
      this.tokens += tokens;
      this.chars += codePoints(piece);
      if (this.keepText) this.textAcc += piece;
      if (this.firstMs !== this.firstMs) this.firstMs = nowMs; // NaN: the first token
      this.lastMs = nowMs;
    }
    if (completion >= 0) this.prevCompletionTokens = completion;
    if (tokens > 0) this.observer.onToken(nowMs, tokens, piece, completion >= 0);
  }
}
