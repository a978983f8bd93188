/**
 * The closed-loop (`concurrency`) plan: N virtual users, each sends, waits for its response,
 * optionally thinks, and sends again. There are no slots in time, so the split across workers is by
 * user and by request: worker k of n runs users k, k+n, … and, with a request count as the stop
 * condition, sends measured requests k, k+n, … of the count — the same striding as the open plans,
 * so the merged run has exactly N users and exactly `requests` measured requests.
 *
 * A closed loop hides queueing: a slow response delays the user's next request instead of making it
 * late, so `latency` (from the intended instant) equals `serviceTime` here by construction.
 */
import type { ResolvedLoad } from '../scenario/types.js';

/** How many of `total` items (0 … total-1) fall to worker k of n when striding k, k+n, …. */
export function strideShare(total: number, worker: number, workers: number): number {
  if (total <= worker) return 0;
  return Math.floor((total - 1 - worker) / workers) + 1;
}

export interface ClosedLoopShare {
  /** Virtual users this worker runs. */
  users: number;
  /** Measured requests this worker sends before it stops; -1 = no count, stop on the duration. */
  requestQuota: number;
  /** Offset (ms from the start, warm-up included) after which no user starts a new request. */
  endMs: number;
  thinkTimeMs: number;
}

export function closedLoopShare(load: ResolvedLoad, worker: number, workers: number): ClosedLoopShare {
  return {
    users: strideShare(load.concurrency, worker, workers),
    requestQuota: load.requests > 0 ? strideShare(load.requests, worker, workers) : -1,
    endMs: load.requests > 0 ? Infinity : load.warmupMs + load.durationMs,
    thinkTimeMs: load.thinkTimeMs,
  };
}
