/**
 * The coordinator (main thread): starts the embedded mock if asked, checks the target can be
 * reached, starts the workers on piscina, hands them one common start instant, streams their
 * interval records to results.ndjson as they arrive, and builds the summary at the end.
 */
import { Piscina } from 'piscina';
import { MessageChannel } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { request as undiciRequest, Agent } from 'undici';
import { ServebenchError, type ErrorCode } from '../errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { VERSION } from '../version.js';
import { SCHEMA_VERSION, type EndRecord, type IntervalRecord, type RunInfo, type RunRecord, type StartRecord } from '../metrics/records.js';
import { progressOf, type Progress } from '../metrics/progress.js';
import { rampSlotCount } from '../schedule/plan.js';
import { displayUrl, requestTarget } from '../target/url.js';
import { classifyError, describeError } from './classify.js';
import { compiledSibling } from './paths.js';
import { tlsSettings } from '../transport/tls.js';
import type { ControlMessage, WorkerResult, WorkerTask } from './worker.js';
import type { RequestsMessage } from './request-log.js';
import { startMockInThread, mockConfigFrom, type MockServer } from '../mock/index.js';
import { Redactor } from '../util/redact.js';
import { packBodies } from '../workload/shared-bodies.js';
import { globalWorkerIndex, parseShardId } from '../schedule/shard.js';
import { scenarioFingerprint } from '../scenario/fingerprint.js';
import { workerErrorWarning } from '../metrics/summary.js';
import { DEFAULTS } from '../scenario/schema.js';
import { workersOverCoresWarning } from '../metrics/health.js';
import { availableParallelism } from 'node:os';
import { startServerMetrics, type ServerMetrics } from '../server-metrics/index.js';
import { loadSharedTrace } from './trace-replay.js';
import type { SharedTrace } from '../schedule/trace.js';

const DEFAULT_MAX_RESPONSE_BYTES = DEFAULTS.maxResponseBytes;

export interface RunOptions {
  /** Shard id "i/n": this process takes slots i, i+n, … of the plan. */
  shard?: { index: number; count: number };
  /** Wall-clock ms at which slot 0 is due (all shards start together); default: as soon as ready. */
  startAtEpochMs?: number;
  /** Called with every record as it arrives (results.ndjson writer). */
  onRecord?: (r: RunRecord) => void;
  /** --requests: a batch of requests.csv.gz rows (CSV text, header excluded) as a worker posts it. */
  onRequests?: (text: string) => void;
  onProgress?: (p: Progress) => void;
  onWarning?: (msg: string) => void;
  /** Time in-flight requests get to finish after a stop. */
  graceMs?: number;
  intervalMs?: number;
}

export interface RunOutcome {
  records: RunRecord[];
  interrupted: boolean;
}

export interface RunHandle {
  /** Stop sending; in-flight requests get the grace period. `reason` goes into the end record. */
  stop(reason?: string): void;
  /** Stop at once. */
  abort(): void;
  readonly done: Promise<RunOutcome>;
}

/** Target rate of the plan, for reports (ramp: the average over its stages). */
export function plannedRps(s: ResolvedScenario): number {
  const l = s.load;
  if (l.type === 'ramp') {
    const ms = l.durationMs;
    return ms > 0 ? rampSlotCount(l.rps, l.stages) / (ms / 1000) : 0;
  }
  if (l.type === 'concurrency') return 0;
  return l.rps;
}

export function runInfo(s: ResolvedScenario, shard: string, measureStartEpochMs: number, fingerprint?: string): RunInfo {
  const t = s.target;
  // A shard is asked for its part of the plan's rate; `merge` sums the parts back.
  const shardCount = parseShardId(shard).count;
  return {
    schemaVersion: SCHEMA_VERSION,
    servebenchVersion: VERSION,
    scenario: { name: s.name, file: s.file },
    target: { url: t.embedded ? 'embedded' : displayUrl(t.url), routing: t.routing, client: t.client, project: t.project, deployment: t.deployment, embedded: t.embedded },
    load: {
      type: s.load.type,
      // 6 decimals for a shard's part so that the parts sum back to the plan's rate at 3.
      targetRps: Math.round((plannedRps(s) / shardCount) * (shardCount > 1 ? 1e6 : 1e3)) / (shardCount > 1 ? 1e6 : 1e3),
      durationMs: s.load.durationMs,
      warmupMs: s.load.warmupMs,
      requests: s.load.requests,
      workers: s.load.workers,
      connections: s.load.connections,
      maxInFlight: s.load.maxInFlight,
      onSaturation: s.load.onSaturation,
      concurrency: s.load.concurrency,
    },
    workloads: s.workloads.map((w) => ({ name: w.name, kind: w.kind, model: w.model, weight: w.weight, stream: w.stream })),
    slo: s.slo,
    thresholds: s.thresholds,
    measureStartEpochMs,
    startedAt: new Date(measureStartEpochMs).toISOString(),
    shard,
    ...(fingerprint ? { scenarioFingerprint: fingerprint } : {}),
    cores: availableParallelism(),
    singleThreadedGc: singleThreadedGc(),
  };
}

/** Starts the mock gateway for `url: embedded` and returns the scenario pointed at it. */
export async function withEmbeddedMock(s: ResolvedScenario): Promise<{ scenario: ResolvedScenario; mock: MockServer | null }> {
  if (!s.target.embedded) return { scenario: s, mock: null };
  const t = s.target;
  // A key made up for this run, unless the scenario brings one: the mock checks it like a gateway.
  const apiKey = t.apiKey ?? `embedded-${randomBytes(12).toString('hex')}`;
  const cfg = mockConfigFrom({
    ...(t.mock ?? {}),
    deployments: [{ project: t.project, deployment: t.deployment, models: [] }],
    knativeDomain: t.knativeDomain,
    apiKeys: [apiKey],
  });
  const mock = await startMockInThread(cfg);
  return { scenario: { ...s, target: { ...t, url: mock.url, apiKey } }, mock };
}

/** One request before the run: any HTTP answer means the target is reachable. */
async function preflight(s: ResolvedScenario, warn: (m: string) => void, redactor: Redactor, signal: AbortSignal): Promise<void> {
  const w = s.workloads[0];
  const rt = requestTarget(s.target, w.kind, w.model);
  const path = w.kind === 'chat' || w.kind === 'completion' || w.kind === 'embedding' ? rt.path.replace(/\/((chat\/)?completions|embeddings)$/, '/models') : rt.path.replace(/:(predict|classify|regress)$/, '').replace(/\/infer$/, '');
  const agent = new Agent({ connect: { timeout: s.target.connectTimeoutMs, ...tlsSettings(rt.origin, s.target.tls) } });
  try {
    const res = await undiciRequest(rt.origin + path, {
      method: 'GET',
      headers: rt.headers,
      dispatcher: agent,
      headersTimeout: s.target.timeoutMs,
      bodyTimeout: s.target.timeoutMs,
      signal,
    });
    await res.body.dump();
    const problem = checkAnswerProblem(res.statusCode, s, displayUrl(rt.origin) + path, rt.headers.host);
    if (problem) warn(problem);
  } catch (err) {
    if (signal.aborted) throw interruptedBeforeStart(displayUrl(rt.origin));
    const cls = classifyError(err);
    const msg = redactor.redact(describeError(err));
    const tlsLike = /CERT|TLS|SSL|self[- ]signed/i.test(msg);
    if (tlsLike) {
      throw new ServebenchError('E_TLS', `TLS handshake with ${displayUrl(rt.origin)} failed: ${msg}`, {
        hint: 'trust the gateway certificate with target.tls.caFile, or (not for production) target.tls.insecure: true',
      });
    }
    if (cls === 'connect' || cls === 'timeout' || cls === 'reset') {
      throw new ServebenchError('E_TARGET', `cannot reach ${displayUrl(rt.origin)}: ${msg}`, { hint: 'check target.url, the port, and that the gateway is up' });
    }
  } finally {
    await agent.close().catch(() => undefined);
  }
}

/** What a check request's status says is wrong, naming the URL tried; null when nothing is. */
export function checkAnswerProblem(status: number, s: ResolvedScenario, url: string, host: string | undefined): string | null {
  const tried = `GET ${url}${host ? ` (Host: ${host})` : ''}`;
  const where = `${s.target.project}/${s.target.deployment}`;
  const keyFrom = s.target.embedded ? 'the key' : 'the key in target.apiKey';
  if (status === 404) return `no route for ${where}: the check request ${tried} answered 404 Not Found; check target.project, target.deployment, target.routing and the model name`;
  if (status === 401) {
    return s.target.apiKey
      ? `${keyFrom} was refused: the check request ${tried} answered 401 Unauthorized; is it the right key for this gateway, and still valid?`
      : `the check request ${tried} answered 401 Unauthorized and no API key is set: set target.apiKey or target.apiKeyFile`;
  }
  if (status === 403) {
    return s.target.apiKey
      ? `${keyFrom} was refused for ${where}: the check request ${tried} answered 403 Forbidden; does the key have access to project ${s.target.project}?`
      : `the check request ${tried} answered 403 Forbidden and no API key is set: set target.apiKey or target.apiKeyFile`;
  }
  return null;
}

function interruptedBeforeStart(origin: string): ServebenchError {
  return new ServebenchError('E_INTERRUPTED', `interrupted during the check request to ${origin}; nothing was sent`);
}

/**
 * Whether this process runs V8's GC on the collecting thread alone. The servebench command starts
 * node with --single-threaded-gc (its shebang, `npm start`, the container's entrypoint): V8's GC
 * helper threads otherwise compete with the workers for cores, and a worker waiting for them to be
 * scheduled misses its slots. The flag cannot be switched on at run time: V8 aborts when an
 * incremental marking that began concurrent finishes single-threaded (seen here).
 */
function singleThreadedGc(): boolean {
  return process.execArgv.some((a) => a === '--single-threaded-gc' || a === '--single_threaded_gc');
}

/**
 * The worker's young generation: 12 MB (4 MB semi-spaces, a third of V8's default). It fills more
 * often, but each scavenge holds the worker's loop for less (10k rps: median 0.3 ms, p90 0.5 ms,
 * against 0.8-1.1 and 1.4-1.6 ms at V8's default size), and a pause delays the slots inside it.
 */
const WORKER_YOUNG_GEN_MB = 12;

/** A worker's outcome as collect() sees it: its result, or the error that ended it. */
type WorkerOutcome = WorkerResult | { worker: number; error: { code: string; message: string } };

/** A run's stop and abort, from the handle to the workers (and to the check request before them). */
class RunControl {
  readonly ports = new Set<MessageChannel['port1']>();
  requested: 'stop' | 'abort' | null = null;
  reason: string | undefined;
  /** Wall-clock instant of the first stop: an interrupted run is measured to here, not to the end of the grace period. */
  stoppedAtEpochMs: number | undefined;
  /** Aborts the check request when a stop comes before the run has started. */
  readonly checkAbort = new AbortController();

  constructor(private readonly graceMs: number) {}

  send(m: ControlMessage): void {
    for (const p of this.ports) p.postMessage(m);
  }
  stop(reason?: string): void {
    this.reason ??= reason;
    this.requested ??= 'stop';
    this.stoppedAtEpochMs ??= Date.now();
    this.checkAbort.abort();
    this.send({ type: 'stop', graceMs: this.graceMs });
  }
  abort(): void {
    this.requested = 'abort';
    this.stoppedAtEpochMs ??= Date.now();
    this.checkAbort.abort();
    this.send({ type: 'abort' });
  }
}

/** What set-up prepared: the pool, the shard, the workers' scenario, and where records go. */
interface RunSetUp {
  s: ResolvedScenario;
  piscina: Piscina;
  shardIndex: number;
  shardCount: number;
  shard: string;
  workers: number;
  sharedBodies: Array<ReturnType<typeof packBodies> | null>;
  sharedTrace?: SharedTrace;
  workerScenario: ResolvedScenario;
  records: RunRecord[];
  emit(r: RunRecord): void;
  onInterval(r: IntervalRecord): void;
}

export function startRun(scenarioIn: ResolvedScenario, opts: RunOptions = {}): RunHandle {
  const ctl = new RunControl(opts.graceMs ?? Math.min(scenarioIn.target.timeoutMs, 10_000));
  const done = (async (): Promise<RunOutcome> => {
    const warn = opts.onWarning ?? (() => undefined);
    const redactor = new Redactor([scenarioIn.target.apiKey]);
    // Of the scenario as the user wrote it (before the embedded mock's address is filled in).
    const fingerprint = scenarioFingerprint(scenarioIn);
    const { scenario: s, mock } = await withEmbeddedMock(scenarioIn);
    let piscina: Piscina | null = null;
    let serverMetrics: ServerMetrics | null = null; // server-metrics hook
    try {
      await preflight(s, warn, redactor, ctl.checkAbort.signal);
      if (ctl.checkAbort.signal.aborted) throw interruptedBeforeStart(s.target.embedded ? 'the embedded mock' : displayUrl(s.target.url));
      const run = setUpRun(s, opts, warn);
      piscina = run.piscina;
      const workers = startWorkers(run, ctl, opts, redactor, warn);
      const measureStartEpochMs = await startLoad(run, workers, ctl, opts, redactor, warn, (shard, at) => runInfo(scenarioIn, shard, at, fingerprint));
      // server-metrics hook: scraped from this thread with its own timeouts, never by the workers.
      if (s.server) serverMetrics = startServerMetrics(s.server, { shard: run.shard, emit: run.emit, warn: (m) => warn(redactor.redact(m)), embeddedOrigin: mock?.url });
      const startEpochMs = measureStartEpochMs - s.load.warmupMs;
      // The last scrapes and the PromQL queries go in before the end record.
      return await collect(run, workers, ctl, measureStartEpochMs, async () => void (await serverMetrics?.finish(startEpochMs)));
    } finally {
      await serverMetrics?.close(); // server-metrics hook
      for (const p of ctl.ports) p.close();
      await piscina?.destroy().catch(() => undefined);
      await mock?.close().catch(() => undefined);
    }
  })();
  return { stop: (reason?: string) => ctl.stop(reason), abort: () => ctl.abort(), done };
}

/** Set-up: the shard, the worker pool, the bodies shared by every worker, and the record stream. */
function setUpRun(s: ResolvedScenario, opts: RunOptions, warn: (m: string) => void): RunSetUp {
  const shardIndex = opts.shard?.index ?? 0;
  const shardCount = opts.shard?.count ?? 1;
  // load.type trace: the records packed once into shared memory, read in place by every worker.
  const sharedTrace = s.load.type === 'trace' ? loadSharedTrace(s) : undefined;
  const workers = s.load.workers;
  const overCores = workersOverCoresWarning(workers, availableParallelism());
  if (overCores) warn(overCores);
  const piscina = new Piscina({
    filename: compiledSibling(import.meta.url, 'worker'),
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 1000,
    concurrentTasksPerWorker: 1,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GEN_MB },
  });
  // One serialized copy of the predict bodies for all workers, not a clone and a copy in each.
  const sharedBodies = s.workloads.map((w) => (w.bodies.length > 0 ? packBodies(w.bodies) : null));
  const workerScenario: ResolvedScenario = { ...s, workloads: s.workloads.map((w, i) => (sharedBodies[i] ? { ...w, bodies: [] } : w)) };
  const records: RunRecord[] = [];
  const emit = (r: RunRecord) => {
    records.push(r);
    opts.onRecord?.(r);
  };
  const progress = new Map<number, { n: number; recs: IntervalRecord[] }>();
  // The record after the window holds only late completions: a progress line for it reads as
  // a second of load that sent nothing. A run of `requests` has no fixed window (see below).
  const windowIntervals = s.load.requests > 0 ? Infinity : Math.ceil(s.load.durationMs / (opts.intervalMs ?? 1000));
  const onInterval = (r: IntervalRecord) => {
    emit(r);
    if (!opts.onProgress || r.index >= windowIntervals) return;
    const e = progress.get(r.index) ?? { n: 0, recs: [] };
    e.n++;
    e.recs.push(r);
    progress.set(r.index, e);
    if (e.n === workers) {
      progress.delete(r.index);
      const p = progressOf(r.index, e.recs);
      if (s.load.requests > 0 && p.sent === 0 && p.inFlight === 0) return; // after the last request
      opts.onProgress(p);
    }
  };
  return { s, piscina, shardIndex, shardCount, shard: `${shardIndex}/${shardCount}`, workers, sharedBodies, sharedTrace, workerScenario, records, emit, onInterval };
}

/** The workers started: each task's outcome, when all are ready, and when each has posted its last record. */
interface StartedWorkers {
  tasks: Array<Promise<WorkerOutcome>>;
  drained: Array<Promise<void>>;
  ready: Promise<void>;
  setupErrors: NonNullable<WorkerResult['setupError']>[];
  cpuStart: NodeJS.CpuUsage;
  wallStart: number;
}

/** Start: one task per worker on the pool, each with its control port; they get ready, then wait for the start instant. */
function startWorkers(run: RunSetUp, ctl: RunControl, opts: RunOptions, redactor: Redactor, warn: (m: string) => void): StartedWorkers {
  const { workers, shardIndex, shardCount } = run;
  let readyCount = 0;
  let failedWorkers = 0;
  const setupErrors: NonNullable<WorkerResult['setupError']>[] = [];
  let allReady!: () => void;
  const ready = new Promise<void>((res) => (allReady = res));
  const oneReady = () => {
    if (++readyCount === workers) allReady();
  };
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const tasks: Array<Promise<WorkerOutcome>> = [];
  const drained: Array<Promise<void>> = [];
  for (let k = 0; k < workers; k++) {
    const ch = new MessageChannel();
    ctl.ports.add(ch.port1);
    let portDone!: () => void;
    drained.push(new Promise<void>((res) => (portDone = res)));
    ch.port1.on('message', (m: IntervalRecord | RequestsMessage | { type: 'ready' } | { type: 'done' }) => {
      if (m.type === 'ready') oneReady();
      else if (m.type === 'done') portDone();
      else if (m.type === 'requests') opts.onRequests?.(m.text);
      else run.onInterval(m);
    });
    const task: WorkerTask = {
      scenario: run.workerScenario,
      sharedBodies: run.sharedBodies,
      ...(run.sharedTrace ? { sharedTrace: run.sharedTrace } : {}),
      // Worker k of this shard is worker shardIndex + k*shardCount of the whole plan: every
      // shard and worker strides through one sequence, so merged arrivals are the plan itself.
      worker: globalWorkerIndex({ index: shardIndex, count: shardCount }, k),
      workers: workers * shardCount,
      shard: run.shard,
      port: ch.port2,
      intervalMs: opts.intervalMs ?? 1000,
      maxBodyBytes: run.s.target.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      // Rows only when someone files them (a run with output.requests, not a sweep step or a round).
      logRequests: opts.onRequests !== undefined,
    };
    tasks.push(
      run.piscina.run(task, { transferList: [ch.port2] }).then(
        (r: WorkerResult) => {
          if (!r.setupError) return r;
          setupErrors.push(r.setupError);
          oneReady();
          portDone();
          return { worker: k, error: { code: r.setupError.code, message: redactor.redact(r.setupError.message) } };
        },
        (err: unknown) => {
          const e = err as { code?: string; message?: string };
          oneReady();
          failedWorkers++;
          // A dead thread posts no 'done': give what it posted before dying a moment to arrive
          // (another channel than this rejection), then take its records as complete.
          setTimeout(portDone, 100).unref();
          // Told at once, not only in the summary: the user sees the rate fall as it happens.
          warn(workerErrorWarning({ worker: k, message: redactor.redact(e.message ?? String(err)) }, failedWorkers, workers));
          return { worker: k, error: { code: e.code ?? 'E_WORKER', message: redactor.redact(e.message ?? String(err)) } };
        },
      ),
    );
  }
  return { tasks, drained, ready, setupErrors, cpuStart, wallStart };
}

/**
 * Once every worker is ready: one common start instant, the start record, and the go. A worker
 * that could not prepare its requests (a dataset, a tokenizer) stops the run before anything is
 * sent. Returns the instant measuring starts (after the warm-up).
 */
async function startLoad(run: RunSetUp, w: StartedWorkers, ctl: RunControl, opts: RunOptions, redactor: Redactor, warn: (m: string) => void, info: (shard: string, measureStartEpochMs: number) => RunInfo): Promise<number> {
  await w.ready;
  if (w.setupErrors.length > 0) {
    ctl.send({ type: 'abort' });
    await Promise.all(w.tasks);
    const e = w.setupErrors[0];
    throw new ServebenchError(e.code as ErrorCode, redactor.redact(e.message), e.hint ? { hint: redactor.redact(e.hint) } : {});
  }
  if (ctl.requested) ctl.send({ type: 'abort' });
  // Slot 0 a little after everyone is ready, so no worker starts with a backlog.
  const startEpochMs = opts.startAtEpochMs ?? Date.now() + 50;
  if (opts.startAtEpochMs !== undefined && opts.startAtEpochMs < Date.now()) {
    warn(`--start-at was ${Date.now() - opts.startAtEpochMs} ms ago when the workers were ready: the first slots go out late (schedule lag); pick a start further ahead`);
  }
  const measureStartEpochMs = startEpochMs + run.s.load.warmupMs;
  const startRec: StartRecord = { type: 'start', run: info(run.shard, measureStartEpochMs) };
  run.emit(startRec);
  ctl.send({ type: 'start', startEpochMs });
  return measureStartEpochMs;
}

/** Collect: every worker's outcome and last records, then the end record. */
async function collect(run: RunSetUp, w: StartedWorkers, ctl: RunControl, measureStartEpochMs: number, beforeEnd?: () => Promise<void>): Promise<RunOutcome> {
  const { s, shard } = run;
  const results = await Promise.all(w.tasks);
  // Every record a worker posted is in before the run is closed (a dead worker posts no 'done').
  await Promise.race([Promise.all(w.drained), new Promise((res) => setTimeout(res, 2000).unref())]);
  const cpu = process.cpuUsage(w.cpuStart);
  const wallMs = performance.now() - w.wallStart;
  await beforeEnd?.();
  const workerErrors = results.filter((r): r is Extract<WorkerOutcome, { error: unknown }> => 'error' in r).map((r) => ({ worker: r.worker, ...r.error }));
  const interrupted = ctl.requested !== null || results.some((r) => 'interrupted' in r && r.interrupted);
  if (workerErrors.length === run.workers) {
    // Close results.ndjson properly first, so `servebench report` can still read what was measured.
    run.emit({ type: 'end', shard, measuredDurationMs: measuredDurationMs(s, results, measureStartEpochMs, true, ctl.stoppedAtEpochMs), interrupted: true, cpuPercent: 0, workerErrors, endedAt: new Date().toISOString() });
    throw new ServebenchError('E_WORKER', `every worker failed: ${workerErrors[0].message}`, { hint: 'results.ndjson holds the intervals measured before; --verbose shows more' });
  }
  const end: EndRecord = {
    type: 'end',
    shard,
    measuredDurationMs: measuredDurationMs(s, results, measureStartEpochMs, interrupted, ctl.stoppedAtEpochMs),
    sendOverrunMs: Math.max(0, ...results.map((r) => ('sendOverrunMs' in r ? r.sendOverrunMs : 0))),
    // The plan's own count (a Poisson plan's seed decides it), not rate × duration.
    ...(s.load.type === 'concurrency' ? {} : { plannedSlots: results.reduce((n, r) => n + ('measuredSlots' in r ? (r.measuredSlots ?? 0) : 0), 0) }),
    interrupted,
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10,
    workerErrors,
    endedAt: new Date().toISOString(),
    ...(ctl.reason ? { stopReason: ctl.reason } : {}),
  };
  run.emit(end);
  return { records: run.records, interrupted };
}

/** The measured window: the plan's duration, or as far as the run got when it stopped early. */
function measuredDurationMs(s: ResolvedScenario, results: Array<WorkerResult | { worker: number }>, measureStartEpochMs: number, interrupted: boolean, stoppedAtEpochMs?: number): number {
  const l = s.load;
  const planned = l.durationMs;
  // To the stop: the grace period after it sends nothing, and counting it would lower the rate.
  if (interrupted) return Math.max(0, Math.min(planned, (stoppedAtEpochMs ?? Date.now()) - measureStartEpochMs));
  if (l.requests > 0) {
    // Count mode: up to one slot gap after the last measured slot.
    const last = Math.max(-1, ...results.map((r) => ('lastMeasuredSlotMs' in r ? r.lastMeasuredSlotMs : -1)));
    const gap = l.rps > 0 ? 1000 / l.rps : 0;
    return last < 0 ? 0 : last - l.warmupMs + gap;
  }
  return planned;
}
