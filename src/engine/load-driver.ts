/**
 * How a worker decides when to send: one load driver per load model (as k6's executors), behind one
 * interface. The open loop (open-loop.ts) sends each slot of an arrival plan at its instant; the
 * closed loop (closed-loop.ts) keeps a number of virtual users each sending its next request when
 * the last one finished. A new load model that is a new arrival pattern is a plan in
 * schedule/plan.ts (the open loop then needs nothing); a new way of sending is a new driver here.
 */

/** What a driver may ask of the worker it runs in. */
export interface DriverHost {
  /** performance.now() of slot 0 in this thread's clock (set by the start message). */
  readonly t0: number;
  /** Set once the run is over for this worker (stop message, end of plan): send nothing new. */
  readonly stopping: boolean;
  /** Requests sent and not yet finished. */
  readonly inFlight: number;
  /** Sends slot `index` (see InFlight.send). */
  send(intended: number, t: number, measured: boolean, index: number, queued: boolean): void;
  /** A measured slot dropped at maxInFlight. */
  drop(index: number): void;
  /** The driver will send nothing more: the worker ends once nothing is in flight. */
  sendingDone(): void;
  /** A wake the driver asked for ran `lateMs` after its instant: a sample of the event loop's lag. */
  loopWokeLate(lateMs: number): void;
}

/** What a driver reports in the worker's result. */
export interface DriverResult {
  /** Offset (ms from slot 0) of the last measured slot handled, -1 if none. */
  lastMeasuredSlotMs: number;
  measuredSlots: number;
  /** How long after the last measured slot the last measured request went on the wire (ms). */
  sendOverrunMs: number;
  pumpRuns: number;
  pumpIdleRuns: number;
}

export interface LoadDriver {
  /** Connections and contexts this driver needs at least (a closed loop: one per user). */
  readonly minConnections: number;
  /** Latency counts from the send rather than the intended instant (nothing was scheduled earlier). */
  readonly latencyFromSend: boolean;
  /** Set-up that must finish before the worker reports ready. */
  prepare(): Promise<void>;
  /** The start message came (host.t0 is set): begin sending. */
  start(): void;
  /**
   * A request finished and freed its place; false when the driver leaves the end check to the worker.
   * `turnFollows`: it was a turn of a conversation that goes on (its next turn is not the driver's).
   */
  requestFinished(t: number, measured: boolean, turnFollows?: boolean): boolean;
  /** No wake came for a while (the worker's lag probe asks): send what is overdue, if anything. */
  slotDue(): void;
  /** Stop sending (stop message or abort). */
  stop(): void;
  /** Releases timers and threads. */
  close(): void;
  /** `lastSentAt`: performance.now() of the latest measured wire send (-1: none). */
  result(lastSentAt: number): DriverResult;
}
