/**
 * A worker's interval recording: per-workload counters and histograms (workload-state.ts) plus the
 * generator's health histograms, double-buffered: at each interval's end the recording set is
 * swapped for a spare at once, then encoded one histogram per event-loop turn and posted to the
 * coordinator as an IntervalRecord.
 */
import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import { newRecorder, encode, type Histogram } from '../metrics/hdr.js';
import { ERROR_CLASSES, METRICS, type IntervalRecord, type MetricName, type WorkloadInterval } from '../metrics/records.js';
import { ThreadCpuClock } from './threadcpu.js';
import { C, ERR_SLOTS, N_FIXED_ERR, N_METRICS, type WlState } from './workload-state.js';

function now(): number {
  return performance.now();
}

export class IntervalRecorder {
  /** Generator health, double-buffered like the workloads' histograms. */
  loopLag = newRecorder();
  dispatchLag = newRecorder();
  /** dispatch() → on a connection (the transport's onSend), and intended → dispatch of slots that waited for maxInFlight. */
  connWait = newRecorder();
  queueWait = newRecorder();
  private spareHealth: Histogram[] | null = [newRecorder(), newRecorder(), newRecorder(), newRecorder()];
  /** This thread's CPU and run-queue time per interval (see threadcpu.ts), and when the interval began. */
  private readonly threadCpu = new ThreadCpuClock();
  private intervalStartedAt = 0;
  /** An interval taken at its boundary whose histograms are still being encoded. */
  private pending: PendingInterval | null = null;
  /** One redacted sample message per error class and interval (OutcomeRecorder writes them). */
  readonly samples: Record<string, string> = {};
  private intervalIndex = 0;
  private elu = performance.eventLoopUtilization();
  private flushTimer: NodeJS.Timeout | null = null;
  /** performance.now() of the measured start (set by the start message). */
  measureStart = 0;

  constructor(
    private readonly wls: readonly WlState[],
    private readonly port: MessagePort,
    private readonly shard: string,
    private readonly worker: number,
    private readonly intervalMs: number,
    private readonly isAborted: () => boolean,
  ) {}

  /** Flushes at each interval's end from the measured start on, until stop() (or an abort). */
  scheduleFlush(): void {
    const next = this.measureStart + (this.intervalIndex + 1) * this.intervalMs;
    const delay = Math.max(0, next - now());
    this.flushTimer = setTimeout(() => {
      this.flush(false);
      if (!this.isAborted()) this.scheduleFlush();
    }, delay);
  }

  stop(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /**
   * Ends an interval: takes its counters and swaps its histograms for the spare set at once, then
   * encodes them one per event-loop turn and posts the record. Encoding every histogram in one go
   * held the loop for 2–12 ms once a second (measured), and that stall was the worker's p99 event-
   * loop lag and a visible part of scheduleLag p99; one histogram is a few hundred µs.
   */
  flush(final: boolean): void {
    if (this.pending) this.finishPending();
    // Intervals are counted from the measured start; the warm-up's recordings are discarded.
    const t = now();
    if (t < this.measureStart && !final) {
      this.resetAll();
      return;
    }
    const jobs: EncodeJob[] = [];
    const taken: Histogram[][] = [];
    const workloads = this.takeWorkloads(jobs, taken);
    const { health, healthRec } = this.takeHealth(jobs, t);
    const rec: IntervalRecord = {
      type: 'interval',
      shard: this.shard,
      worker: this.worker,
      index: this.intervalIndex,
      workloads,
      health: healthRec,
      errorSamples: Object.keys(this.samples).length ? { ...this.samples } : undefined,
    };
    this.resetCounters();
    this.intervalIndex++;
    this.pending = { rec, jobs, next: 0, taken, health, immediate: null };
    if (final) this.finishPending();
    else this.pending.immediate = setImmediate(this.encodeStep);
  }

  /** Each workload's counters, and its histograms swapped for the spares (queued for encoding). */
  private takeWorkloads(jobs: EncodeJob[], taken: Histogram[][]): WorkloadInterval[] {
    return this.wls.map((wl) => {
      const c = wl.counters;
      const errors: Record<string, number> = {};
      for (let i = 0; i < ERR_SLOTS; i++) {
        if (wl.errors[i] > 0) errors[i < N_FIXED_ERR ? ERROR_CLASSES[i] : `http_${i - N_FIXED_ERR + 100}`] = wl.errors[i];
      }
      const hs = wl.hist;
      wl.hist = wl.spare!;
      wl.spare = null;
      taken.push(hs);
      const hist: Partial<Record<MetricName, string>> = {};
      for (let i = 0; i < N_METRICS; i++) if (hs[i].totalCount > 0) jobs.push({ into: hist, key: METRICS[i], h: hs[i] });
      return {
        sent: c[C.sent],
        ok: c[C.ok],
        errors,
        dropped: c[C.dropped],
        inFlight: c[C.inFlight],
        outputTokens: c[C.outputTokens],
        inputTokens: c[C.inputTokens],
        sloMet: c[C.sloMet],
        short: c[C.short],
        ...(c[C.retries] > 0 ? { retries: c[C.retries] } : {}),
        ...(c[C.cachedReported] > 0 ? { cachedInputTokens: c[C.cachedInputTokens] } : {}),
        hist,
        ...(wl.tokens !== null ? { tokens: wl.tokens.take() } : {}),
        ...(wl.conversation !== null ? { conversations: wl.conversation.take(jobs) } : {}),
      };
    });
  }

  /** The generator-health histograms swapped for their spares, and the interval's clock figures. */
  private takeHealth(jobs: EncodeJob[], t: number): { health: Histogram[]; healthRec: IntervalRecord['health'] } {
    const health = [this.loopLag, this.dispatchLag, this.connWait, this.queueWait];
    [this.loopLag, this.dispatchLag, this.connWait, this.queueWait] = this.spareHealth!;
    this.spareHealth = null;
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const healthRec: IntervalRecord['health'] = { loopLagUs: undefined, dispatchLagUs: undefined, elu: Math.round(elu.utilization * 1000) / 1000, ...this.takeIntervalClock(t) };
    const keys = ['loopLagUs', 'dispatchLagUs', 'connWaitUs', 'queueWaitUs'] as const;
    for (let i = 0; i < keys.length; i++) if (health[i].totalCount > 0) jobs.push({ into: healthRec, key: keys[i], h: health[i] });
    return { health, healthRec };
  }

  /** Encodes the pending interval's next histogram; posts the record after the last one. */
  private readonly encodeStep = (): void => {
    const p = this.pending;
    if (!p) return;
    p.immediate = null;
    const j = p.jobs[p.next++];
    if (j) j.into[j.key] = encode(j.h);
    if (p.next >= p.jobs.length) this.postPending(p);
    else p.immediate = setImmediate(this.encodeStep);
  };

  /** Encodes whatever is left of the pending interval now (a new interval, or the end of the run). */
  private finishPending(): void {
    const p = this.pending!;
    if (p.immediate) clearImmediate(p.immediate);
    for (; p.next < p.jobs.length; p.next++) {
      const j = p.jobs[p.next];
      j.into[j.key] = encode(j.h);
    }
    this.postPending(p);
  }

  /** Posts a fully encoded interval and hands its histograms back, reset, as the next spares. */
  private postPending(p: PendingInterval): void {
    this.pending = null;
    this.port.postMessage(p.rec);
    p.taken.forEach((hs, i) => {
      for (const h of hs) h.reset();
      this.wls[i].spare = hs;
    });
    for (const h of p.health) h.reset();
    this.spareHealth = p.health;
  }

  /** Discards the warm-up's recordings. */
  resetAll(): void {
    this.resetCounters();
    for (const wl of this.wls) {
      for (const h of wl.hist) h.reset();
      wl.tokens?.reset();
      wl.conversation?.reset();
    }
    this.loopLag.reset();
    this.dispatchLag.reset();
    this.connWait.reset();
    this.queueWait.reset();
  }

  startIntervalClock(): void {
    this.threadCpu.take();
    this.intervalStartedAt = now();
  }

  /** The interval's wall time and this thread's CPU and run-queue time in it (no CPU figures off Linux). */
  private takeIntervalClock(t: number): Pick<IntervalRecord['health'], 'wallMs' | 'threadCpuMs' | 'runQueueMs'> {
    const wallMs = Math.round((t - Math.max(this.intervalStartedAt, this.measureStart)) * 1000) / 1000;
    this.intervalStartedAt = t;
    const cpu = this.threadCpu.take();
    return cpu ? { wallMs, threadCpuMs: cpu.cpuMs, runQueueMs: cpu.runQueueMs } : { wallMs };
  }

  /** Counters and error samples back to zero; in-flight counts carry over to the next interval. */
  private resetCounters(): void {
    for (const wl of this.wls) {
      const inflight = wl.counters[C.inFlight];
      wl.counters.fill(0);
      wl.counters[C.inFlight] = inflight;
      wl.errors.fill(0);
    }
    for (const k of Object.keys(this.samples)) delete this.samples[k];
  }
}

/** One histogram of a pending interval still to encode, and where its encoding goes. */
interface EncodeJob {
  into: Record<string, unknown>;
  key: string;
  h: Histogram;
}

interface PendingInterval {
  rec: IntervalRecord;
  jobs: EncodeJob[];
  next: number;
  /** Per workload, the histograms taken out of recording; they become its spares once encoded. */
  taken: Histogram[][];
  health: Histogram[];
  immediate: NodeJS.Immediate | null;
}
