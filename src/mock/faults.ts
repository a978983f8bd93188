/**
 * Injected faults that are not tied to one protocol: the stall window (every write to a client
 * held, then flushed in order) and the random error rate. The routing delay is the gateway's.
 */
import { performance } from 'node:perf_hooks';
import type { ResolvedMockConfig } from './config.js';

/** `() => true` for the requests that should fail; draws from `rand` only when the rate is > 0. */
export function errorInjector(errorRate: number, rand: () => number): () => boolean {
  if (errorRate > 0) return () => rand() < errorRate;
  return () => false;
}

export class StallGate {
  /** False when no stall window is configured: writers may skip the gate. */
  readonly enabled: boolean;
  private readonly fromMs: number;
  private readonly untilMs: number;
  private startedAt = 0;
  private queue: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(stallAt: ResolvedMockConfig['faults']['stallAt']) {
    const s = stallAt && stallAt.forMs > 0 ? stallAt : undefined;
    this.enabled = s !== undefined;
    this.fromMs = s ? s.afterMs : Infinity;
    this.untilMs = s ? s.afterMs + s.forMs : -Infinity;
  }

  /** The window is measured from here (the server is listening). */
  start(): void {
    this.startedAt = performance.now();
  }

  /**
   * Everything that writes to a client goes through here. During the stall window (and until the
   * writes held by it are flushed, so order is kept) writes are queued and flushed at its end.
   */
  gate(fn: () => void): void {
    if (!this.enabled || this.closed) {
      fn();
      return;
    }
    const t = performance.now() - this.startedAt;
    if (this.queue.length === 0 && (t < this.fromMs || t >= this.untilMs)) {
      fn();
      return;
    }
    this.queue.push(fn);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, this.untilMs - t));
    }
  }

  private flush(): void {
    const early = this.untilMs - (performance.now() - this.startedAt);
    if (early > 0 && !this.closed) {
      this.timer = setTimeout(() => this.flush(), early);
      return;
    }
    this.timer = undefined;
    const q = this.queue;
    this.queue = [];
    for (const fn of q) fn();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }
}
