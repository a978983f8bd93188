/**
 * One in-flight request: the transport's handler object, reused from a free list. It holds the
 * request's instants, its attempt and backoff state, and its response state (read by the
 * workload's response handler); nothing here is allocated per request except what the transport
 * and JSON.parse allocate themselves. Outcomes go to a `RequestSink` (engine/in-flight.ts).
 */
import { performance } from 'node:perf_hooks';
import type { PreparedRequest } from '../workload/prepare.js';
import type { TransportHandler, TransportRequest } from '../transport/index.js';
import { ResponseState, errorMessageOf, type StreamObserver } from '../protocol/index.js';
import { classifyError, describeError, isHttpStatus, OVER_CAP_MARK } from './classify.js';
import { ChunkLog } from './chunk-log.js';
import { KEEP_NONE, type KeepText } from './tokens.js';
import type { WlState } from './workload-state.js';

/** Where a request context reports; implemented by the worker's in-flight set. */
export interface RequestSink {
  /** Cap on a response body kept for parsing (target.maxResponseBytes). */
  readonly maxBodyBytes: number;
  /** Redacts secrets from text before it is cut into an error message (error path only). */
  readonly redact: (text: string) => string;
  /** --requests is on: note when each response's head arrived (otherwise no clock is read for it). */
  readonly logHeads: boolean;
  /** The request's first attempt went on the wire at ctx.sentAt. */
  sent(ctx: Ctx): void;
  /** Called once per attempt's end; `errClass` null means the response was ok. */
  complete(ctx: Ctx, errClass: string | null, message: string | null): void;
  /** Sends the request again after its retry backoff. */
  redispatch(ctx: Ctx): void;
}

/** The conversation a request is one turn of (engine/conversation.ts). */
export interface ConversationTurn {
  /** The turn's request ended (errClass null: ok) and is about to be released: true when another turn follows. */
  turnEnded(ctx: Ctx, errClass: string | null, t: number): boolean;
  /** After the release: the next turn, after the think time. */
  next(t: number): void;
}

const overCapError = Object.assign(new Error('response exceeded target.maxResponseBytes; the rest was not read'), { name: OVER_CAP_MARK });

export class Ctx implements TransportHandler, StreamObserver {
  wl: WlState | null = null;
  req: PreparedRequest | null = null;
  active = false;
  measured = false;
  intended = 0;
  dispatchedAt = 0;
  sentAt = NaN;
  /** The plan's slot index this request was sent for (requests.csv.gz). */
  slot = -1;
  /** When the response head arrived (only timed with --requests; NaN otherwise). */
  headAt = NaN;
  /** Counts OutcomeRecorder took for an ok request (-1: none), kept for requests.csv.gz. */
  inputTokens = -1;
  outputTokens = -1;
  /** usage's cached prompt tokens of a finished generative request (-1: not reported). */
  cachedTokens = -1;
  status = 0;
  /** Streams: whether and why this one keeps its text for the tokenizer (see engine/tokens.ts). */
  keepText: KeepText = KEEP_NONE;
  /** What the response handler read: body, stream parser, tokens, verdict. */
  readonly response = new ResponseState();
  /** Streams: this attempt's content chunks, for per-token ITL (made on first use). */
  chunkLog: ChunkLog | null = null;
  /** Extra attempts made so far (target.retry). */
  attempt = 0;
  /** This request's turn in its conversation (1-based); 0 for a request of a workload without `conversation`. */
  turn = 0;
  /** The conversation this request is a turn of; null for plain requests. */
  conv: ConversationTurn | null = null;
  /** Waiting out a retry backoff: no deadline runs, no socket is held. */
  inBackoff = false;
  /** A 2xx stream's headers arrived: from here on the request is never retried. */
  streamStarted = false;
  /** Bytes of this attempt's response body, against target.maxResponseBytes. */
  private bodyBytes = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryClass: string | null = null;
  private retryMessage: string | null = null;
  /** Bound once: the backoff timer must not need a fresh closure per retry. */
  private readonly resend = (): void => {
    this.retryTimer = null;
    this.inBackoff = false;
    this.clearAttempt();
    this.wl!.response.begin(this.response, this, this.sink.maxBodyBytes);
    this.sink.redispatch(this);
  };
  private abortFn: ((err?: Error) => void) | null = null;
  private pendingAbort: Error | null = null;
  private ended = false;
  /** The request as the transport takes it; its fields are set per request, the object is reused. */
  readonly request: { -readonly [K in keyof TransportRequest]: TransportRequest[K] };

  constructor(
    private readonly sink: RequestSink,
    readonly id: number,
  ) {
    this.request = { path: '/', method: 'POST', headers: [], body: null };
  }

  start(wl: WlState, req: PreparedRequest, intended: number, t: number, measured: boolean): void {
    this.wl = wl;
    this.req = req;
    this.active = true;
    this.measured = measured;
    this.intended = intended;
    this.dispatchedAt = t;
    this.sentAt = NaN;
    this.attempt = 0;
    this.inBackoff = false;
    this.streamStarted = false;
    this.inputTokens = -1;
    this.outputTokens = -1;
    this.cachedTokens = -1;
    this.clearAttempt();
    const o = this.request;
    o.path = wl.prep.path;
    o.headers = wl.prep.headers;
    o.body = req.body;
    if (wl.prep.stream) {
      this.keepText = wl.tokens!.wantText();
      this.chunkLog ??= new ChunkLog();
    }
    // Bodies are collected on every kind: for the answer, or for the message an error body carries.
    wl.response.begin(this.response, this, this.sink.maxBodyBytes, this.keepText !== KEEP_NONE || wl.keepsReplies);
  }

  /** What one attempt's response leaves behind (status, chunks, body size, abort hook). */
  private clearAttempt(): void {
    this.ended = false;
    this.status = 0;
    this.headAt = NaN;
    this.chunkLog?.reset();
    this.abortFn = null;
    this.pendingAbort = null;
    this.bodyBytes = 0;
  }

  retryAfter(delayMs: number, errClass: string, message: string | null): void {
    this.inBackoff = true;
    this.retryClass = errClass;
    this.retryMessage = message;
    this.retryTimer = setTimeout(this.resend, delayMs);
  }

  release(): void {
    this.active = false;
    this.wl = null;
    this.req = null;
    this.abortFn = null;
    this.response.text = '';
    this.conv = null;
    this.turn = 0;
  }

  abort(err: Error): void {
    if (this.inBackoff) {
      // Stopped while waiting to retry: the request ends with the failure it already had.
      clearTimeout(this.retryTimer!);
      this.retryTimer = null;
      this.inBackoff = false;
      this.ended = true;
      this.sink.complete(this, this.retryClass, this.retryMessage);
      return;
    }
    if (!this.active || this.ended) return;
    if (this.abortFn) this.abortFn(err);
    else this.pendingAbort = err;
  }

  /** StreamObserver: a content chunk arrived; its ITL is recorded when the stream ends ok. */
  onToken(nowMs: number, tokens: number, piece: string, fromUsage: boolean): void {
    this.chunkLog!.add(nowMs, tokens, piece, fromUsage);
  }

  onSend(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.pendingAbort) {
      abort(this.pendingAbort);
      return;
    }
    if (this.sentAt !== this.sentAt) {
      this.sentAt = performance.now();
      this.sink.sent(this);
    }
  }

  onHead(statusCode: number, rawHeaders: ReadonlyArray<string | Buffer> | null): boolean {
    this.status = statusCode;
    if (this.sink.logHeads) this.headAt = performance.now();
    if (statusCode >= 200 && statusCode < 300 && this.wl!.response.head(this.response, rawHeaders)) this.streamStarted = true;
    return true;
  }

  onBody(chunk: Buffer): boolean {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.sink.maxBodyBytes) {
      this.abort(overCapError);
      return false;
    }
    if (this.status >= 200 && this.status < 300) this.wl!.response.data(this.response, chunk);
    else this.response.body.push(chunk);
    return true;
  }

  onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    const st = this.status;
    if (!isHttpStatus(st)) {
      this.sink.complete(this, 'invalid_response', `HTTP status ${st} is outside 100–599`);
      return;
    }
    if (st < 200 || st >= 300) {
      const body = this.response.body;
      const msg = errorMessageOf(body.json()) ?? (body.json() === undefined ? body.textSnippet(200, this.sink.redact) : '');
      this.sink.complete(this, `http_${st}`, msg ? `HTTP ${st}: ${msg}` : `HTTP ${st}`);
      return;
    }
    const r = this.response;
    this.wl!.response.end(r, this.sink.redact);
    this.sink.complete(this, r.errorClass, r.errorMessage);
  }

  onFail(err: Error): void {
    if (this.ended || !this.active) return;
    this.ended = true;
    const st = this.status;
    // An oversized error body is still the HTTP error it announced.
    if (err === overCapError && isHttpStatus(st) && (st < 200 || st >= 300)) this.sink.complete(this, `http_${st}`, `HTTP ${st} (body over target.maxResponseBytes)`);
    else this.sink.complete(this, classifyError(err), describeError(err));
  }
}
