/**
 * Generator health per worker. The merged event-loop lag of all workers can look fine while one
 * worker is overloaded (its share of the plan then goes out late), so each worker's lag is kept as
 * its own histogram, merged over its intervals only.
 */
import { addEncoded, newAccumulator, statsOf, type Histogram, type Stats } from './hdr.js';
import type { IntervalRecord } from './records.js';
import { round1, round3 } from '../util/values.js';

/**
 * The p99 of `scheduleLag` (sent − intended) and of dispatch lag above which a run counts as
 * saturated. 5 ms: a timer-driven generator on a loaded machine keeps p99 around 1 ms; five times
 * that means slots waited for the event loop (or for a connection), not for timer jitter.
 */
export const SCHEDULE_LAG_BOUND_MS = 5;

/**
 * Added to a busy-generator warning when node ran without --single-threaded-gc (servebench's own
 * command sets it). Measured at 10k rps with the worker pinned to one core: its scavenges waited for
 * V8's helper threads, and it was preempted 177 times a second, against 17 with single-threaded GC.
 */
export const PARALLEL_GC_HINT =
  'node ran without --single-threaded-gc, so V8\'s GC helper threads competed with the workers for CPU; start servebench with its own command (or `node --single-threaded-gc`)';

/**
 * Added to a busy-generator warning when the workers sent with undici. Measured on one core at
 * overload: 9.6–13.6 µs of user CPU per request on the lean client, 18–36 µs on undici; against nginx
 * on the other core one worker held 52,516 req/s on lean and 25,154 on undici, in the same run.
 */
export const LEAN_CLIENT_HINT =
  'the lean HTTP client (target.client: lean) costs about half of undici\'s CPU per request, so each worker can send more';

/**
 * Within this much warm-up, a run whose schedule lag sits all in its first measured second is read as
 * a worker's start-up (below); with a longer warm-up the start-up was not in the measured window.
 */
export const START_UP_WARMUP_MS = 2000;

/**
 * The schedule-lag warning of a run whose lag was all in its first measured second. A worker's first
 * half second of sending is its slowest: V8 still runs the hot path unoptimized and compiles it on
 * helper threads that share the worker's core. Requests then wait for their connections (pinned to
 * one core, for the pump too), so the other warnings would blame the connections or a generator that
 * stays behind. Measured
 * against nginx, one worker, 10 s runs at 20k rps: lag p99 15–24 ms without a warm-up and 0.3–0.9 ms
 * with 2 s; pinned to one core, 33–84 ms against 3–4 ms (and 7–22 ms against 3 ms at 10k). On that
 * core the compiler threads took 30–50 % of it during the first 0.5 s of sending.
 */
export function startUpLagWarning(p99Ms: number, laterP99Ms: number, warmupMs: number): string {
  const warm = warmupMs > 0 ? `load.warmup (${warmupMs / 1000} s) was too short to cover it` : 'the run had no warm-up';
  return `schedule lag p99 ${p99Ms} ms is over the ${SCHEDULE_LAG_BOUND_MS} ms bound because of the first measured second alone (p99 ${laterP99Ms} ms after it): a worker sends slowly for about its first half second, while V8 compiles its hot path, and ${warm}; a load.warmup of ${START_UP_WARMUP_MS / 1000}s keeps the start-up out of the measured window`;
}

/** The note every closed-loop summary and report carries. */
export const CLOSED_LOOP_NOTE =
  'closed loop (concurrency): each virtual user waits for its response before sending again, so a slow server lowers the offered rate instead of making requests wait; queueing is hidden (coordinated omission) and latency equals serviceTime. Use an open-loop load type (constant, poisson, ramp) to measure latency under a given arrival rate.';

/**
 * Workers beyond the cores the process may use take turns on a core. A worker spins between close
 * slots, so it gives up its core only when the OS scheduler takes it: measured, 2 workers pinned to
 * one core failed the 5 ms schedule-lag bound above 886 rps, where 1 worker on that core held 20,665.
 */
export function workersOverCoresWarning(workers: number, cores: number | undefined): string | null {
  if (cores === undefined || workers <= cores) return null;
  return `load.workers ${workers} is more than the ${cores} CPU core${cores === 1 ? '' : 's'} this process may use: workers then take turns on a core and requests wait for the OS scheduler (schedule lag of milliseconds); use at most one worker per core`;
}

export interface WorkerHealth {
  shard: string;
  worker: number;
  eventLoopLagMs: Stats;
  /** Mean event-loop utilization over the worker's intervals (0..1). */
  elu: number;
  /** Busiest interval's utilization. */
  maxElu: number;
  /** The worker thread's own CPU over its intervals, percent of one core (Linux only). */
  threadCpuPercent?: number;
  /** The share of its intervals it was ready to run but waited for a CPU, percent (Linux only). */
  runQueuePercent?: number;
  /** Most requests (streams, for a streamed workload) it had in flight at the close of a second (absent in older summaries). */
  peakInFlight?: number;
}

export class GeneratorHealth {
  private readonly byWorker = new Map<string, { shard: string; worker: number; lag: Histogram; eluSum: number; eluMax: number; n: number; cpuMs: number; runQueueMs: number; cpuWallMs: number; peakInFlight: number }>();

  add(rec: IntervalRecord): void {
    const key = `${rec.shard}#${rec.worker}`;
    let w = this.byWorker.get(key);
    if (!w) {
      w = { shard: rec.shard, worker: rec.worker, lag: newAccumulator(), eluSum: 0, eluMax: 0, n: 0, cpuMs: 0, runQueueMs: 0, cpuWallMs: 0, peakInFlight: 0 };
      this.byWorker.set(key, w);
    }
    if (rec.health.loopLagUs) addEncoded(w.lag, rec.health.loopLagUs);
    w.eluSum += rec.health.elu;
    w.eluMax = Math.max(w.eluMax, rec.health.elu);
    w.n++;
    let inFlight = 0;
    for (const wl of rec.workloads) inFlight += wl.inFlight;
    if (inFlight > w.peakInFlight) w.peakInFlight = inFlight;
    if (rec.health.threadCpuMs !== undefined && rec.health.wallMs) {
      w.cpuMs += rec.health.threadCpuMs;
      w.runQueueMs += rec.health.runQueueMs ?? 0;
      w.cpuWallMs += rec.health.wallMs;
    }
  }

  /** Each worker's health so far; the figures stay, so a live run may ask again later. */
  workers(): WorkerHealth[] {
    const out: WorkerHealth[] = [];
    for (const w of this.byWorker.values()) {
      const cpu = w.cpuWallMs > 0 ? { threadCpuPercent: round1((100 * w.cpuMs) / w.cpuWallMs), runQueuePercent: round1((100 * w.runQueueMs) / w.cpuWallMs) } : {};
      out.push({ shard: w.shard, worker: w.worker, eventLoopLagMs: statsOf(w.lag, 1e-3), elu: round3(w.n ? w.eluSum / w.n : 0), maxElu: round3(w.eluMax), peakInFlight: w.peakInFlight, ...cpu });
    }
    return out.sort((a, b) => (a.shard === b.shard ? a.worker - b.worker : a.shard < b.shard ? -1 : 1));
  }
}
