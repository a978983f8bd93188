/**
 * The closed loop (load.type: concurrency): this worker's virtual users each send a request, wait
 * for its answer, think, and send the next, until the duration or the request quota is used up.
 */
import { performance } from 'node:perf_hooks';
import type { ResolvedLoad } from '../scenario/types.js';
import type { ClosedLoopShare } from '../schedule/closed.js';
import type { DriverHost, DriverResult, LoadDriver } from './load-driver.js';

export class ClosedLoopDriver implements LoadDriver {
  readonly latencyFromSend = true;
  readonly minConnections: number;
  /** Users still sending, measured requests sent, and the next request's index. */
  private activeUsers = 0;
  private measuredSent = 0;
  private nextIndex = 0;
  private lastMeasuredSlotMs = -1;
  private startTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: DriverHost,
    private readonly load: ResolvedLoad,
    private readonly share: ClosedLoopShare,
    private readonly worker: number,
    private readonly workers: number,
  ) {
    // Every virtual user gets its own connection (as autocannon's -c does): a user waiting in the
    // pool's queue would be "in flight" without being sent.
    this.minConnections = share.users;
  }

  async prepare(): Promise<void> {}

  start(): void {
    // Users start at slot 0's instant (the start message names one a little ahead), like the plans.
    this.startTimer = setTimeout(() => this.startUsers(), Math.max(0, this.host.t0 - performance.now()));
  }

  requestFinished(t: number, measured: boolean, turnFollows = false): boolean {
    if (measured) this.lastMeasuredSlotMs = t - this.host.t0;
    // A user holds its conversation: it goes on only once the conversation is over.
    if (turnFollows) return true;
    this.userNext();
    return true;
  }

  slotDue(): void {}

  stop(): void {}

  close(): void {
    if (this.startTimer !== null) clearTimeout(this.startTimer);
  }

  result(): DriverResult {
    return { lastMeasuredSlotMs: this.lastMeasuredSlotMs, measuredSlots: 0, sendOverrunMs: 0, pumpRuns: 0, pumpIdleRuns: 0 };
  }

  private readonly userSend = (): void => {
    this.userSendNow();
  };

  private startUsers(): void {
    // Timers may fire a fraction of a ms early: a user sending before slot 0 would count as warm-up.
    if (performance.now() < this.host.t0) {
      setImmediate(() => this.startUsers());
      return;
    }
    this.activeUsers = this.share.users;
    if (this.share.users === 0) {
      this.host.sendingDone();
      return;
    }
    for (let u = 0; u < this.share.users; u++) this.userSendNow();
  }

  /** A user's response is in: think, then send again (or retire). */
  private userNext(): void {
    const think = this.share.thinkTimeMs;
    // Not kept in a list (that would grow per request): a user woken after the stop retires.
    if (think > 0 && !this.host.stopping) setTimeout(this.userSend, think);
    else this.userSendNow();
  }

  /** One user sends its next request, or retires when the run is over for it. */
  private userSendNow(): void {
    const c = this.share;
    const t = performance.now();
    const offset = t - this.host.t0;
    const measured = offset >= this.load.warmupMs;
    const over = this.host.stopping || offset >= c.endMs || (measured && c.requestQuota >= 0 && this.measuredSent >= c.requestQuota);
    if (over) {
      this.activeUsers--;
      if (this.activeUsers === 0) this.host.sendingDone();
      return;
    }
    if (measured) this.measuredSent++;
    const index = this.worker + this.nextIndex++ * this.workers;
    this.host.send(t, t, measured, index, false);
  }
}
