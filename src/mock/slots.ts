/**
 * The predictor's capacity and latency: at most `slots` predict-like calls in service at once,
 * each for a service time drawn from the configured distribution; the rest wait FIFO.
 */
import { performance } from 'node:perf_hooks';
import type { ServiceTimeConfig } from './config.js';
import { serviceTimeSampler } from './random.js';
import type { Exchange } from './handler.js';
import type { Sender } from './respond.js';
import type { Timers } from './timers.js';

export class ServiceSlots {
  private inService = 0;
  private readonly queue: (Exchange | undefined)[] = [];
  private queueHead = 0;
  /** In-service calls by the performance.now() time they are due (on a ¼ ms grid). */
  private readonly due = new Map<number, Exchange[]>();
  private closed = false;
  private readonly sampleServiceMs: () => number;
  /** Every service time is 0: answers go out at once, without a slot or a timer. */
  private readonly zeroServiceTime: boolean;

  constructor(
    private readonly slots: number,
    serviceTime: ServiceTimeConfig,
    rand: () => number,
    private readonly timers: Timers,
    private readonly out: Sender,
  ) {
    this.sampleServiceMs = serviceTimeSampler(serviceTime, rand);
    this.zeroServiceTime = serviceTime.type === 'fixed' && serviceTime.ms === 0;
  }

  /** Answers `ex` with status and body once it has had a slot for its service time. */
  serve(ex: Exchange, status: number, body: Buffer): void {
    if (this.zeroServiceTime) {
      this.out.send(ex, status, body);
      return;
    }
    if (this.inService < this.slots) {
      this.startService(ex, status, body);
    } else {
      ex.status = status;
      ex.body = body;
      this.queue.push(ex);
    }
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.queueHead = 0;
    this.due.clear();
    this.inService = 0;
  }

  /**
   * `fromMs`: when the service begins. A queued request takes over a freed slot at the instant
   * the slot was due to free, not when the (possibly late) timer fired: timer lateness then delays
   * single answers but never accumulates, so the capacity is exactly slots / serviceTime.
   */
  private startService(ex: Exchange, status: number, body: Buffer, fromMs = performance.now()): void {
    const ms = this.sampleServiceMs();
    if (ms <= 0) {
      this.out.send(ex, status, body);
      return;
    }
    this.inService++;
    ex.status = status;
    ex.body = body;
    // Completions are bucketed by due time (¼ ms grid): one timer per bucket, not one per
    // request, which matters for a 1 ms service time at tens of thousands of requests/s.
    const at = Math.ceil((fromMs + ms) * 4) / 4;
    let bucket = this.due.get(at);
    if (bucket === undefined) {
      bucket = [];
      this.due.set(at, bucket);
      this.armBucket(at);
    }
    bucket.push(ex);
  }

  private armBucket(at: number): void {
    this.timers.later(at - performance.now(), () => this.fireBucket(at));
  }

  private fireBucket(at: number): void {
    if (this.closed) return;
    // Node's timers run on libuv's cached loop clock and can fire up to ~1 ms early (a timer
    // set late in a loop iteration): never answer before the service time is over. The last
    // fraction of a millisecond is waited out with setImmediate, as a timer would add a whole ms.
    const early = at - performance.now();
    if (early > 0) {
      if (early >= 1) this.armBucket(at);
      else setImmediate(() => this.fireBucket(at));
      return;
    }
    const bucket = this.due.get(at);
    this.due.delete(at);
    if (bucket === undefined) return;
    this.inService -= bucket.length;
    for (const ex of bucket) {
      const body = ex.body as Buffer;
      ex.body = undefined;
      this.out.send(ex, ex.status, body);
    }
    this.drain(at);
  }

  /** `freedAtMs`: when the freed slots were due (see startService). */
  private drain(freedAtMs: number): void {
    while (this.inService < this.slots && this.queueHead < this.queue.length) {
      const i = this.queueHead++;
      const ex = this.queue[i] as Exchange;
      this.queue[i] = undefined;
      const body = ex.body as Buffer;
      ex.body = undefined;
      this.startService(ex, ex.status, body, freedAtMs);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }
}
