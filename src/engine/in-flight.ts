/**
 * The worker's requests in flight: pooled request contexts handed to the transport, their outcomes
 * (retried, or recorded and released), their deadlines, and their abort at a stop.
 */
import { performance } from 'node:perf_hooks';
import type { Transport } from '../transport/index.js';
import { Ctx, type ConversationTurn, type RequestSink } from './request-context.js';
import { C, type RequestSource, type WlState } from './workload-state.js';
import type { ConversationRunner, TurnSender } from './conversation.js';
import type { PreparedRequest } from '../workload/prepare.js';
import type { IntervalRecorder } from './interval-recorder.js';
import type { OutcomeRecorder } from './outcome.js';
import type { RetryPolicy } from './retry.js';
import { TIMEOUT_MARK } from './classify.js';
import type { RequestLog } from './request-log.js';

/** Request contexts made before the start; more are made on demand up to maxInFlight. */
const PREALLOCATED_CTX = 256;

const timeoutError = Object.assign(new Error(TIMEOUT_MARK), { name: TIMEOUT_MARK });
const firstByteTimeoutError = Object.assign(new Error('no response within target.firstByteTimeout'), { name: TIMEOUT_MARK });

/** Told when a request has finished (not when an attempt is retried) and freed its place. */
export interface FinishListener {
  /** `turnFollows`: the request was a turn of a conversation that goes on (engine/conversation.ts). */
  requestFinished(t: number, measured: boolean, turnFollows?: boolean): void;
}

export interface InFlightOptions {
  readonly maxInFlight: number;
  readonly maxBodyBytes: number;
  /** target.retry, or null when retries are off (the default). */
  readonly retry: RetryPolicy | null;
  /** target.firstByteTimeout in ms; Infinity when unset. */
  readonly firstByteMs: number;
  readonly redact: (text: string) => string;
  /** --requests: where each finished measured request's row goes; null (the default) costs one check. */
  readonly log?: RequestLog | null;
}

export class InFlight implements RequestSink, TurnSender {
  private readonly free: Ctx[] = [];
  private readonly all: Ctx[] = [];
  /** Lowest length the free list has had: contexts below it in `all` were never handed out. */
  private lowFree = Number.MAX_SAFE_INTEGER;
  /** Requests sent and not yet finished. */
  count = 0;
  /** Set at an abort: outcomes from here on are not recorded, and nothing is retried. */
  aborted = false;
  /** performance.now() of the latest wire send of a measured request (-1: none yet). */
  lastSentAt = -1;
  readonly maxBodyBytes: number;
  readonly redact: (text: string) => string;
  readonly maxInFlight: number;
  /** Per workload: its conversation runner when it has `conversation` (set by the worker), else null. */
  readonly conversations: Array<ConversationRunner | null>;
  readonly logHeads: boolean;
  private readonly log: RequestLog | null;

  constructor(
    private readonly transport: Transport,
    private readonly mix: RequestSource,
    private readonly rec: IntervalRecorder,
    private readonly outcomes: OutcomeRecorder,
    private readonly listener: FinishListener,
    private readonly o: InFlightOptions,
  ) {
    this.maxBodyBytes = o.maxBodyBytes;
    this.redact = o.redact;
    this.maxInFlight = o.maxInFlight;
    this.conversations = mix.wls.map(() => null);
    this.log = o.log ?? null;
    this.logHeads = this.log !== null;
    // A few contexts up front; the rest are made when first needed (newCtx), so a large maxInFlight
    // costs memory only if that many requests are really in flight.
    for (let i = 0; i < Math.min(o.maxInFlight, PREALLOCATED_CTX); i++) this.free.push(this.newCtx());
  }

  /**
   * Only called with the free list empty (lowFree is then 0), so checkDeadlines' invariant holds:
   * `all` grows to the peak number in flight and never past maxInFlight.
   */
  private newCtx(): Ctx {
    const c = new Ctx(this, this.all.length);
    this.all.push(c);
    return c;
  }

  /**
   * Sends the request of slot `index` (intended at `intended`, dispatched at `t`). `queued`: the
   * slot waited for a place at maxInFlight, so its lag is queue wait, not the generator's own.
   */
  send(intended: number, t: number, measured: boolean, index: number, queued: boolean): void {
    const wl = this.mix.pick(index);
    const conv = this.conversations[wl.prep.index];
    if (conv !== null) return conv.start(index, intended, t, measured, queued);
    this.dispatchNew(wl, this.mix.request(wl, index), index, intended, t, measured, queued);
  }

  /** Sends turn `turn` of a conversation, its body built for it (see conversation.ts). */
  sendTurn(wl: WlState, req: PreparedRequest, slot: number, intended: number, t: number, measured: boolean, queued: boolean, conv: ConversationTurn, turn: number): void {
    if (measured) wl.conversation!.turnSent(turn);
    this.dispatchNew(wl, req, slot, intended, t, measured, queued, conv, turn);
  }

  /** A context started for `req` (a turn of `conv`, if any) and dispatched. */
  private dispatchNew(wl: WlState, req: PreparedRequest, slot: number, intended: number, t: number, measured: boolean, queued: boolean, conv: ConversationTurn | null = null, turn = 0): void {
    const ctx = this.free.pop() ?? this.newCtx();
    if (this.free.length < this.lowFree) this.lowFree = this.free.length;
    this.count++;
    if (measured) {
      wl.counters[C.sent]++;
      wl.counters[C.inFlight]++;
      (queued ? this.rec.queueWait : this.rec.dispatchLag).recordValue(Math.round((t - intended) * 1000));
    }
    ctx.start(wl, req, intended, t, measured);
    ctx.slot = slot;
    ctx.conv = conv;
    ctx.turn = turn;
    this.transport.dispatch(ctx.request, ctx);
  }

  /** A measured slot that found maxInFlight reached (onSaturation: drop). */
  drop(index: number): void {
    this.mix.pick(index).counters[C.dropped]++;
  }

  sent(ctx: Ctx): void {
    if (!ctx.measured) return;
    if (ctx.sentAt > this.lastSentAt) this.lastSentAt = ctx.sentAt;
    this.rec.connWait.recordValue(Math.round((ctx.sentAt - ctx.dispatchedAt) * 1000));
  }

  complete(ctx: Ctx, errClass: string | null, message: string | null): void {
    const retry = this.o.retry;
    // A retried attempt is not an outcome: the request stays in flight (see retry.ts for the accounting).
    if (errClass !== null && retry !== null && ctx.attempt < retry.max && !ctx.streamStarted && !this.aborted && retry.retries(errClass)) {
      ctx.attempt++;
      ctx.retryAfter(retry.delayMs(ctx.attempt), errClass, message);
      return;
    }
    const t = performance.now();
    const wl = ctx.wl!;
    if (ctx.measured && !this.aborted) {
      wl.counters[C.inFlight]--;
      if (errClass === null) this.outcomes.ok(ctx, t);
      else this.outcomes.error(wl, errClass, message);
      if (this.log !== null) this.log.add(ctx, errClass, t);
    }
    // Cut off by an abort (second signal, end of the grace period): no outcome, so the request
    // stays counted in flight and the summary reports it as unfinished.
    const conv = ctx.conv;
    // A conversation reads its reply before the context is released, and sends its next turn after.
    const follows = conv !== null && conv.turnEnded(ctx, errClass, t);
    this.count--;
    const measured = ctx.measured;
    ctx.release();
    this.free.push(ctx);
    this.listener.requestFinished(t, measured, follows);
    if (follows) conv.next(t);
  }

  /** Sends a request again after its backoff; it keeps its first intended and sent instants. */
  redispatch(ctx: Ctx): void {
    if (ctx.measured) ctx.wl!.counters[C.retries]++;
    ctx.dispatchedAt = performance.now();
    this.transport.dispatch(ctx.request, ctx);
  }

  /** How often deadlines are checked: a tenth of the shortest one, between 10 and 100 ms. */
  deadlineTickMs(): number {
    let min = Infinity;
    for (const w of this.mix.wls) min = Math.min(min, w.timeoutMs, w.firstTokenTimeoutMs > 0 ? w.firstTokenTimeoutMs : Infinity, this.o.firstByteMs);
    return Math.min(100, Math.max(10, min / 10));
  }

  checkDeadlines(): void {
    const fb = this.o.firstByteMs;
    const t = performance.now();
    // The free list is LIFO over `all` in the same order, so only all[lowFree…] were ever taken:
    // with a large maxInFlight most contexts are never used and need no scan.
    const all = this.all;
    for (let i = this.lowFree; i < all.length; i++) {
      const c = all[i];
      if (!c.active || c.inBackoff) continue;
      const wl = c.wl!;
      const age = t - c.dispatchedAt;
      if (age > wl.timeoutMs) c.abort(timeoutError);
      else if (age > fb && c.status === 0) c.abort(firstByteTimeoutError);
      else if (wl.firstTokenTimeoutMs > 0 && age > wl.firstTokenTimeoutMs && !(c.response.sse!.firstTokenMs >= 0)) c.abort(wl.firstTokenTimeoutError);
    }
  }

  abortAll(): void {
    this.aborted = true;
    for (const c of this.all) if (c.active) c.abort(new Error('run interrupted'));
  }
}
