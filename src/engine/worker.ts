/**
 * The worker task (one per piscina thread): its entry point and life cycle. It prepares its
 * workloads and transport, reports ready, starts its load driver at the common start instant,
 * checks deadlines, and on the stop or at the plan's end drains, posts the last interval and
 * returns its result. Sending is the load driver's (load-driver.ts), requests in flight are
 * in-flight.ts's, recording is interval-recorder.ts's and outcome.ts's.
 *
 * Hot-path rules kept by those parts: request bodies and headers are prepared before the start;
 * handler objects (request contexts) come from a free list that grows to the peak in flight;
 * counters live in flat typed arrays; one clock read per event; histograms cross to the
 * coordinator encoded, once per interval.
 */
import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import type { ResolvedScenario } from '../scenario/types.js';
import { closedLoopShare } from '../schedule/closed.js';
import { Redactor } from '../util/redact.js';
import { PROMPTS_PER_WORKER, promptSeed, prepareWorkloads } from '../workload/prepare.js';
import type { SharedBodies } from '../workload/shared-bodies.js';
import { createTransport, tlsSettings, type Transport } from '../transport/index.js';
import { ServebenchError } from '../errors.js';
import { RetryPolicy } from './retry.js';
import { armWorkerFault } from './faults.js';
import { WlState, WorkloadMix } from './workload-state.js';
import { IntervalRecorder } from './interval-recorder.js';
import { OutcomeRecorder } from './outcome.js';
import { InFlight, type FinishListener } from './in-flight.js';
import type { DriverHost, LoadDriver } from './load-driver.js';
import { OpenLoopDriver } from './open-loop.js';
import { ClosedLoopDriver } from './closed-loop.js';
import { TraceReplay } from './trace-replay.js';
import type { SharedTrace } from '../schedule/trace.js';
import { ConversationRunner } from './conversation.js';
import { ConversationTurns } from '../workload/conversation-turns.js';
import { dirname } from 'node:path';
import { RequestLog } from './request-log.js';

export interface WorkerTask {
  scenario: ResolvedScenario;
  worker: number;
  workers: number;
  shard: string;
  /** Posts {type:'ready'} once requests are prepared, then waits for {type:'start', startEpochMs}. */
  port: MessagePort;
  intervalMs: number;
  /** Cap on a response body we keep for parsing. */
  maxBodyBytes: number;
  /** Per workload: its bodies packed once for every worker (the scenario's `bodies` are then empty). */
  sharedBodies?: ReadonlyArray<SharedBodies | null>;
  /** load.type trace: the records, packed once for every worker. */
  sharedTrace?: SharedTrace;
  /** --requests: post a row per finished measured request (the coordinator has a file for them). */
  logRequests?: boolean;
}

export interface WorkerResult {
  worker: number;
  /** Offset (ms from slot 0) of the last measured slot this worker handled, -1 if none. */
  lastMeasuredSlotMs: number;
  /** Measured slots of this worker's share of the plan that it walked through (sent, dropped or queued). */
  measuredSlots?: number;
  /**
   * How long after the last measured slot the last measured request actually went on the wire
   * (0 when on time). A request waiting in the pool for a connection counts as sent when dispatched,
   * so without this a generator that fell behind would report the planned rate as achieved.
   */
  sendOverrunMs: number;
  interrupted: boolean;
  /** How many times the open loop's pump ran: its wake-ups, which should follow the slots, not the wall time. */
  pumpRuns?: number;
  /** Of those, the runs that found no slot due yet: a spin's signature (a paced wake is rarely early). */
  pumpIdleRuns?: number;
  /** The ServebenchError that stopped this worker before it was ready, as data (see runWorker). */
  setupError?: { code: string; message: string; hint?: string };
}

/** Messages the coordinator may send on the task's port. */
export type ControlMessage =
  | { type: 'start'; /** Wall-clock instant of slot 0 (the warm-up starts there). */ startEpochMs: number }
  | { type: 'stop'; graceMs: number }
  | { type: 'abort' };

export default async function runWorker(task: WorkerTask): Promise<WorkerResult> {
  let w: Worker;
  try {
    w = new Worker(task);
  } catch (e) {
    // A ServebenchError loses its class and code crossing threads: hand it back as data, so a bad
    // dataset or tokenizer stays the user's error (exit 2), not a crashed worker (exit 3).
    if (!(e instanceof ServebenchError)) throw e;
    task.port.close();
    return { worker: task.worker, lastMeasuredSlotMs: -1, sendOverrunMs: 0, interrupted: false, setupError: e.toJSON() };
  }
  return w.run();
}


function now(): number {
  return performance.now();
}

/**
 * The event loop's lag is sampled at least this often: by the pacer's own wakes when the open loop
 * has them (each one a due callback whose lateness is known), else by a probe timer, which each
 * such wake pushes back. At 200 rps the probe's own wakes were a fifth of the worker's.
 */
const LAG_TICK_MS = 10;

class Worker implements DriverHost, FinishListener {
  private readonly s: ResolvedScenario;
  private readonly wls: WlState[];
  private readonly transport: Transport;
  private readonly driver: LoadDriver;
  private readonly recorder: IntervalRecorder;
  private readonly requests: InFlight;
  /** load.type trace: the slots and requests of this worker's share of the trace. */
  private readonly trace: TraceReplay | null;
  /** --requests: this worker's rows of requests.csv.gz; null when off. */
  private readonly requestLog: RequestLog | null;
  t0 = 0;
  stopping = false;
  private started!: () => void;
  private isStarted = false;
  private readonly startSignal = new Promise<void>((resolve) => (this.started = resolve));
  private aborted = false;
  private interrupted = false;
  private timers: NodeJS.Timeout[] = [];
  /** The loop-lag probe and the instant it is due at. */
  private lagProbe: NodeJS.Timeout | null = null;
  private lagDueAt = 0;
  private finish!: () => void;
  private readonly done: Promise<void>;

  constructor(private readonly task: WorkerTask) {
    const s = (this.s = task.scenario);
    const preps = prepareWorkloads(s, task.worker, task.sharedBodies);
    this.wls = preps.map((p, i) => new WlState(p, s.workloads[i], s));
    const mix = new WorkloadMix(this.wls, s);
    this.trace = task.sharedTrace ? new TraceReplay(task.sharedTrace, s, this.wls, mix, task.worker, task.workers) : null;
    this.driver = this.newDriver();
    const t = s.target;
    const origin = preps[0].origin;
    const connections = Math.max(s.load.connections, this.driver.minConnections);
    this.transport = createTransport(t.client, {
      origin,
      connections,
      connectTimeoutMs: t.connectTimeoutMs,
      keepAliveTimeoutMs: 30_000,
      // Only a stream's content-type is read from the headers (protocol/response.ts).
      rawHeaders: this.wls.some((w) => w.response.needsHeaders),
      tls: tlsSettings(origin, t.tls),
      // Our deadlines come first; the client's own timeouts back them up.
      backstopTimeoutMs: Math.max(...this.wls.map((w) => w.timeoutMs)) + 1000,
    });
    this.recorder = new IntervalRecorder(this.wls, task.port, task.shard, task.worker, task.intervalMs, () => this.aborted);
    const redactor = new Redactor([t.apiKey]);
    this.requestLog = task.logRequests ? new RequestLog(task.port, task.worker, this.wls) : null;
    const outcomes = new OutcomeRecorder(s.slo, this.driver.latencyFromSend, this.recorder.samples, redactor);
    this.requests = new InFlight(this.transport, this.trace ?? mix, this.recorder, outcomes, this, {
      maxInFlight: Math.max(1, Math.ceil(s.load.maxInFlight / task.workers), this.driver.minConnections),
      maxBodyBytes: task.maxBodyBytes,
      retry: t.retry ? new RetryPolicy(t.retry) : null,
      firstByteMs: t.firstByteTimeoutMs ?? Infinity,
      // Bound once: error snippets are redacted before they are cut (error path only).
      redact: (text) => redactor.redact(text),
      log: this.requestLog,
    });
    this.startConversations();
    this.done = new Promise((resolve) => (this.finish = resolve));
    task.port.on('message', (m: ControlMessage) => this.control(m));
  }

  /** A runner per `conversation` workload: arrivals of that workload start conversations (conversation.ts). */
  private startConversations(): void {
    const { s, task } = this;
    const endMs = s.load.type === 'concurrency' ? closedLoopShare(s.load, task.worker, task.workers).endMs : Infinity;
    s.workloads.forEach((w, i) => {
      if (!w.conversation) return;
      const turns = new ConversationTurns(w, PROMPTS_PER_WORKER, promptSeed(s, task.worker, i), s.file ? dirname(s.file) : process.cwd());
      this.requests.conversations[i] = new ConversationRunner(this.wls[i], turns, this.requests, this, this, w.conversation.thinkTimeMs, endMs);
    });
  }

  private newDriver(): LoadDriver {
    const { s, task } = this;
    if (s.load.type !== 'concurrency') return new OpenLoopDriver(this, s.load, Math.max(1, Math.ceil(s.load.maxInFlight / task.workers)), task.worker, task.workers, this.trace ?? undefined);
    return new ClosedLoopDriver(this, s.load, closedLoopShare(s.load, task.worker, task.workers), task.worker, task.workers);
  }

  get inFlight(): number {
    return this.requests.count;
  }

  send(intended: number, t: number, measured: boolean, index: number, queued: boolean): void {
    this.requests.send(intended, t, measured, index, queued);
  }

  drop(index: number): void {
    this.requests.drop(index);
  }

  loopWokeLate(lateMs: number): void {
    this.recorder.loopLag.recordValue(lateMs > 0 ? Math.round(lateMs * 1000) : 0);
    if (this.lagProbe === null) return;
    this.lagDueAt = now() + LAG_TICK_MS;
    this.lagProbe.refresh();
  }

  private readonly onLagProbe = (): void => {
    const t = now();
    this.recorder.loopLag.recordValue(Math.max(0, Math.round((t - this.lagDueAt) * 1000)));
    this.lagDueAt = t + LAG_TICK_MS;
    this.lagProbe!.refresh();
    // The probe runs only when the pacer has not woken this thread for a tick: a slot overdue by
    // then goes now, so a lost wake costs one late send (in scheduleLag), never a stalled run.
    this.driver.slotDue();
  };

  sendingDone(): void {
    this.stopping = true;
    if (this.requests.count === 0) this.finish();
  }

  requestFinished(t: number, measured: boolean, turnFollows = false): void {
    if (!this.driver.requestFinished(t, measured, turnFollows) && this.stopping && this.requests.count === 0) this.finish();
  }

  async run(): Promise<WorkerResult> {
    await this.driver.prepare();
    this.task.port.postMessage({ type: 'ready', worker: this.task.worker });
    await this.startSignal;
    if (this.aborted) return this.endBeforeStart();
    this.startTimers();
    this.driver.start();
    await this.done;
    this.driver.close();
    for (const c of this.requests.conversations) c?.close();
    for (const t of this.timers) clearInterval(t);
    this.lagProbe = null;
    this.recorder.stop();
    this.recorder.flush(true);
    this.requestLog?.flush();
    // Marks the end of this worker's records: the task's result travels on piscina's own channel
    // and may overtake the last interval on this port, so the coordinator waits for this instead.
    this.task.port.postMessage({ type: 'done', worker: this.task.worker });
    await this.transport.close().catch(() => undefined);
    this.task.port.close();
    const d = this.driver.result(this.requests.lastSentAt);
    return { worker: this.task.worker, lastMeasuredSlotMs: d.lastMeasuredSlotMs, measuredSlots: d.measuredSlots, sendOverrunMs: d.sendOverrunMs, interrupted: this.interrupted, pumpRuns: d.pumpRuns, pumpIdleRuns: d.pumpIdleRuns };
  }

  /** Stopped before the start: nothing was sent, nothing to wait for. */
  private async endBeforeStart(): Promise<WorkerResult> {
    this.driver.close();
    this.task.port.postMessage({ type: 'done', worker: this.task.worker });
    await this.transport.close().catch(() => undefined);
    this.task.port.close();
    return { worker: this.task.worker, lastMeasuredSlotMs: -1, sendOverrunMs: 0, interrupted: true };
  }

  /** The loop-lag probe, the interval flushes, the deadline checks and an armed test fault. */
  private startTimers(): void {
    const rec = this.recorder;
    this.lagDueAt = now() + LAG_TICK_MS;
    this.lagProbe = setTimeout(this.onLagProbe, LAG_TICK_MS);
    this.timers.push(this.lagProbe);
    rec.scheduleFlush();
    // The first interval's CPU figures start at the measured start, not at the worker's set-up.
    this.timers.push(setTimeout(() => rec.startIntervalClock(), Math.max(0, rec.measureStart - now())));
    this.timers.push(setInterval(() => this.requests.checkDeadlines(), this.requests.deadlineTickMs()));
    const log = this.requestLog;
    if (log) this.timers.push(setInterval(() => log.flush(), this.task.intervalMs));
    const fault = armWorkerFault(this.task.worker);
    if (fault) this.timers.push(fault);
  }

  private control(m: ControlMessage): void {
    if (m.type === 'start') {
      // Both clocks count from the same wall-clock epoch; performance.now() is this thread's own.
      this.t0 = m.startEpochMs - performance.timeOrigin;
      this.recorder.measureStart = this.t0 + this.s.load.warmupMs;
      if (this.requestLog) this.requestLog.baseMs = this.recorder.measureStart;
      this.isStarted = true;
      this.started();
    } else if (!this.isStarted) {
      // Stopped before the start: nothing was sent, nothing to wait for.
      this.aborted = true;
      this.interrupted = true;
      this.started();
    } else if (m.type === 'stop') {
      this.interrupted = true;
      this.stopSending();
      if (this.requests.count === 0) this.finish();
      else this.timers.push(setTimeout(() => this.abortAll(), m.graceMs));
    } else {
      this.interrupted = true;
      this.abortAll();
      this.started();
    }
  }

  private stopSending(): void {
    this.stopping = true;
    this.driver.stop();
  }

  private abortAll(): void {
    this.stopSending();
    this.aborted = true;
    this.requests.abortAll();
    this.finish();
  }
}
