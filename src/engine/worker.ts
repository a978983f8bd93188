/**
 * The worker task (one per piscina thread): takes its share of the arrival plan, dispatches each
 * slot through the HTTP client (undici's Pool, or engine/h1.ts for target.client: lean) with a
 * reusable handler object, times every request, and posts encoded interval histograms to the
 * coordinator once a second.
 *
 * Hot-path rules kept here: request bodies and headers are prepared before the start; handler
 * objects (Ctx) come from a free list that grows to the peak in flight; counters live in flat typed arrays; one clock
 * read per event; histograms cross to the coordinator encoded, once per interval.
 */
import { Pool, type Dispatcher } from 'undici';
import { H1Pool, KEEP_ALIVE_MARGIN_MS, type H1Request } from './h1.js';
import { ThreadPacer, type Pacer } from './pacer.js';
import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import type { ResolvedScenario, ResolvedWorkload } from '../scenario/types.js';
import { SlotIterator } from '../schedule/plan.js';
import { closedLoopShare, type ClosedLoopShare } from '../schedule/closed.js';
import { hashUnit } from '../util/random.js';
import { Redactor } from '../util/redact.js';
import { prepareWorkloads, type PreparedWorkload, type PreparedRequest } from '../workload/prepare.js';
import type { SharedBodies } from '../workload/shared-bodies.js';
import { newRecorder, encode, type Histogram } from '../metrics/hdr.js';
import { ERROR_CLASSES, METRICS, type IntervalRecord, type MetricName, type WorkloadInterval } from '../metrics/records.js';
import { classifyError, describeError, isHttpStatus, MAX_RESPONSE_HEAD_BYTES, OVER_CAP_MARK, TIMEOUT_MARK, transferCodingError } from './classify.js';
import { RetryPolicy } from './retry.js';
import { ServebenchError } from '../errors.js';
import { armWorkerFault } from './faults.js';
import { ThreadCpuClock } from './threadcpu.js';
import { KEEP_FALLBACK, KEEP_NONE, TokenAccounting, type KeepText } from './tokens.js';
import { workloadTokenizer } from '../workload/prompts.js';
import { dirname } from 'node:path';
import { JsonBodyCollector, SseTokenParser, checkPredictResponse, errorMessageOf, parseCompletionResponse, type StreamObserver } from '../protocol/index.js';
import { ChunkLog } from './chunk-log.js';

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

const N_METRICS = METRICS.length;
const M: Record<MetricName, number> = Object.fromEntries(METRICS.map((m, i) => [m, i])) as Record<MetricName, number>;
const N_FIXED_ERR = ERROR_CLASSES.length;
/** Counter slots per workload: fixed classes then one per HTTP status 100..599. */
const ERR_SLOTS = N_FIXED_ERR + 500;
const ERR_INDEX: Record<string, number> = Object.fromEntries(ERROR_CLASSES.map((c, i) => [c, i]));

/** Request contexts made before the start; more are made on demand up to maxInFlight. */
const PREALLOCATED_CTX = 256;
/** Due slots the pump handles before yielding to the event loop (control messages, I/O). */
const MAX_SLOTS_PER_TURN = 4096;

const enum C {
  sent,
  ok,
  dropped,
  inFlight,
  outputTokens,
  inputTokens,
  sloMet,
  short,
  retries,
  size,
}

/** Per-workload recording state. */
class WlState {
  readonly counters = new Float64Array(C.size);
  readonly errors = new Float64Array(ERR_SLOTS);
  /** The recording histograms; swapped for `spare` at each interval's end (see Worker.flush). */
  hist: Histogram[] = [];
  spare: Histogram[] | null = [];
  bodyIndex = 0;
  /** Bound once: recordItl takes a callback and must not get a fresh closure per token. */
  readonly recordItl: (valueUs: number, count: number) => void;
  /** Generative workloads: token-count sources, divergence, short reasons, deadline timeouts. */
  readonly tokens: TokenAccounting | null;
  /** Whole-request deadline; first-token deadline of streams (0: none). */
  readonly timeoutMs: number;
  readonly firstTokenTimeoutMs: number;
  /** Made once: the abort reason of a stream whose first token missed its deadline. */
  readonly firstTokenTimeoutError: Error;
  constructor(
    readonly prep: PreparedWorkload,
    wl: ResolvedWorkload,
    s: ResolvedScenario,
  ) {
    for (let i = 0; i < N_METRICS; i++) {
      this.hist.push(newRecorder());
      this.spare!.push(newRecorder());
    }
    this.recordItl = (v, n) => this.hist[M.itl].recordValueWithCount(v, n);
    // The prompts were measured with this tokenizer already, so it is loaded and cached.
    this.tokens = prep.generative ? new TokenAccounting(workloadTokenizer(wl, s.file ? dirname(s.file) : process.cwd())) : null;
    this.timeoutMs = wl.timeoutMs ?? s.target.timeoutMs;
    this.firstTokenTimeoutMs = prep.stream ? (wl.firstTokenTimeoutMs ?? s.target.firstTokenTimeoutMs ?? 0) : 0;
    this.firstTokenTimeoutError = Object.assign(new Error(`no first token within ${this.firstTokenTimeoutMs} ms (firstTokenTimeout)`), { name: TIMEOUT_MARK });
  }
}

function now(): number {
  return performance.now();
}

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

class Worker implements StreamObserver {
  private readonly s: ResolvedScenario;
  private readonly wls: WlState[];
  private readonly cumWeights: Float64Array;
  /** undici's Pool or the lean client (target.client): both take the request context as a core handler. */
  private readonly pool: { dispatch(opts: Ctx['opts'], handler: Ctx): unknown; destroy(): Promise<void> };
  private readonly slots: SlotIterator;
  private readonly redactor: Redactor;
  /** performance.now() value of slot 0 in this thread's clock (set by the start message). */
  private t0 = 0;
  private measureStart = 0;
  private started!: () => void;
  private isStarted = false;
  private readonly startSignal = new Promise<void>((resolve) => (this.started = resolve));
  private readonly free: Ctx[] = [];
  private readonly all: Ctx[] = [];
  /** Lowest length the free list has had: contexts below it in `all` were never handed out. */
  private lowFree = Number.MAX_SAFE_INTEGER;
  /** Generator health, double-buffered like the workloads' histograms: [loop lag, dispatch lag, connection wait, queue wait]. */
  private loopLag = newRecorder();
  private dispatchLag = newRecorder();
  /** dispatch() → on a connection (Ctx.onConnect), and intended → dispatch of slots that waited for maxInFlight. */
  connWait = newRecorder();
  private queueWait = newRecorder();
  private spareHealth: Histogram[] | null = [newRecorder(), newRecorder(), newRecorder(), newRecorder()];
  /** This thread's CPU and run-queue time per interval (see threadcpu.ts), and when the interval began. */
  private readonly threadCpu = new ThreadCpuClock();
  private intervalStartedAt = 0;
  /** When a completion last freed a place for a pump waiting at maxInFlight (onSaturation: queue). */
  private unblockedAt = -Infinity;
  private measuredSlots = 0;
  /** An interval taken at its boundary whose histograms are still being encoded. */
  private pending: PendingInterval | null = null;
  private readonly samples: Record<string, string> = {};
  private nextOffsetMs: number;
  private inFlight = 0;
  private stopping = false;
  private aborted = false;
  private interrupted = false;
  private waitingForSlot = false;
  private lastMeasuredSlotMs = -1;
  private intervalIndex = 0;
  private elu = performance.eventLoopUtilization();
  private timers: NodeJS.Timeout[] = [];
  /** Wakes the open loop's pump at each slot (engine/pacer.ts); null in the closed loop. */
  private pacer: Pacer | null = null;
  private pumpRuns = 0;
  private pumpIdleRuns = 0;
  private finish!: () => void;
  private readonly done: Promise<void>;
  /** target.retry, or null when retries are off (the default). */
  private readonly retry: RetryPolicy | null;
  /** target.firstByteTimeout in ms; Infinity when unset. */
  private readonly firstByteMs: number;

  constructor(private readonly task: WorkerTask) {
    this.s = task.scenario;
    const preps = prepareWorkloads(this.s, task.worker, task.sharedBodies);
    this.wls = preps.map((p, i) => new WlState(p, this.s.workloads[i], this.s));
    let acc = 0;
    this.cumWeights = new Float64Array(this.s.workloads.length);
    const total = this.s.workloads.reduce((x, wl) => x + wl.weight, 0);
    this.s.workloads.forEach((wl, i) => {
      acc += wl.weight / total;
      this.cumWeights[i] = acc;
    });
    this.cumWeights[this.cumWeights.length - 1] = 1;
    const t = this.s.target;
    const origin = preps[0].origin;
    const hostname = new URL(origin).hostname;
    const isIp = /^[\d.]+$/.test(hostname) || hostname.includes(':') || hostname.startsWith('[');
    this.closed = this.s.load.type === 'concurrency' ? closedLoopShare(this.s.load, task.worker, task.workers) : null;
    // A closed loop gives every virtual user its own connection (as autocannon's -c does): a user
    // waiting in the pool's queue would be "in flight" without being sent.
    const connections = this.closed ? Math.max(this.s.load.connections, this.closed.users) : this.s.load.connections;
    const tlsOptions = { rejectUnauthorized: !t.tls.insecure, ...(t.tls.ca ? { ca: t.tls.ca } : {}), ...(isIp ? {} : { servername: hostname }) };
    this.pool = t.client === 'lean'
      ? new H1Pool(origin, {
          connections,
          connectTimeoutMs: t.connectTimeoutMs,
          keepAliveTimeoutMs: 30_000,
          // Only a stream's content-type is read from the headers (Ctx.onHeaders).
          rawHeaders: preps.some((p) => p.stream),
          ...(origin.startsWith('https:') ? { tls: tlsOptions } : {}),
        })
      : this.undiciPool(origin, connections, tlsOptions);
    this.servername = isIp ? undefined : hostname;
    this.slots = new SlotIterator(this.s.load, task.worker, task.workers);
    this.redactor = new Redactor([t.apiKey]);
    const max = Math.max(1, Math.ceil(this.s.load.maxInFlight / task.workers), this.closed ? this.closed.users : 0);
    this.maxInFlight = max;
    // A few contexts up front; the rest are made when first needed (newCtx), so a large maxInFlight
    // costs memory only if that many requests are really in flight.
    for (let i = 0; i < Math.min(max, PREALLOCATED_CTX); i++) this.free.push(this.newCtx());
    this.retry = t.retry ? new RetryPolicy(t.retry) : null;
    this.firstByteMs = t.firstByteTimeoutMs ?? Infinity;
    this.nextOffsetMs = this.slots.next();
    this.done = new Promise((resolve) => (this.finish = resolve));
    task.port.on('message', (m: ControlMessage) => this.control(m));
  }

  readonly maxInFlight: number;
  /** Bound once: error snippets are redacted before they are cut (error path only). */
  readonly redact = (text: string): string => this.redactor.redact(text);
  /**
   * Only called with the free list empty (lowFree is then 0), so checkDeadlines' invariant holds:
   * `all` grows to the peak number in flight and never past maxInFlight.
   */
  private newCtx(): Ctx {
    const c = new Ctx(this, this.all.length);
    this.all.push(c);
    return c;
  }
  readonly servername: string | undefined;
  /** performance.now() of the latest wire send of a measured request (-1: none yet). */
  lastSentAt = -1;
  /** Set for the `concurrency` load type: this worker's users and request quota (closed loop). */
  private readonly closed: ClosedLoopShare | null;
  /** Closed loop: users still sending, measured requests sent, and the next request's index. */
  private activeUsers = 0;
  private closedMeasuredSent = 0;
  private closedIndex = 0;
  /** undici's own timeouts are a backstop behind ours: the longest of every workload's deadline. */
  private maxTimeoutMs(): number {
    return Math.max(...this.wls.map((w) => w.timeoutMs));
  }

  /** undici's Pool for target.client: undici, with the same connections and TLS as the lean client. */
  private undiciPool(origin: string, connections: number, tls: { rejectUnauthorized: boolean; ca?: string | Buffer; servername?: string }): Pool {
    return new Pool(origin, {
      connections,
      pipelining: 1,
      headersTimeout: this.maxTimeoutMs() + 1000,
      bodyTimeout: this.maxTimeoutMs() + 1000,
      keepAliveTimeout: 30_000,
      // The lean client's limit and keep-alive margin too (h1.ts), so both refuse and retire alike.
      maxHeaderSize: MAX_RESPONSE_HEAD_BYTES,
      keepAliveTimeoutThreshold: KEEP_ALIVE_MARGIN_MS,
      // TLS SNI names the gateway, not the Host header of host routing (undici would use the latter).
      connect: { timeout: this.s.target.connectTimeoutMs, ...tls },
    });
  }
  /** How often deadlines are checked: a tenth of the shortest one, between 10 and 100 ms. */
  private deadlineTickMs(): number {
    let min = Infinity;
    for (const w of this.wls) min = Math.min(min, w.timeoutMs, w.firstTokenTimeoutMs > 0 ? w.firstTokenTimeoutMs : Infinity, this.firstByteMs);
    return Math.min(100, Math.max(10, min / 10));
  }
  get maxBodyBytes(): number {
    return this.task.maxBodyBytes;
  }

  async run(): Promise<WorkerResult> {
    if (!this.closed) this.pacer = await ThreadPacer.start(this.pump);
    this.task.port.postMessage({ type: 'ready', worker: this.task.worker });
    await this.startSignal;
    if (this.aborted) {
      this.pacer?.close();
      this.task.port.postMessage({ type: 'done', worker: this.task.worker });
      await this.pool.destroy().catch(() => undefined);
      this.task.port.close();
      return { worker: this.task.worker, lastMeasuredSlotMs: -1, sendOverrunMs: 0, interrupted: true };
    }
    const lagTick = 10;
    let expected = now() + lagTick;
    this.timers.push(
      setInterval(() => {
        const t = now();
        this.loopLag.recordValue(Math.max(0, Math.round((t - expected) * 1000)));
        expected = t + lagTick;
      }, lagTick),
    );
    this.scheduleFlush();
    // The first interval's CPU figures start at the measured start, not at the worker's set-up.
    this.timers.push(setTimeout(() => this.startIntervalClock(), Math.max(0, this.measureStart - now())));
    this.timers.push(setInterval(() => this.checkDeadlines(), this.deadlineTickMs()));
    const fault = armWorkerFault(this.task.worker);
    if (fault) this.timers.push(fault);
    // Users start at slot 0's instant (the start message names one a little ahead), like the plans.
    if (this.closed) this.timers.push(setTimeout(() => this.startUsers(), Math.max(0, this.t0 - now())));
    else this.schedulePump();
    await this.done;
    this.pacer?.close();
    for (const t of this.timers) clearInterval(t);
    this.flush(true);
    // Marks the end of this worker's records: the task's result travels on piscina's own channel
    // and may overtake the last interval on this port, so the coordinator waits for this instead.
    this.task.port.postMessage({ type: 'done', worker: this.task.worker });
    await this.pool.destroy().catch(() => undefined);
    this.task.port.close();
    const overrun = this.closed || this.lastSentAt < 0 ? 0 : Math.max(0, this.lastSentAt - this.t0 - this.lastMeasuredSlotMs);
    return { worker: this.task.worker, lastMeasuredSlotMs: this.lastMeasuredSlotMs, measuredSlots: this.measuredSlots, sendOverrunMs: Math.round(overrun * 1000) / 1000, interrupted: this.interrupted, pumpRuns: this.pumpRuns, pumpIdleRuns: this.pumpIdleRuns };
  }

  private control(m: ControlMessage): void {
    if (m.type === 'start') {
      // Both clocks count from the same wall-clock epoch; performance.now() is this thread's own.
      this.t0 = m.startEpochMs - performance.timeOrigin;
      this.measureStart = this.t0 + this.s.load.warmupMs;
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
      if (this.inFlight === 0) this.finish();
      else this.timers.push(setTimeout(() => this.abortAll(), m.graceMs));
    } else {
      this.interrupted = true;
      this.abortAll();
      this.started();
    }
  }

  private stopSending(): void {
    this.stopping = true;
    this.nextOffsetMs = -1;
    this.pacer?.cancel();
  }

  private abortAll(): void {
    this.stopSending();
    this.aborted = true;
    for (const c of this.all) if (c.active) c.abort(new Error('run interrupted'));
    this.finish();
  }

  // ---- scheduling -------------------------------------------------------------------------

  private readonly pump = (): void => {
    this.pumpRuns++;
    const first = this.nextOffsetMs;
    const s = this.s;
    let t = 0;
    let turn = 0;
    while (this.nextOffsetMs >= 0) {
      const intended = this.t0 + this.nextOffsetMs;
      t = now();
      if (intended > t) break;
      // A long catch-up yields now and then, so a stop message is still read.
      if (++turn > MAX_SLOTS_PER_TURN) break;
      const measured = !this.slots.warmup;
      if (this.inFlight >= this.maxInFlight) {
        if (s.load.onSaturation === 'queue') {
          // Wait for a completion to free a slot; the slot keeps its intended instant (CO-correct).
          this.waitingForSlot = true;
          return;
        }
        if (measured) this.wls[this.pickWorkload(this.slots.index)].counters[C.dropped]++;
      } else {
        this.send(intended, t, measured);
      }
      if (measured) {
        this.lastMeasuredSlotMs = this.nextOffsetMs;
        this.measuredSlots++;
      }
      this.nextOffsetMs = this.slots.next();
    }
    if (this.nextOffsetMs < 0) {
      this.stopping = true;
      if (this.inFlight === 0) this.finish();
      return;
    }
    if (this.nextOffsetMs === first) this.pumpIdleRuns++;
    // The clock read that ended the loop serves the next delay too: at high rates the pump turns
    // on setImmediate, and a second read per turn was a visible share of the worker's profile.
    this.schedulePump(t);
  };

  // ---- closed loop (concurrency) ------------------------------------------------------------

  private readonly userSend = (): void => {
    this.userSendNow();
  };

  private startUsers(): void {
    // Timers may fire a fraction of a ms early: a user sending before slot 0 would count as warm-up.
    if (now() < this.t0) {
      setImmediate(() => this.startUsers());
      return;
    }
    const c = this.closed!;
    this.activeUsers = c.users;
    if (c.users === 0) {
      this.stopping = true;
      this.finish();
      return;
    }
    for (let u = 0; u < c.users; u++) this.userSendNow();
  }

  /** A user's response is in: think, then send again (or retire). */
  private userNext(): void {
    const think = this.closed!.thinkTimeMs;
    // Not kept in this.timers (that would grow per request): a user woken after the stop retires.
    if (think > 0 && !this.stopping) setTimeout(this.userSend, think);
    else this.userSendNow();
  }

  /** One user sends its next request, or retires when the run is over for it. */
  private userSendNow(): void {
    const c = this.closed!;
    const t = now();
    const offset = t - this.t0;
    const measured = offset >= this.s.load.warmupMs;
    const over = this.stopping || offset >= c.endMs || (measured && c.requestQuota >= 0 && this.closedMeasuredSent >= c.requestQuota);
    if (over) {
      this.activeUsers--;
      if (this.activeUsers === 0) this.stopping = true;
      if (this.activeUsers === 0 && this.inFlight === 0) this.finish();
      return;
    }
    if (measured) this.closedMeasuredSent++;
    const index = this.task.worker + this.closedIndex++ * this.task.workers;
    this.send(t, t, measured, index);
  }

  private schedulePump(tNow: number = now()): void {
    if (this.nextOffsetMs < 0) return;
    this.pacer!.wakeAt(this.t0 + this.nextOffsetMs, tNow);
  }

  private pickWorkload(index: number): number {
    const cw = this.cumWeights;
    if (cw.length === 1) return 0;
    const u = hashUnit(this.s.load.seed, index);
    let i = 0;
    while (u >= cw[i] && i < cw.length - 1) i++;
    return i;
  }

  private send(intended: number, t: number, measured: boolean, index: number = this.slots.index): void {
    const wi = this.pickWorkload(index);
    const wl = this.wls[wi];
    const reqs = wl.prep.requests;
    const req = reqs[wl.bodyIndex];
    wl.bodyIndex = wl.bodyIndex + 1 === reqs.length ? 0 : wl.bodyIndex + 1;
    const ctx = this.free.pop() ?? this.newCtx();
    if (this.free.length < this.lowFree) this.lowFree = this.free.length;
    this.inFlight++;
    if (measured) {
      wl.counters[C.sent]++;
      wl.counters[C.inFlight]++;
      // A slot due before a place at maxInFlight freed up waited for the server, not for the generator.
      (intended <= this.unblockedAt ? this.queueWait : this.dispatchLag).recordValue(Math.round((t - intended) * 1000));
    }
    ctx.start(wl, req, intended, t, measured);
    this.pool.dispatch(ctx.opts, ctx);
  }

  // ---- completion -------------------------------------------------------------------------

  /** Called once per request, whatever its outcome. `errClass` null means the response was ok. */
  complete(ctx: Ctx, errClass: string | null, message: string | null): void {
    // A retried attempt is not an outcome: the request stays in flight (see retry.ts for the accounting).
    if (errClass !== null && this.retry !== null && ctx.attempt < this.retry.max && !ctx.streamStarted && !this.aborted && this.retry.retries(errClass)) {
      ctx.attempt++;
      ctx.retryAfter(this.retry.delayMs(ctx.attempt), errClass, message);
      return;
    }
    const t = now();
    const wl = ctx.wl!;
    if (ctx.measured && !this.aborted) {
      const c = wl.counters;
      c[C.inFlight]--;
      if (errClass === null) {
        c[C.ok]++;
        const h = wl.hist;
        // Closed loop: the intended instant is the send itself (nothing was scheduled earlier).
        const latencyUs = Math.round((t - (this.closed && ctx.sentAt === ctx.sentAt ? ctx.sentAt : ctx.intended)) * 1000);
        h[M.latency].recordValue(latencyUs);
        if (ctx.sentAt === ctx.sentAt) {
          h[M.serviceTime].recordValue(Math.round((t - ctx.sentAt) * 1000));
          h[M.scheduleLag].recordValue(Math.max(0, Math.round((ctx.sentAt - ctx.intended) * 1000)));
        }
        let meets = this.s.slo.latencyMs === undefined || latencyUs <= this.s.slo.latencyMs * 1000;
        if (wl.prep.generative) meets = this.recordGenerative(ctx, wl, t) && meets;
        if (meets) c[C.sloMet]++;
      } else {
        if (errClass === 'timeout' && wl.tokens !== null) wl.tokens.timeout(message === wl.firstTokenTimeoutError.message);
        let idx = errClass.startsWith('http_') ? N_FIXED_ERR + (Number(errClass.slice(5)) - 100) : ERR_INDEX[errClass];
        // The sample goes under the class counted, so every sampled class is one of `errors`.
        if (!(idx >= 0 && idx < ERR_SLOTS)) {
          idx = ERR_INDEX.invalid_response;
          errClass = 'invalid_response';
        }
        wl.errors[idx]++;
        if (message !== null && this.samples[errClass] === undefined) this.samples[errClass] = this.redactor.snippet(message, 300);
      }
    }
    // Cut off by an abort (second signal, end of the grace period): no outcome, so the request
    // stays counted in flight and the summary reports it as unfinished.
    this.inFlight--;
    ctx.release();
    this.free.push(ctx);
    if (this.closed) {
      if (ctx.measured) this.lastMeasuredSlotMs = t - this.t0;
      this.userNext();
    } else if (this.waitingForSlot) {
      this.waitingForSlot = false;
      this.unblockedAt = t;
      this.pump();
    } else if (this.stopping && this.inFlight === 0) {
      this.finish();
    }
  }

  /** Sends a request again after its backoff; it keeps its first intended and sent instants. */
  redispatch(ctx: Ctx): void {
    if (ctx.measured) ctx.wl!.counters[C.retries]++;
    ctx.dispatchedAt = now();
    this.pool.dispatch(ctx.opts, ctx);
  }

  /** Token metrics of a finished generative request; returns whether its token SLOs were met. */
  private recordGenerative(ctx: Ctx, wl: WlState, t: number): boolean {
    const h = wl.hist;
    const c = wl.counters;
    const slo = this.s.slo;
    let meets = true;
    let outTokens: number;
    let inTokens: number;
    let finishReason: string | null;
    const acct = wl.tokens!;
    if (wl.prep.stream) {
      const p = ctx.sse!;
      outTokens = acct.output(p.usageCompletionTokens, p.text(), ctx.keepText, p.tokensFromChunks);
      inTokens = acct.input(p.usagePromptTokens, ctx.req!.inputTokens);
      finishReason = p.finishReason;
      // Per-token ITL, now that the output count (the total to spread over the chunks) is known.
      const log = ctx.chunkLog!;
      acct.itl(log.record(wl.recordItl, acct.itlTotal(outTokens), acct.chunkCounter));
      if (p.firstTokenMs === p.firstTokenMs) {
        const ttftUs = Math.round((p.firstTokenMs - ctx.sentAt) * 1000);
        h[M.ttft].recordValue(Math.max(0, ttftUs));
        if (slo.ttftMs !== undefined && ttftUs > slo.ttftMs * 1000) meets = false;
        if (outTokens > 1) {
          const tpotUs = Math.round(((p.lastTokenMs - p.firstTokenMs) * 1000) / (outTokens - 1));
          h[M.tpot].recordValue(tpotUs);
          if (slo.tpotMs !== undefined && tpotUs > slo.tpotMs * 1000) meets = false;
        }
        if (slo.itlMs !== undefined && log.maxGapMs > slo.itlMs) meets = false;
      } else {
        meets = slo.ttftMs === undefined;
      }
    } else {
      // the whole text is at hand: no usage means the tokenizer counts it
      outTokens = acct.output(ctx.completionTokens, ctx.text, this.nonStreamKeep(acct), 0);
      inTokens = acct.input(ctx.promptTokens, ctx.req!.inputTokens);
      finishReason = ctx.finishReason;
      if (slo.ttftMs !== undefined && (t - ctx.sentAt) > slo.ttftMs) meets = false;
    }
    h[M.outputTokens].recordValue(Math.max(0, outTokens));
    h[M.inputTokens].recordValue(Math.max(0, inTokens));
    c[C.outputTokens] += outTokens;
    c[C.inputTokens] += inTokens;
    if (outTokens < ctx.req!.outputTokens) {
      c[C.short]++;
      acct.short(finishReason);
    } else acct.checkMax(outTokens, ctx.req!.outputTokens);
    return meets;
  }

  /** A non-streamed answer's text is always at hand; the divergence is still sampled, to bound the tokenizer's cost. */
  private nonStreamKeep(acct: TokenAccounting): KeepText {
    const k = acct.wantText();
    return k === KEEP_NONE ? KEEP_FALLBACK : k;
  }

  /** StreamObserver: a content chunk arrived at `nowMs` for the current ctx; its ITL is recorded when the stream ends ok. */
  onToken(nowMs: number, tokens: number, piece: string, fromUsage: boolean): void {
    this.streaming!.chunkLog!.add(nowMs, tokens, piece, fromUsage);
  }

  /** The ctx whose stream is being parsed right now (parsing is synchronous, one at a time). */
  streaming: Ctx | null = null;

  // ---- deadlines and intervals ------------------------------------------------------------

  private checkDeadlines(): void {
    const fb = this.firstByteMs;
    const t = now();
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
      else if (wl.firstTokenTimeoutMs > 0 && age > wl.firstTokenTimeoutMs && !(c.sse!.firstTokenMs >= 0)) c.abort(wl.firstTokenTimeoutError);
    }
  }

  private scheduleFlush(): void {
    const next = this.measureStart + (this.intervalIndex + 1) * this.task.intervalMs;
    const delay = Math.max(0, next - now());
    this.timers.push(
      setTimeout(() => {
        this.flush(false);
        if (!this.aborted) this.scheduleFlush();
      }, delay),
    );
  }

  /**
   * Ends an interval: takes its counters and swaps its histograms for the spare set at once, then
   * encodes them one per event-loop turn and posts the record. Encoding every histogram in one go
   * held the loop for 2–12 ms once a second (measured), and that stall was the worker's p99 event-
   * loop lag and a visible part of scheduleLag p99; one histogram is a few hundred µs.
   */
  private flush(final: boolean): void {
    if (this.pending) this.finishPending();
    // Intervals are counted from the measured start; the warm-up's recordings are discarded.
    const t = now();
    if (t < this.measureStart && !final) {
      this.resetAll();
      return;
    }
    const jobs: EncodeJob[] = [];
    const taken: Histogram[][] = [];
    const workloads: WorkloadInterval[] = this.wls.map((wl) => {
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
        hist,
        ...(wl.tokens !== null ? { tokens: wl.tokens.take() } : {}),
      };
    });
    const health = [this.loopLag, this.dispatchLag, this.connWait, this.queueWait];
    [this.loopLag, this.dispatchLag, this.connWait, this.queueWait] = this.spareHealth!;
    this.spareHealth = null;
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const healthRec: IntervalRecord['health'] = { loopLagUs: undefined, dispatchLagUs: undefined, elu: Math.round(elu.utilization * 1000) / 1000, ...this.takeIntervalClock(t) };
    const keys = ['loopLagUs', 'dispatchLagUs', 'connWaitUs', 'queueWaitUs'] as const;
    for (let i = 0; i < keys.length; i++) if (health[i].totalCount > 0) jobs.push({ into: healthRec, key: keys[i], h: health[i] });
    const rec: IntervalRecord = {
      type: 'interval',
      shard: this.task.shard,
      worker: this.task.worker,
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
    this.task.port.postMessage(p.rec);
    p.taken.forEach((hs, i) => {
      for (const h of hs) h.reset();
      this.wls[i].spare = hs;
    });
    for (const h of p.health) h.reset();
    this.spareHealth = p.health;
  }

  /** Discards the warm-up's recordings. */
  private resetAll(): void {
    this.resetCounters();
    for (const wl of this.wls) {
      for (const h of wl.hist) h.reset();
      wl.tokens?.reset();
    }
    this.loopLag.reset();
    this.dispatchLag.reset();
    this.connWait.reset();
    this.queueWait.reset();
  }

  private startIntervalClock(): void {
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

const timeoutError = Object.assign(new Error(TIMEOUT_MARK), { name: TIMEOUT_MARK });
const firstByteTimeoutError = Object.assign(new Error('no response within target.firstByteTimeout'), { name: TIMEOUT_MARK });
const overCapError = Object.assign(new Error('response exceeded target.maxResponseBytes; the rest was not read'), { name: OVER_CAP_MARK });

/**
 * One in-flight request: undici's handler object, reused from a free list. It holds the request's
 * instants and its response parser; nothing here is allocated per request except what undici and
 * JSON.parse allocate themselves.
 */
class Ctx {
  wl: WlState | null = null;
  req: PreparedRequest | null = null;
  active = false;
  measured = false;
  intended = 0;
  dispatchedAt = 0;
  sentAt = NaN;
  status = 0;
  promptTokens = -1;
  completionTokens = 0;
  /** Non-streamed answers: the generated text and finish reason, for the token count and short outputs. */
  text = '';
  finishReason: string | null = null;
  /** Streams: whether and why this one keeps its text for the tokenizer (see engine/tokens.ts). */
  keepText: KeepText = KEEP_NONE;
  sse: SseTokenParser | null = null;
  /** Streams: this attempt's content chunks, for per-token ITL (made on first use, like `sse`). */
  chunkLog: ChunkLog | null = null;
  /** Extra attempts made so far (target.retry). */
  attempt = 0;
  /** Waiting out a retry backoff: no deadline runs, no socket is held. */
  inBackoff = false;
  /** A 2xx stream's headers arrived: from here on the request is never retried. */
  streamStarted = false;
  /** Bytes of this attempt's response body, against target.maxResponseBytes. */
  private bodyBytes = 0;
  /** The content-type of a 2xx answer to a stream request that is not an event stream, else null. */
  private badType: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryClass: string | null = null;
  private retryMessage: string | null = null;
  /** Bound once: the backoff timer must not need a fresh closure per retry. */
  private readonly resend = (): void => {
    this.retryTimer = null;
    this.inBackoff = false;
    this.resetAttempt();
    this.w.redispatch(this);
  };
  private sseKind: string = '';
  private readonly body = new JsonBodyCollector();
  private abortFn: ((err?: Error) => void) | null = null;
  private pendingAbort: Error | null = null;
  private ended = false;
  readonly opts: Dispatcher.DispatchOptions & H1Request;

  constructor(
    private readonly w: Worker,
    readonly id: number,
  ) {
    this.opts = { path: '/', method: 'POST', headers: [] as string[], body: null, ...(w.servername ? { servername: w.servername } : {}) } as never;
  }

  start(wl: WlState, req: PreparedRequest, intended: number, t: number, measured: boolean): void {
    this.wl = wl;
    this.req = req;
    this.active = true;
    this.measured = measured;
    this.intended = intended;
    this.dispatchedAt = t;
    this.sentAt = NaN;
    this.text = '';
    this.finishReason = null;
    this.attempt = 0;
    this.inBackoff = false;
    this.streamStarted = false;
    this.clearAttempt();
    const o = this.opts as { path: string; headers: readonly string[]; body: Buffer | null };
    o.path = wl.prep.path;
    o.headers = wl.prep.headers;
    o.body = req.body;
    if (wl.prep.stream) {
      const kind = wl.prep.kind === 'chat' ? 'chat' : 'completion';
      if (!this.sse || this.sseKind !== kind) {
        this.sse = new SseTokenParser(kind);
        this.sseKind = kind;
      }
      this.keepText = wl.tokens!.wantText();
      this.sse.reset(this.w, this.keepText !== KEEP_NONE);
      this.chunkLog ??= new ChunkLog();
    }
    // Bodies are collected on every kind: for the answer, or for the message an error body carries.
    this.body.reset(this.w.maxBodyBytes);
  }

  /** What one attempt's response leaves behind (status, tokens, body size, abort hook). */
  private clearAttempt(): void {
    this.ended = false;
    this.status = 0;
    this.chunkLog?.reset();
    this.promptTokens = -1;
    this.completionTokens = 0;
    this.abortFn = null;
    this.pendingAbort = null;
    this.bodyBytes = 0;
    this.badType = null;
  }

  /** Per-attempt state back to a fresh request's, before a retry goes out. */
  private resetAttempt(): void {
    this.clearAttempt();
    if (this.sse) this.sse.reset(this.w);
    this.body.reset(this.w.maxBodyBytes);
  }

  retryAfter(delayMs: number, errClass: string, message: string | null): void {
    this.inBackoff = true;
    this.retryClass = errClass;
    this.retryMessage = message;
    this.retryTimer = setTimeout(this.resend, delayMs);
  }

  release(): void {
    this.active = false;
    this.wl = null;
    this.req = null;
    this.abortFn = null;
    this.text = '';
  }

  abort(err: Error): void {
    if (this.inBackoff) {
      // Stopped while waiting to retry: the request ends with the failure it already had.
      clearTimeout(this.retryTimer!);
      this.retryTimer = null;
      this.inBackoff = false;
      this.ended = true;
      this.w.complete(this, this.retryClass, this.retryMessage);
      return;
    }
    if (!this.active || this.ended) return;
    if (this.abortFn) this.abortFn(err);
    else this.pendingAbort = err;
  }

  // undici's core calls these (onConnect/onHeaders/onData/onComplete/onError) natively; the newer
  // onRequestStart/onResponse* interface is adapted through a wrapper that allocates a controller
  // and parses the headers into an object on every request. Measured: the wrapper cost the
  // generator a large share of its ceiling, so the hot path speaks the core interface directly.
  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.pendingAbort) {
      abort(this.pendingAbort);
      return;
    }
    if (this.sentAt !== this.sentAt) {
      this.sentAt = performance.now();
      if (this.measured && this.sentAt > this.w.lastSentAt) this.w.lastSentAt = this.sentAt;
      if (this.measured) this.w.connWait.recordValue(Math.round((this.sentAt - this.dispatchedAt) * 1000));
    }
  }

  onHeaders(statusCode: number, rawHeaders?: Buffer[] | string[] | null): boolean {
    this.status = statusCode;
    // undici reads a body of an unknown transfer coding until the close (the lean client refuses it).
    const bad = rawHeaders ? transferCodingError(rawHeaders) : null;
    if (bad !== null) {
      this.abort(bad);
      return false;
    }
    if (this.wl!.prep.stream && statusCode >= 200 && statusCode < 300) {
      this.streamStarted = true;
      // A gateway's HTML page or a JSON answer is not a stream: parse it as a body, not as SSE.
      if (rawHeaders) {
        for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
          const k = rawHeaders[i];
          if (k.length !== 12 || String(k).toLowerCase() !== 'content-type') continue;
          const v = String(rawHeaders[i + 1]);
          if (!v.toLowerCase().includes('text/event-stream')) this.badType = v;
          break;
        }
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.w.maxBodyBytes) {
      this.abort(overCapError);
      return false;
    }
    if (this.wl!.prep.stream && this.status >= 200 && this.status < 300 && this.badType === null) {
      const t = performance.now();
      this.w.streaming = this;
      this.sse!.push(chunk, t);
      this.w.streaming = null;
    } else {
      this.body.push(chunk);
    }
    return true;
  }

  onComplete(): void {
    this.finishResponse();
  }

  onError(err: Error): void {
    if (this.ended || !this.active) return;
    this.ended = true;
    const st = this.status;
    // An oversized error body is still the HTTP error it announced.
    if (err === overCapError && isHttpStatus(st) && (st < 200 || st >= 300)) this.w.complete(this, `http_${st}`, `HTTP ${st} (body over target.maxResponseBytes)`);
    else this.w.complete(this, classifyError(err), describeError(err));
  }

  private finishResponse(): void {
    if (this.ended) return;
    this.ended = true;
    const st = this.status;
    if (!isHttpStatus(st)) {
      this.w.complete(this, 'invalid_response', `HTTP status ${st} is outside 100–599`);
      return;
    }
    if (st < 200 || st >= 300) {
      const msg = errorMessageOf(this.body.json()) ?? (this.body.json() === undefined ? this.body.textSnippet(200, this.w.redact) : '');
      this.w.complete(this, `http_${st}`, msg ? `HTTP ${st}: ${msg}` : `HTTP ${st}`);
      return;
    }
    const prep = this.wl!.prep;
    if (this.badType !== null) {
      const msg = errorMessageOf(this.body.json()) ?? this.body.textSnippet(120, this.w.redact);
      this.w.complete(this, 'invalid_response', `expected text/event-stream, got ${this.badType}${msg ? `: ${msg}` : ''}`);
      return;
    }
    if (prep.stream) {
      const p = this.sse!;
      const t = performance.now();
      this.w.streaming = this;
      p.end(t);
      this.w.streaming = null;
      if (p.errorClass !== null) this.w.complete(this, p.errorClass, p.errorMessage);
      else this.w.complete(this, null, null);
      return;
    }
    if (this.body.overCap) {
      this.w.complete(this, 'invalid_response', `response body over ${this.body.bytes} bytes cap`);
      return;
    }
    const json = this.body.json();
    if (prep.generative) {
      const r = parseCompletionResponse(prep.kind === 'chat' ? 'chat' : 'completion', json);
      if ('error' in r) {
        this.w.complete(this, 'invalid_response', r.error);
        return;
      }
      this.promptTokens = r.promptTokens;
      this.completionTokens = r.completionTokens;
      this.text = r.text;
      this.finishReason = r.finishReason;
      this.w.complete(this, null, null);
      return;
    }
    if (json === undefined || !checkPredictResponse(prep.kind as 'predict', json)) {
      this.w.complete(this, 'invalid_response', json === undefined ? 'response is not valid JSON' : 'response lacks predictions');
      return;
    }
    this.w.complete(this, null, null);
  }
}
