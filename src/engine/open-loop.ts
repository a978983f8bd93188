/**
 * The open loop: each slot of this worker's share of the arrival plan is sent at its intended
 * instant, woken by the pacer (engine/pacer.ts), whatever the server's answers do. At maxInFlight a
 * slot is dropped or waits for a place (load.onSaturation), keeping its intended instant.
 */
import { performance } from 'node:perf_hooks';
import type { ResolvedLoad } from '../scenario/types.js';
import { SlotIterator, type SlotSource } from '../schedule/plan.js';
import { ThreadPacer, type Pacer } from './pacer.js';
import type { DriverHost, DriverResult, LoadDriver } from './load-driver.js';

/** Due slots the pump handles before yielding to the event loop (control messages, I/O). */
const MAX_SLOTS_PER_TURN = 4096;

export class OpenLoopDriver implements LoadDriver {
  readonly minConnections = 0;
  readonly latencyFromSend = false;
  private readonly slots: SlotSource;
  private nextOffsetMs: number;
  /** Wakes the pump at each slot. */
  private pacer: Pacer | null = null;
  /** The pump stopped at maxInFlight (onSaturation: queue) and waits for a completion. */
  private waitingForSlot = false;
  /** When a completion last freed a place for a pump waiting at maxInFlight (onSaturation: queue). */
  private unblockedAt = -Infinity;
  private lastMeasuredSlotMs = -1;
  private measuredSlots = 0;
  private pumpRuns = 0;
  private pumpIdleRuns = 0;
  /** The pump is running: slotDue may be called from anywhere, even inside a send, and a pump never runs inside another. */
  private pumping = false;

  constructor(
    private readonly host: DriverHost,
    private readonly load: ResolvedLoad,
    private readonly maxInFlight: number,
    worker: number,
    workers: number,
    /** A trace's slots (engine/trace-replay.ts); by default the plan of `load`. */
    slots?: SlotSource,
  ) {
    this.slots = slots ?? new SlotIterator(load, worker, workers);
    this.nextOffsetMs = this.slots.next();
  }

  async prepare(): Promise<void> {
    this.pacer = await ThreadPacer.start(this.pump, (lateMs) => this.host.loopWokeLate(lateMs));
  }

  start(): void {
    this.schedulePump();
  }

  requestFinished(t: number): boolean {
    if (!this.waitingForSlot) return false;
    this.waitingForSlot = false;
    this.unblockedAt = t;
    this.pump();
    return true;
  }

  slotDue(): void {
    if (this.nextOffsetMs >= 0 && !this.waitingForSlot && performance.now() >= this.host.t0 + this.nextOffsetMs) this.pump();
  }

  stop(): void {
    this.nextOffsetMs = -1;
    this.pacer?.cancel();
  }

  close(): void {
    this.pacer?.close();
  }

  result(lastSentAt: number): DriverResult {
    const overrun = lastSentAt < 0 ? 0 : Math.max(0, lastSentAt - this.host.t0 - this.lastMeasuredSlotMs);
    return { lastMeasuredSlotMs: this.lastMeasuredSlotMs, measuredSlots: this.measuredSlots, sendOverrunMs: Math.round(overrun * 1000) / 1000, pumpRuns: this.pumpRuns, pumpIdleRuns: this.pumpIdleRuns };
  }

  private readonly pump = (): void => {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpDue();
    } finally {
      this.pumping = false;
    }
  };

  private pumpDue(): void {
    this.pumpRuns++;
    const first = this.nextOffsetMs;
    const host = this.host;
    const t0 = host.t0;
    let t = 0;
    let turn = 0;
    while (this.nextOffsetMs >= 0) {
      const intended = t0 + this.nextOffsetMs;
      t = performance.now();
      if (intended > t) break;
      // A long catch-up yields now and then, so a stop message is still read.
      if (++turn > MAX_SLOTS_PER_TURN) break;
      const measured = !this.slots.warmup;
      if (host.inFlight >= this.maxInFlight) {
        if (this.load.onSaturation === 'queue') {
          // Wait for a completion to free a slot; the slot keeps its intended instant (CO-correct).
          this.waitingForSlot = true;
          return;
        }
        if (measured) host.drop(this.slots.index);
      } else {
        host.send(intended, t, measured, this.slots.index, intended <= this.unblockedAt);
      }
      if (measured) {
        this.lastMeasuredSlotMs = this.nextOffsetMs;
        this.measuredSlots++;
      }
      this.nextOffsetMs = this.slots.next();
    }
    if (this.nextOffsetMs < 0) {
      host.sendingDone();
      return;
    }
    if (this.nextOffsetMs === first) this.pumpIdleRuns++;
    // The clock read that ended the loop serves the next delay too: at high rates the pump turns
    // on setImmediate, and a second read per turn was a visible share of the worker's profile.
    this.schedulePump(t);
  }

  private schedulePump(tNow: number = performance.now()): void {
    if (this.nextOffsetMs < 0) return;
    this.pacer!.wakeAt(this.host.t0 + this.nextOffsetMs, tNow);
  }
}
