import { SNIPPET_MARGIN_CHARS, errorMessageOf } from './json.js';
import { isObject } from '../util/values.js';

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

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;

/** An event (all its lines, terminators excluded) larger than this is an invalid response. */
export const MAX_EVENT_BYTES = 1024 * 1024;
const INITIAL_CAPACITY = 4096;
/** reset() drops buffers that one huge event grew past this, so idle parsers stay small. */
const RETAIN_CAPACITY = 64 * 1024;

const NO_OBSERVER: StreamObserver = { onToken() {} };

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function grow(buf: Buffer, used: number, needed: number): Buffer {
  let cap = buf.length * 2;
  while (cap < needed) cap *= 2;
  const next = Buffer.allocUnsafe(cap);
  buf.copy(next, 0, 0, used);
  return next;
}

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
 *
 * Framing follows the WHATWG event-stream algorithm and works on bytes: lines are found with
 * Buffer#indexOf (memchr) for LF and CR, whose positions are cached per push so each byte is scanned
 * once; field names are compared byte by byte. Only the value of an event's `data` is ever decoded,
 * once, for JSON.parse. State that survives a push:
 *   - `carry`: the unterminated tail of the last push (a line split across pushes);
 *   - `data`: the event's data lines joined with LF, when the event spans pushes or has several lines;
 *     an event with one data line that ends inside the current push is parsed straight from the chunk
 *     (`ref*`), which is vLLM's usual `data: {...}\n\n`;
 *   - `skipLF`: the last push ended in CR, so an LF starting the next one belongs to that CRLF.
 * A split anywhere (inside a UTF-8 sequence, between CR and LF) gives the same events, because bytes
 * are only decoded once the event is complete.
 *
 * Deviations from a browser EventSource, on purpose: a data value that is empty or blank is a
 * keep-alive, not a message; `event`/`id`/`retry` are ignored; after `[DONE]` nothing more is read.
 * As in the spec, an event still unterminated when the body ends is discarded.
 */
export class SseTokenParser {
  private readonly kind: 'chat' | 'completion';
  private keepText: boolean;
  private observer: StreamObserver = NO_OBSERVER;

  // framing state
  private carry: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private carryLen = 0;
  private data: Buffer = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private dataLen = 0;
  private dataLines = 0;
  private refBuf: Buffer | null = null;
  private refStart = 0;
  private refEnd = 0;
  private skipLF = false;
  private eventBytes = 0;
  private atStreamStart = true;
  /** no more input is read: after [DONE], an oversized event or end() */
  private halted = false;

  // results
  private firstMs = NaN;
  private lastMs = NaN;
  private chunks = 0;
  private tokens = 0;
  private promptTokens = -1;
  private completionTokens = -1;
  /** completion_tokens of the latest chunk with usage: the base of the next usage delta */
  private prevCompletionTokens = 0;
  private chars = 0;
  private textAcc = '';
  private finish: string | null = null;
  private done = false;
  private errClass: StreamErrorClass | null = null;
  private errMessage: string | null = null;

  constructor(kind: 'chat' | 'completion', options: SseTokenParserOptions = {}) {
    this.kind = kind;
    this.keepText = options.keepText === true;
  }

  /** keepText: keep this stream's text (default: the constructor's choice). */
  reset(observer: StreamObserver, keepText?: boolean): void {
    this.observer = observer;
    if (keepText !== undefined) this.keepText = keepText;
    if (this.carry.length > RETAIN_CAPACITY) this.carry = Buffer.allocUnsafe(INITIAL_CAPACITY);
    if (this.data.length > RETAIN_CAPACITY) this.data = Buffer.allocUnsafe(INITIAL_CAPACITY);
    this.carryLen = 0;
    this.dataLen = 0;
    this.dataLines = 0;
    this.refBuf = null;
    this.skipLF = false;
    this.eventBytes = 0;
    this.atStreamStart = true;
    this.halted = false;
    this.firstMs = NaN;
    this.lastMs = NaN;
    this.chunks = 0;
    this.tokens = 0;
    this.promptTokens = -1;
    this.completionTokens = -1;
    this.prevCompletionTokens = 0;
    this.chars = 0;
    this.textAcc = '';
    this.finish = null;
    this.done = false;
    this.errClass = null;
    this.errMessage = null;
  }

  /** Bytes as they arrive; nowMs = the arrival instant, stamped by the caller before parsing. */
  push(chunk: Uint8Array, nowMs: number): void {
    if (this.halted) return;
    const len = chunk.byteLength;
    if (len === 0) return;
    const buf = asBuffer(chunk);
    let pos = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (buf[0] === LF) pos = 1;
    }
    let nextLF = buf.indexOf(LF, pos);
    let nextCR = buf.indexOf(CR, pos);
    let tail = -1;
    while (pos < len) {
      if (nextLF !== -1 && nextLF < pos) nextLF = buf.indexOf(LF, pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = buf.indexOf(CR, pos);
      const eol = nextLF === -1 ? nextCR : nextCR === -1 || nextLF < nextCR ? nextLF : nextCR;
      if (eol === -1) {
        tail = pos;
        break;
      }
      if (this.carryLen > 0) {
        // the line began in an earlier push
        if (!this.appendCarry(buf, pos, eol)) return;
        this.line(this.carry, 0, this.carryLen, nowMs);
        this.carryLen = 0;
      } else {
        this.line(buf, pos, eol, nowMs);
      }
      if (this.halted) return;
      if (buf[eol] === CR) {
        if (eol + 1 < len) pos = buf[eol + 1] === LF ? eol + 2 : eol + 1;
        else {
          this.skipLF = true;
          pos = eol + 1;
        }
      } else {
        pos = eol + 1;
      }
    }
    // Before the chunk is let go (and before the carry is overwritten: the reference may point into
    // it), copy a pending single data line into our own buffer.
    if (this.refBuf !== null) this.materializeRef();
    if (tail !== -1) this.appendCarry(buf, tail, len);
  }

  /** The HTTP body ended. */
  end(_nowMs: number): void {
    this.halted = true;
    this.refBuf = null;
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

  private failOversized(): void {
    this.fail('invalid_response', 'event exceeds 1 MiB');
    this.halted = true;
    this.carryLen = 0;
    this.dataLen = 0;
    this.refBuf = null;
  }

  /** Appends buf[s, e) to the carry; false (and halted) when the event grows past the limit. */
  private appendCarry(buf: Buffer, s: number, e: number): boolean {
    const n = e - s;
    const needed = this.carryLen + n;
    if (this.eventBytes + needed > MAX_EVENT_BYTES) {
      this.failOversized();
      return false;
    }
    if (needed > this.carry.length) this.carry = grow(this.carry, this.carryLen, needed);
    buf.copy(this.carry, this.carryLen, s, e);
    this.carryLen = needed;
    return true;
  }

  /** One line, terminator excluded. */
  private line(buf: Buffer, s: number, e: number, nowMs: number): void {
    // counted before the BOM is stripped, as appendCarry counts, so a split never changes the verdict
    this.eventBytes += e - s;
    if (this.eventBytes > MAX_EVENT_BYTES) {
      this.failOversized();
      return;
    }
    if (this.atStreamStart) {
      this.atStreamStart = false;
      if (e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3; // BOM
    }
    const n = e - s;
    if (n === 0) {
      this.dispatch(nowMs);
      return;
    }
    // "data" followed by ':' or the end of the line; every other field, and comments, are ignored
    if (
      n >= 4 &&
      buf[s] === 0x64 &&
      buf[s + 1] === 0x61 &&
      buf[s + 2] === 0x74 &&
      buf[s + 3] === 0x61 &&
      (n === 4 || buf[s + 4] === COLON)
    ) {
      let v = s + 4;
      if (n > 4) {
        v++;
        if (v < e && buf[v] === SPACE) v++;
      }
      this.appendData(buf, v, e);
    }
  }

  private appendData(buf: Buffer, s: number, e: number): void {
    if (this.dataLines === 0) {
      this.dataLines = 1;
      this.refBuf = buf;
      this.refStart = s;
      this.refEnd = e;
      return;
    }
    if (this.refBuf !== null) this.materializeRef();
    const needed = this.dataLen + 1 + (e - s);
    if (needed > this.data.length) this.data = grow(this.data, this.dataLen, needed);
    this.data[this.dataLen] = LF;
    buf.copy(this.data, this.dataLen + 1, s, e);
    this.dataLen = needed;
    this.dataLines++;
  }

  private materializeRef(): void {
    const ref = this.refBuf as Buffer;
    const n = this.refEnd - this.refStart;
    if (n > this.data.length) this.data = grow(this.data, 0, n);
    ref.copy(this.data, 0, this.refStart, this.refEnd);
    this.dataLen = n;
    this.refBuf = null;
  }

  /** A blank line: the event is complete. */
  private dispatch(nowMs: number): void {
    this.eventBytes = 0;
    if (this.dataLines === 0) return;
    this.dataLines = 0;
    let buf: Buffer;
    let s: number;
    let e: number;
    if (this.refBuf !== null) {
      buf = this.refBuf;
      s = this.refStart;
      e = this.refEnd;
      this.refBuf = null;
    } else {
      buf = this.data;
      s = 0;
      e = this.dataLen;
    }
    this.dataLen = 0;
    while (s < e && (buf[s] === SPACE || buf[s] === LF || buf[s] === TAB)) s++;
    while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === LF || buf[e - 1] === TAB)) e--;
    if (s === e) return;
    if (isDone(buf, s, e)) {
      this.done = true;
      this.halted = true;
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
