/**
 * Builds the run summary (summary.json) from run records. The same function serves a live run,
 * `servebench report` on a killed run's results.ndjson, and `merge` of shards: totals are sums,
 * percentiles come from merged histograms, never from averaged percentiles.
 */
import { ServebenchError } from '../errors.js';
import { evaluateThresholds } from './thresholds.js';
import { CLOSED_LOOP_NOTE, GeneratorHealth, SCHEDULE_LAG_BOUND_MS, workersOverCoresWarning, type WorkerHealth } from './health.js';
import { decode, encode, newAccumulator, statsOf, type Histogram } from './hdr.js';
import { diagnose, HealthFacts } from './diagnosis.js';
import {
  METRICS,
  SCHEMA_VERSION,
  metricScale,
  type EndRecord,
  type IntervalRecord,
  type MergeRecord,
  type MetricName,
  type RunInfo,
  type RunRecord,
  type StartRecord,
} from './records.js';
import { mergeInfoOf, type MergeInfo } from './merge.js';
import type { MetricSummary, Summary, TimeseriesRow, Totals, WorkloadSummary } from './summary-types.js';

export type * from './summary-types.js';
import { addTokenInterval, emptyTokenInterval, tokenCountsSummary, type TokenInterval } from './tokens.js';
import { latencyHeatmaps } from './heatmap.js';
import { serverSection } from '../server-metrics/section.js';
import type { ServerRecord } from '../server-metrics/types.js';
import { round3 } from '../util/values.js';
import { addConversationInterval, conversationSummary, CONVERSATION_NOTE, type ConversationAcc } from './conversations.js';
import { cacheHitRatio } from './prefix-cache.js';

interface WlAcc {
  totals: Totals;
  errors: Record<string, number>;
  hist: Map<MetricName, Histogram>;
  sloMet: number;
  short: number;
  tokens?: TokenInterval;
  conversations?: ConversationAcc;
  /** Whether any answer reported cached tokens (then the hit ratio is shown, even at 0). */
  cacheReported?: boolean;
}

function newTotals(): Totals {
  return { scheduled: 0, sent: 0, completed: 0, ok: 0, errors: 0, dropped: 0, outputTokens: 0, inputTokens: 0, unfinished: 0, retries: 0, cachedInputTokens: 0 };
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const k in from) into[k] = (into[k] ?? 0) + from[k];
}

function sumValues(r: Record<string, number>): number {
  let s = 0;
  for (const k in r) s += r[k];
  return s;
}

function metricSummaries(hist: Map<MetricName, Histogram>): Partial<Record<MetricName, MetricSummary>> {
  const out: Partial<Record<MetricName, MetricSummary>> = {};
  for (const m of METRICS) {
    const h = hist.get(m);
    if (!h || h.totalCount === 0) continue;
    out[m] = { ...statsOf(h, metricScale(m)), unit: metricScale(m) === 1 ? 'tokens' : 'ms', hdr: encode(h) };
  }
  return out;
}

function histFor(map: Map<MetricName, Histogram>, m: MetricName): Histogram {
  let h = map.get(m);
  if (!h) {
    h = newAccumulator();
    map.set(m, h);
  }
  return h;
}

/** One second × workload while the summary is built. */
interface SecondRow {
  sent: number;
  ok: number;
  errors: number;
  dropped: number;
  inFlight: number;
  tokens: number;
  lat: Histogram;
  ttft: Histogram;
}

/** A run's summary from all its records at once (a finished run, `report`, `merge`). */
export function buildSummary(records: readonly RunRecord[]): Summary {
  const b = new SummaryBuilder();
  for (const r of records) b.add(r);
  return b.summary();
}

/**
 * Builds the summary record by record: each interval's histograms are decoded once, as it is
 * added, so a live run's abort watch can ask for the summary so far every few seconds at the
 * cost of the figures it holds, not of every record read again.
 */
export class SummaryBuilder {
  private readonly starts: StartRecord[] = [];
  private readonly ends: EndRecord[] = [];
  private merge: MergeRecord | undefined;
  private acc: Accumulated | null = null;
  /** Intervals that came before the run's description (never in a servebench file; kept in order). */
  private readonly early: IntervalRecord[] = [];
  /** inFlight per workload of each worker's latest interval, keyed by shard and worker. */
  private readonly lastInFlight = new Map<string, { index: number; inFlight: number[] }>();
  /** server-metrics hook: the scrapes of the server's own /metrics, summed up at the end. */
  private readonly server: ServerRecord[] = [];

  add(r: RunRecord): void {
    if (r.type === 'interval') {
      if (this.acc) this.addInterval(this.acc, r);
      else this.early.push(r);
      return;
    }
    if (r.type === 'server') {
      this.server.push(r);
      return;
    }
    if (r.type === 'start') this.starts.push(r);
    else if (r.type === 'end') this.ends.push(r);
    else this.merge ??= r;
    if (!this.acc && r.type !== 'end') {
      this.acc = newAccumulated(r.run);
      for (const e of this.early.splice(0)) this.addInterval(this.acc, e);
    }
  }

  private addInterval(acc: Accumulated, rec: IntervalRecord): void {
    acc.lastIndex = Math.max(acc.lastIndex, rec.index);
    const key = `${rec.shard}#${rec.worker}`;
    if ((this.lastInFlight.get(key)?.index ?? -1) <= rec.index) this.lastInFlight.set(key, { index: rec.index, inFlight: rec.workloads.map((w) => w.inFlight) });
    addInterval(acc, rec, acc.run);
  }

  /**
   * The summary of the records added so far. `running`: the run goes on (the live page), so what
   * the workers have in flight is waiting for its answer, not unfinished.
   */
  summary(opts: { running?: boolean } = {}): Summary {
    const { starts, ends } = this;
    if (starts.length === 0) throw new ServebenchError('E_RESULTS', 'no start record: this is not a servebench results file');
    // A merged run describes itself in its merge record (target rate of all its shards, earliest start).
    const merge = this.merge ? mergeInfoOf([this.merge]) : undefined;
    const run = this.merge?.run ?? starts[0].run;
    const acc = this.acc!;
    const { all, wl } = finishedTotals(acc, opts.running ? new Map() : this.lastInFlight);
    const { facts, lastIndex } = acc;

    const measuredMs = ends.length > 0 ? Math.max(...ends.map((e) => e.measuredDurationMs)) : (lastIndex + 1) * 1000;
    const durationS = Math.max(measuredMs / 1000, 1e-3);
    const interrupted = ends.length === 0 || ends.some((e) => e.interrupted);
    // The achieved rate is requests on the wire over the time it took to put them there: when the
    // last one left late (waiting for a connection behind a generator that fell behind), the window
    // was longer than planned.
    const overrunMs = interrupted ? 0 : Math.max(0, ...ends.map((e) => e.sendOverrunMs ?? 0));
    const sendSpanS = durationS + overrunMs / 1000;
    const weightSum = run.workloads.reduce((s, w) => s + w.weight, 0);

    const plans = ends.map((e) => e.plannedSlots);
    const diag = diagnose({
      run,
      facts,
      scheduleLag: histFor(all.hist, 'scheduleLag'),
      latencyP99Ms: statsOf(histFor(all.hist, 'latency'), 1e-3).p99,
      totals: all.totals,
      durationS,
      sendSpanS,
      overrunMs,
      interrupted,
      plannedSlots: plans.length > 0 && plans.every((p) => p !== undefined) ? plans.reduce((a, p) => a + p!, 0) : null,
      lastIndex,
    });

    const summary: Summary = {
      schemaVersion: SCHEMA_VERSION,
      servebenchVersion: run.servebenchVersion,
      scenario: run.scenario,
      target: run.target,
      ...(run.variants ? { variants: run.variants } : {}),
      startedAt: run.startedAt,
      durationS: round3(durationS),
      interrupted,
      ...(ends.find((e) => e.stopReason) ? { stopReason: ends.find((e) => e.stopReason)!.stopReason } : {}),
      shards: [...new Set(starts.map((s) => s.run.shard))].sort(),
      load: { ...run.load, targetRps: run.load.targetRps, achievedRps: round3(all.totals.sent / sendSpanS) },
      totals: all.totals,
      ...cacheHitRatioOf(all),
      errors: all.errors,
      errorSamples: { ...acc.errorSamples },
      metrics: metricSummaries(all.hist),
      workloads: workloadSummaries(run, wl, { durationS, sendSpanS, weightSum }),
      slo: run.slo,
      thresholds: [],
      generator: generatorSection(run, ends, diag, acc, all.totals.unfinished, merge),
      timeseries: timeseriesRows(acc.perSecond, run, weightSum),
      heatmaps: latencyHeatmaps(acc.perSecond, run.workloads.map((w) => w.name)),
      ...(merge ? { merge } : {}),
    };
    // server-metrics hook: the server's own series over the measured window.
    const server = serverSection(this.server, run.measureStartEpochMs, durationS, { ttft: summary.metrics.ttft, serviceTime: summary.metrics.serviceTime });
    if (server) summary.server = server;
    summary.thresholds = evaluateThresholds(summary, run.thresholds);
    return summary;
  }
}

/** The interval records summed: per workload, for the whole run, and per second × workload. */
interface Accumulated {
  run: RunInfo;
  wl: WlAcc[];
  all: WlAcc;
  facts: HealthFacts;
  health: GeneratorHealth;
  errorSamples: Record<string, string>;
  perSecond: Map<number, SecondRow[]>;
  lastIndex: number;
}

function newWlAcc(): WlAcc {
  return { totals: newTotals(), errors: {}, hist: new Map(), sloMet: 0, short: 0 };
}

function newAccumulated(run: RunInfo): Accumulated {
  return {
    run,
    wl: run.workloads.map(newWlAcc),
    all: newWlAcc(),
    facts: new HealthFacts(),
    health: new GeneratorHealth(),
    errorSamples: {},
    // Per second × workload rows: counters summed over workers, histograms merged.
    perSecond: new Map(),
    lastIndex: -1,
  };
}

/**
 * The totals as a summary shows them, on copies (the builder goes on adding): a worker's last
 * record says what it still had in flight when it ended (zero unless cut off), and the derived
 * counts are summed.
 */
function finishedTotals(acc: Accumulated, lastInFlight: ReadonlyMap<string, { inFlight: number[] }>): { all: WlAcc; wl: WlAcc[] } {
  const copy = (a: WlAcc): WlAcc => ({ ...a, totals: { ...a.totals }, errors: { ...a.errors } });
  const all = copy(acc.all);
  const wl = acc.wl.map(copy);
  for (const { inFlight } of lastInFlight.values()) {
    inFlight.forEach((n, i) => {
      if (wl[i]) wl[i].totals.unfinished += n;
      all.totals.unfinished += n;
    });
  }
  const finish = (a: WlAcc) => {
    a.totals.errors = sumValues(a.errors);
    a.totals.completed = a.totals.ok + a.totals.errors;
    a.totals.scheduled = a.totals.sent + a.totals.dropped;
  };
  finish(all);
  wl.forEach(finish);
  return { all, wl };
}

function addInterval(acc: Accumulated, rec: IntervalRecord, run: RunInfo): void {
  const { wl, all, facts } = acc;
  const recFacts = facts.add(rec);
  acc.health.add(rec);
  if (rec.errorSamples) for (const k in rec.errorSamples) acc.errorSamples[k] ??= rec.errorSamples[k];
  let rows = acc.perSecond.get(rec.index);
  if (!rows) {
    rows = run.workloads.map(() => ({ sent: 0, ok: 0, errors: 0, dropped: 0, inFlight: 0, tokens: 0, lat: newAccumulator(), ttft: newAccumulator() }));
    acc.perSecond.set(rec.index, rows);
  }
  rec.workloads.forEach((w, i) => {
    const a = wl[i];
    if (!a) return;
    for (const target of [a, all]) {
      target.totals.sent += w.sent;
      target.totals.ok += w.ok;
      target.totals.dropped += w.dropped;
      target.totals.outputTokens += w.outputTokens;
      target.totals.inputTokens += w.inputTokens;
      target.totals.retries += w.retries ?? 0;
      if (w.cachedInputTokens !== undefined) {
        target.totals.cachedInputTokens = (target.totals.cachedInputTokens ?? 0) + w.cachedInputTokens;
        target.cacheReported = true;
      }
      target.sloMet += w.sloMet;
      target.short += w.short;
      addCounts(target.errors, w.errors);
    }
    if (w.tokens) addTokenInterval((a.tokens ??= emptyTokenInterval()), w.tokens);
    if (w.conversations) a.conversations = addConversationInterval(a.conversations, w.conversations);
    const row = rows![i];
    row.sent += w.sent;
    row.ok += w.ok;
    row.errors += sumValues(w.errors);
    row.dropped += w.dropped;
    row.inFlight += w.inFlight;
    row.tokens += w.outputTokens;
    // Decoding dominates building a long run's summary: decode each histogram once and add it
    // to every total it belongs to (workload, run, and the second's row).
    for (const m of METRICS) {
      const b64 = w.hist[m];
      if (!b64) continue;
      const h = decode(b64);
      histFor(a.hist, m).add(h);
      histFor(all.hist, m).add(h);
      if (m === 'latency') row.lat.add(h);
      else if (m === 'ttft') row.ttft.add(h);
      else if (m === 'scheduleLag') facts.addScheduleLag(recFacts, h, rec.index);
      h.destroy();
    }
  });
}

function workloadSummaries(run: RunInfo, wl: readonly WlAcc[], t: { durationS: number; sendSpanS: number; weightSum: number }): WorkloadSummary[] {
  const hasSlo = Object.values(run.slo).some((v) => v !== undefined);
  return run.workloads.map((w, i) => {
    const a = wl[i];
    const share = w.weight / t.weightSum;
    const met = a.sloMet;
    return {
      name: w.name,
      kind: w.kind,
      model: w.model,
      targetRps: round3(run.load.targetRps * share),
      achievedRps: round3(a.totals.sent / t.sendSpanS),
      totals: a.totals,
      errors: a.errors,
      metrics: metricSummaries(a.hist),
      goodput: hasSlo ? { ratePerS: round3(met / t.durationS), sloMet: met, attainment: a.totals.completed ? round3(met / a.totals.completed) : 0 } : null,
      shortOutputs: a.short,
      outputTokensPerS: round3(a.totals.outputTokens / t.durationS),
      ...(w.kind === 'embedding' ? { inputTokensPerS: round3(a.totals.inputTokens / t.durationS) } : {}),
      ...(a.tokens ? { tokenCounts: tokenCountsSummary(a.tokens) } : {}),
      ...(a.conversations ? { conversations: conversationSummary(a.conversations) } : {}),
      ...cacheHitRatioOf(a),
    };
  });
}

/** The summary's `generator` section: the diagnosis, each worker's health, and every warning. */
function generatorSection(run: RunInfo, ends: readonly EndRecord[], diag: ReturnType<typeof diagnose>, acc: Accumulated, unfinished: number, merge: MergeInfo | undefined): Summary['generator'] {
  const warnings = diag.warnings;
  const overCores = workersOverCoresWarning(run.load.workers, run.cores);
  if (overCores) warnings.push(overCores);
  if (unfinished > 0) {
    warnings.push(`${unfinished} requests were still in flight when the run was cut off; they have no outcome (sent = ok + errors + unfinished)`);
  }
  const workers = acc.health.workers();
  const workerErrors = ends.flatMap((e) => e.workerErrors);
  if (merge?.partial) warnings.push(`partial merge: ${merge.shards.length} of ${merge.shardCount} shards; missing ${merge.missing.join(', ')} (merged with --allow-partial)`);
  for (const e of workerErrors) warnings.push(workerErrorWarning(e, workerErrors.length, run.load.workers * Math.max(1, ends.length)));
  return {
    saturated: diag.saturated,
    warnings,
    eventLoopLagMs: diag.eventLoopLagMs,
    dispatchLagMs: diag.dispatchLagMs,
    scheduleLagP99Ms: diag.scheduleLagP99Ms,
    cpuPercent: ends[0] ? round3(ends.reduce((s, e) => s + e.cpuPercent, 0)) : 0,
    maxEventLoopUtilization: round3(acc.facts.maxElu),
    workerErrors,
    workers,
    peakInFlightPerWorker: workers.reduce((m, w) => Math.max(m, w.peakInFlight ?? 0), 0),
    scheduleLagBoundMs: SCHEDULE_LAG_BOUND_MS,
    notes: [...(run.load.type === 'concurrency' ? [CLOSED_LOOP_NOTE] : []), ...(acc.wl.some((w) => w.conversations) ? [CONVERSATION_NOTE] : []), ...diag.notes],
    causes: diag.causes,
    ...threadFigures(workers),
    ...(diag.connectionWaitMs ? { connectionWaitMs: diag.connectionWaitMs } : {}),
    ...(diag.queueWaitMs ? { queueWaitMs: diag.queueWaitMs } : {}),
    ...(diag.plannedSlots !== undefined ? { plannedSlots: diag.plannedSlots } : {}),
    ...(run.singleThreadedGc !== undefined ? { singleThreadedGc: run.singleThreadedGc } : {}),
  };
}

/** `{cacheHitRatio}` when the server reported cached tokens, else nothing. */
function cacheHitRatioOf(a: WlAcc): { cacheHitRatio?: number } {
  return a.cacheReported ? { cacheHitRatio: cacheHitRatio(a.totals) } : {};
}

/** One row per second × workload: counters summed over workers, percentiles of the merged histograms. */
function timeseriesRows(perSecond: Map<number, SecondRow[]>, run: RunInfo, weightSum: number): TimeseriesRow[] {
  const timeseries: TimeseriesRow[] = [];
  for (const sec of [...perSecond.keys()].sort((x, y) => x - y)) {
    perSecond.get(sec)!.forEach((r, i) => {
      const w = run.workloads[i];
      timeseries.push({
        second: sec,
        workload: w.name,
        sent: r.sent,
        ok: r.ok,
        errors: r.errors,
        dropped: r.dropped,
        inFlight: r.inFlight,
        rps: r.sent,
        targetRps: round3(run.load.targetRps * (w.weight / weightSum)),
        // Percentiles only: statsOf's mean walks the whole histogram, once per row adds up.
        latencyP50Ms: pct(r.lat, 50),
        latencyP99Ms: pct(r.lat, 99),
        ttftP50Ms: pct(r.ttft, 50),
        tokensPerS: r.tokens,
      });
    });
  }
  return timeseries;
}

/** Says what a dead worker cost: the run went on without it, or (every worker gone) it stopped. */
export function workerErrorWarning(e: { worker: number; message: string }, failed: number, workers: number): string {
  const after = failed < workers ? `the run went on with the other ${workers - failed} of ${workers} workers` : 'every worker failed, so the run stopped';
  return `worker ${e.worker} failed: ${e.message}; ${after}; its requests in flight and its unfinished interval are not counted`;
}

/** The busiest worker thread's CPU and run-queue shares, when the workers measured them. */
function threadFigures(workers: readonly WorkerHealth[]): { threadCpuPercent?: number; runQueuePercent?: number } {
  const known = workers.filter((w) => w.threadCpuPercent !== undefined);
  if (known.length === 0) return {};
  return { threadCpuPercent: Math.max(...known.map((w) => w.threadCpuPercent!)), runQueuePercent: Math.max(...known.map((w) => w.runQueuePercent ?? 0)) };
}

function pct(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : round3(h.getValueAtPercentile(p) * 1e-3);
}
