/**
 * Why a run's sends were late, from the workers' interval records. Three causes are told apart, each
 * named with the figure that shows it:
 * - the generator was busy: its worker thread was on a CPU nearly the whole second (the only cause
 *   that sets `saturated`: the figures then partly describe servebench);
 * - the machine was busy: the thread used little CPU but waited on a run queue (other processes held
 *   the core): a warning that says how much of the latency tail the late sends can explain;
 * - requests waited for a connection or for maxInFlight: measured waits, a warning (the server held them).
 * A verdict needs enough late sends to rest on (MIN_LATE); fewer get a note that says so instead.
 */
import { addEncoded, decode, newAccumulator, statsOf, type Histogram, type Stats } from './hdr.js';
import { LEAN_CLIENT_HINT, PARALLEL_GC_HINT, SCHEDULE_LAG_BOUND_MS, START_UP_WARMUP_MS, startUpLagWarning } from './health.js';
import type { IntervalRecord, RunInfo } from './records.js';
import { round3 } from '../util/values.js';

/**
 * A verdict on a lag needs at least this many sends over the bound (and more than 1 % of them, which
 * is what a p99 over the bound means). A p99 over 80 requests is the single worst send, and one
 * preemption of the thread makes one late send; ten late sends are ten separate events, and the
 * share they estimate has a relative standard error of about 1/√10 ≈ 30 %, not 100 %.
 */
export const MIN_LATE = 10;
/** A worker thread on a CPU for this share of its interval was busy: it had no time to spare for slots. */
export const BUSY_CPU_SHARE = 0.85;
/** Without per-thread CPU figures (not Linux), event-loop utilization stands in for it. */
export const BUSY_ELU = 0.9;
/**
 * A thread ready to run that waited this share of its interval for a CPU (20 ms a second) shared
 * its core with other work. An idle machine shows well under 1 %: each wake-up waits microseconds.
 */
export const RUN_QUEUE_SHARE = 0.02;
/**
 * A thread that waited for a CPU half of its second or more: whatever else it measured then (its
 * connections' waits included) the machine set, since a server on the same host starves as well.
 */
export const HEAVY_RUN_QUEUE_SHARE = 0.5;
/** A cause must account for at least this share of the late sends to be named beside a larger one. */
const CAUSE_SHARE = 0.25;
const BOUND_US = SCHEDULE_LAG_BOUND_MS * 1000;

export type GeneratorCause = 'generatorBusy' | 'machineBusy' | 'lateUnexplained' | 'connectionWait' | 'queueWait' | 'startUp';

/** One worker's interval, as far as the diagnosis needs it. */
interface IntervalFacts {
  lateDispatch: number;
  lateSchedule: number;
  /** Requests and queued slots that waited over the bound, and the p99 of those waits, ms. */
  lateWait: number;
  waitP99Ms: number;
  wallMs: number;
  threadCpuMs?: number;
  runQueueMs?: number;
  elu: number;
  /** The record carries the wait histograms (older files do not). */
  measured: boolean;
}

/** An interval shorter than this (a worker's last, cut at the end of the run) is judged with the one before it. */
const SHORT_INTERVAL_MS = 250;

function joinInto(into: IntervalFacts, f: IntervalFacts): IntervalFacts {
  into.elu = (into.elu * into.wallMs + f.elu * f.wallMs) / Math.max(1, into.wallMs + f.wallMs);
  into.lateDispatch += f.lateDispatch;
  into.lateWait += f.lateWait;
  into.waitP99Ms = Math.max(into.waitP99Ms, f.waitP99Ms);
  into.wallMs += f.wallMs;
  if (into.threadCpuMs !== undefined && f.threadCpuMs !== undefined) into.threadCpuMs += f.threadCpuMs;
  if (into.runQueueMs !== undefined && f.runQueueMs !== undefined) into.runQueueMs += f.runQueueMs;
  return into;
}

/** Number of recorded values above `us` (0 when the histogram's max is within it, the usual case). */
export function countAbove(h: Histogram, us: number): number {
  if (h.totalCount === 0 || h.maxValue <= us) return 0;
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (h.getValueAtPercentile(mid) > us) hi = mid;
    else lo = mid;
  }
  return Math.max(1, Math.round((h.totalCount * (100 - hi)) / 100));
}

/** Health figures of a run, gathered as buildSummary walks its interval records. */
export class HealthFacts {
  readonly loopLag = newAccumulator();
  readonly dispatchLag = newAccumulator();
  readonly connWait = newAccumulator();
  readonly queueWait = newAccumulator();
  /** Dispatch and schedule lag of every second but the first: tell a worker's start-up from a generator that stays behind. */
  readonly dispatchAfterFirst = newAccumulator();
  readonly scheduleAfterFirst = newAccumulator();
  maxElu = 0;
  measuresWaits = false;
  private readonly intervals: IntervalFacts[] = [];
  /** Each worker's latest interval: a short last one (the drain after the final slot) joins it. */
  private readonly latest = new Map<string, IntervalFacts>();

  /** Takes an interval's health; returns its facts, to which the interval's schedule lag is added. */
  add(rec: IntervalRecord): IntervalFacts {
    const hl = rec.health;
    if (hl.loopLagUs) addEncoded(this.loopLag, hl.loopLagUs);
    let lateDispatch = 0;
    if (hl.dispatchLagUs) {
      const h = decode(hl.dispatchLagUs);
      this.dispatchLag.add(h);
      if (rec.index > 0) this.dispatchAfterFirst.add(h);
      lateDispatch = countAbove(h, BOUND_US);
      h.destroy();
    }
    const f: IntervalFacts = { lateDispatch, lateSchedule: 0, lateWait: 0, waitP99Ms: 0, wallMs: hl.wallMs ?? 1000, threadCpuMs: hl.threadCpuMs, runQueueMs: hl.runQueueMs, elu: hl.elu, measured: hl.wallMs !== undefined };
    for (const [b64, into] of [[hl.connWaitUs, this.connWait], [hl.queueWaitUs, this.queueWait]] as const) {
      if (!b64) continue;
      const h = decode(b64);
      into.add(h);
      const late = countAbove(h, BOUND_US);
      if (late > 0) {
        f.lateWait += late;
        f.waitP99Ms = Math.max(f.waitP99Ms, h.getValueAtPercentile(99) / 1000);
      }
      h.destroy();
    }
    if (hl.wallMs !== undefined) this.measuresWaits = true;
    this.maxElu = Math.max(this.maxElu, hl.elu);
    const key = `${rec.shard}#${rec.worker}`;
    const prev = this.latest.get(key);
    // A few ms of CPU over a few ms of wall is no "busy second": judge a short interval with the one before.
    if (prev && f.wallMs < SHORT_INTERVAL_MS) return joinInto(prev, f);
    this.latest.set(key, f);
    this.intervals.push(f);
    return f;
  }

  /** One workload's schedule lag of an interval (already decoded by the caller). */
  addScheduleLag(f: IntervalFacts, h: Histogram, index: number): void {
    f.lateSchedule += countAbove(h, BOUND_US);
    if (index > 0) this.scheduleAfterFirst.add(h);
  }

  get all(): readonly IntervalFacts[] {
    return this.intervals;
  }
}

export interface DiagnosisInput {
  run: RunInfo;
  facts: HealthFacts;
  /** The run's scheduleLag (sent − intended) and latency histograms, µs. */
  scheduleLag: Histogram;
  latencyP99Ms: number;
  totals: { scheduled: number; sent: number; dropped: number };
  durationS: number;
  sendSpanS: number;
  overrunMs: number;
  interrupted: boolean;
  /** The plan's own count of measured slots (end records), null in older files. */
  plannedSlots: number | null;
  /** Highest interval index seen. */
  lastIndex: number;
}

export interface Diagnosis {
  saturated: boolean;
  warnings: string[];
  notes: string[];
  causes: GeneratorCause[];
  eventLoopLagMs: Stats;
  dispatchLagMs: Stats;
  scheduleLagP99Ms: number;
  connectionWaitMs?: Stats;
  queueWaitMs?: Stats;
  plannedSlots?: number;
}

/** Late sends of the intervals of one kind, with the CPU figures of those intervals. */
interface Bin {
  late: number;
  wallMs: number;
  cpuMs: number;
  runQueueMs: number;
  eluMs: number;
  cpuKnown: boolean;
}

const emptyBin = (): Bin => ({ late: 0, wallMs: 0, cpuMs: 0, runQueueMs: 0, eluMs: 0, cpuKnown: false });
const pct = (x: number) => Math.round(x * 1000) / 10;

type BinName = 'busy' | 'machine' | 'waits' | 'unexplained';

/**
 * Sorts each interval's late sends by what its worker thread was doing then: on a CPU nearly all
 * the second (busy); kept off a CPU while its event loop never idled, for half the second, or for
 * at least as long as the requests' p99 wait for a connection or maxInFlight (machine: a starved
 * thread reads its responses late, so its connections look held); requests waiting for a connection or maxInFlight
 * while the loop had time to spare (waits: the server held them); none of these (unexplained).
 * A request counts once, by its schedule lag (recorded when it completes); dispatch lag stands in
 * for a worker whose requests did not complete.
 */
function binLateSends(intervals: readonly IntervalFacts[]): Record<BinName, Bin> {
  const bins = { busy: emptyBin(), machine: emptyBin(), waits: emptyBin(), unexplained: emptyBin() };
  for (const f of intervals) {
    const late = f.lateSchedule > 0 ? f.lateSchedule : f.lateDispatch;
    if (late === 0) continue;
    const wall = Math.max(f.wallMs, 1);
    const known = f.threadCpuMs !== undefined;
    const rq = f.runQueueMs ?? 0;
    const busy = known ? f.threadCpuMs! / wall >= BUSY_CPU_SHARE : f.elu >= BUSY_ELU;
    const starved = known && rq / wall >= RUN_QUEUE_SHARE;
    // Older files measured no waits: sends late on the wire but dispatched on time waited for one.
    const waited = f.lateWait > 0 || (!f.measured && f.lateDispatch === 0);
    const b = busy ? bins.busy : starved && (f.elu >= BUSY_ELU || rq >= f.waitP99Ms || rq / wall >= HEAVY_RUN_QUEUE_SHARE) ? bins.machine : waited ? bins.waits : starved ? bins.machine : bins.unexplained;
    b.late += late;
    b.wallMs += wall;
    b.cpuMs += f.threadCpuMs ?? 0;
    b.runQueueMs += rq;
    b.eluMs += f.elu * wall;
    b.cpuKnown ||= known;
  }
  return bins;
}

/** Enough values over the bound for a verdict: at least MIN_LATE, and more than 1 % of them. */
function lateEnough(late: number, total: number): boolean {
  return late >= MIN_LATE && late > total / 100;
}

export function diagnose(d: DiagnosisInput): Diagnosis {
  const { run, facts } = d;
  const B = SCHEDULE_LAG_BOUND_MS;
  const warnings: string[] = [];
  const notes: string[] = [];
  const causes: GeneratorCause[] = [];
  let saturated = false;
  const closedLoop = run.load.type === 'concurrency';
  const dispatch = statsOf(facts.dispatchLag, 1e-3);
  const schedule = statsOf(d.scheduleLag, 1e-3);
  const conn = facts.connWait.totalCount > 0 ? statsOf(facts.connWait, 1e-3) : undefined;
  const queue = facts.queueWait.totalCount > 0 ? statsOf(facts.queueWait, 1e-3) : undefined;
  const lateDispatch = countAbove(facts.dispatchLag, B * 1000);
  const lateSchedule = countAbove(d.scheduleLag, B * 1000);
  const lateConn = countAbove(facts.connWait, B * 1000);
  const lateQueue = countAbove(facts.queueWait, B * 1000);
  const lagShare = d.latencyP99Ms > 0 ? Math.min(100, Math.round((schedule.p99 / d.latencyP99Ms) * 100)) : 0;
  const tail = `the late sends (schedule lag p99 ${schedule.p99} ms) explain at most ${lagShare} % of latency p99 (${d.latencyP99Ms} ms)`;

  // A run of three seconds or more whose lags are within their bounds after its first second fell
  // behind only at the start (a closed loop has no schedule to fall behind).
  const startUpCheck = d.lastIndex >= 2 && !closedLoop && run.load.warmupMs < START_UP_WARMUP_MS;
  const laterP99 = startUpCheck ? statsOf(facts.scheduleAfterFirst, 1e-3).p99 : Infinity;
  const startUp = lateEnough(lateSchedule, schedule.count) && schedule.p99 > B && laterP99 <= B && statsOf(facts.dispatchAfterFirst, 1e-3).p99 <= B;

  const hints = `${run.singleThreadedGc === false ? `; ${PARALLEL_GC_HINT}` : ''}${run.target.client === 'undici' ? `; ${LEAN_CLIENT_HINT}` : ''}`;
  const sendTotal = Math.max(schedule.count, dispatch.count);
  const bins = binLateSends(facts.all);
  const sendLate = Math.min(sendTotal, bins.busy.late + bins.machine.late + bins.waits.late + bins.unexplained.late);
  const lagName = `${closedLoop ? '' : `dispatch lag p99 ${dispatch.p99} ms, `}schedule lag p99 ${schedule.p99} ms`;
  if (startUp) {
    saturated = true;
    causes.push('startUp');
    warnings.push(startUpLagWarning(schedule.p99, laterP99, run.load.warmupMs));
  } else if (lateEnough(sendLate, sendTotal)) {
    saturated = explainLateSends({ run, facts, bins, sendLate, sendTotal, lagName, tail, hints, schedule, conn, queue, lateConn, lateQueue }, warnings, causes);
  } else if (sendLate > 0 && Math.max(dispatch.p99, schedule.p99) > B) {
    notes.push(tooFew(lagName, sendLate, sendTotal));
  }

  warnings.push(...rateWarnings(d));
  return {
    saturated,
    warnings,
    notes,
    causes,
    eventLoopLagMs: statsOf(facts.loopLag, 1e-3),
    dispatchLagMs: dispatch,
    scheduleLagP99Ms: schedule.p99,
    ...(conn ? { connectionWaitMs: conn } : {}),
    ...(queue ? { queueWaitMs: queue } : {}),
    ...(d.plannedSlots !== null ? { plannedSlots: d.plannedSlots } : {}),
  };
}

/** What explainLateSends needs of the run: the late sends sorted into bins, and the figures the warnings quote. */
interface LateSends {
  run: RunInfo;
  facts: HealthFacts;
  bins: Record<BinName, Bin>;
  sendLate: number;
  sendTotal: number;
  lagName: string;
  tail: string;
  hints: string;
  schedule: Stats;
  conn: Stats | undefined;
  queue: Stats | undefined;
  lateConn: number;
  lateQueue: number;
}

/**
 * Enough sends went out late for a verdict: names each cause that holds a quarter of them (or the
 * most), with a warning that says what the worker thread was doing. True when the generator
 * itself was the cause (saturated).
 */
function explainLateSends(d: LateSends, warnings: string[], causes: GeneratorCause[]): boolean {
  const { run, facts, bins, sendLate, sendTotal, lagName, tail, hints, schedule, conn, queue, lateConn, lateQueue } = d;
  const B = SCHEDULE_LAG_BOUND_MS;
  let saturated = false;
  const largest = Math.max(bins.busy.late, bins.machine.late, bins.waits.late, bins.unexplained.late);
  // A cause is named when it holds a quarter of the late sends (and enough of them), or the most.
  const pick = (b: Bin) => b.late > 0 && ((b.late >= Math.min(MIN_LATE, sendLate) && b.late >= CAUSE_SHARE * sendLate) || b.late === largest);
  const late = (b: Bin) => `${b.late} of ${sendTotal} sends went out over ${B} ms late (${lagName})`;
  const cpuShare = (b: Bin) => pct(b.cpuMs / b.wallMs);
  const waitPerS = (b: Bin) => round3((b.runQueueMs / b.wallMs) * 1000);
  if (pick(bins.busy)) {
    saturated = true;
    causes.push('generatorBusy');
    const b = bins.busy;
    const figure = b.cpuKnown
      ? `its worker thread was on a CPU ${cpuShare(b)} % of the seconds they fell in`
      : `its event loop was busy ${pct(b.eluMs / b.wallMs)} % of the seconds they fell in (no per-thread CPU figures on this platform)`;
    warnings.push(`generator busy: ${late(b)}; ${figure}, so it had no time to spare for its slots; latency figures include the generator's own delay (event-loop lag p99 ${statsOf(facts.loopLag, 1e-3).p99} ms)${hints}`);
  }
  if (pick(bins.machine)) {
    causes.push('machineBusy');
    const b = bins.machine;
    warnings.push(`machine busy: ${late(b)} while the worker thread used ${cpuShare(b)} % of a core and waited ${waitPerS(b)} ms per second for one: other processes took its core; ${tail}`);
  }
  if (pick(bins.waits) && !facts.measuresWaits) {
    causes.push('connectionWait');
    warnings.push(
      `schedule lag p99 ${schedule.p99} ms is over the ${B} ms bound while dispatch kept up: requests waited for a free connection (load.connections ${run.load.connections}) or for maxInFlight (onSaturation: ${run.load.onSaturation}) (inferred: this file has no measured waits); latency still counts the wait, serviceTime does not`,
    );
  } else if (pick(bins.waits)) {
    const b = bins.waits;
    if (lateConn >= lateQueue || lateConn >= MIN_LATE) {
      causes.push('connectionWait');
      warnings.push(
        `requests waited for a free connection: ${late(b)}; ${lateConn} of ${conn?.count ?? 0} requests waited over ${B} ms for one (connection wait p99 ${conn?.p99 ?? 0} ms, load.connections ${run.load.connections}) while the worker thread used ${cpuShare(b)} % of a core: the server held every connection, so latency counts the wait and serviceTime does not`,
      );
    }
    if (lateQueue > lateConn || lateQueue >= MIN_LATE) {
      causes.push('queueWait');
      warnings.push(
        `slots waited for maxInFlight (${run.load.maxInFlight}, onSaturation: ${run.load.onSaturation}): ${late(b)}; ${lateQueue} waited over ${B} ms (queue wait p99 ${queue?.p99 ?? 0} ms): the server did not answer fast enough to free a place, so latency counts the wait`,
      );
    }
  }
  if (pick(bins.unexplained)) {
    causes.push('lateUnexplained');
    const b = bins.unexplained;
    const figure = b.cpuKnown
      ? `the worker thread was neither busy (${cpuShare(b)} % of a core) nor waiting for a CPU (${waitPerS(b)} ms per second)`
      : `its event loop was busy only ${pct(b.eluMs / b.wallMs)} % of the time; without per-thread CPU figures (not Linux) a busy machine cannot be told apart`;
    warnings.push(`late sends: ${late(b)} while ${figure}; ${tail}`);
  }
  return saturated;
}

function tooFew(what: string, late: number, total: number): string {
  return `${what} rests on ${late} late send${late === 1 ? '' : 's'} of ${total}: too few for a verdict (one needs at least ${MIN_LATE} over the ${SCHEDULE_LAG_BOUND_MS} ms bound, and more than 1 %)`;
}

/**
 * The offered load against the plan's own slot count (a Poisson plan's seed decides how many slots
 * fall in the window): walked fewer slots than planned, sent them slower than planned, or dropped some.
 */
function rateWarnings(d: DiagnosisInput): string[] {
  const out: string[] = [];
  const { run, totals } = d;
  if (run.load.type === 'concurrency' || d.interrupted) return dropped(d, out);
  // Older files carry no plan count: a non-interrupted run walks its whole plan, so the slots it
  // scheduled are the plan's (rate × duration would misjudge a Poisson plan).
  const planned = d.plannedSlots ?? totals.scheduled;
  if (planned === 0) return dropped(d, out);
  if (totals.scheduled < 0.99 * planned) out.push(`the workers reached ${totals.scheduled} of the plan's ${planned} measured slots`);
  const planRate = planned / d.durationS;
  const achieved = totals.sent / d.sendSpanS;
  if (achieved < 0.99 * planRate && totals.scheduled >= 0.99 * planned) {
    const why = [
      ...(totals.dropped > 0 ? [`${totals.dropped} slots were dropped at maxInFlight`] : []),
      ...(d.overrunMs > 0.01 * d.durationS * 1000 ? [`the last request went out ${round3(d.overrunMs)} ms after its slot`] : []),
    ];
    out.push(`achieved ${round3(achieved)} of the plan's ${round3(planRate)} rps (${planned} slots in ${round3(d.durationS)} s; more than 1 % under target)${why.length ? `: ${why.join('; ')}` : ''}; the offered load was not the planned load`);
  }
  return dropped(d, out);
}

function dropped(d: DiagnosisInput, out: string[]): string[] {
  if (d.totals.dropped > 0) out.push(`${d.totals.dropped} requests dropped: maxInFlight (${d.run.load.maxInFlight}) was reached; the target did not keep up with the offered rate`);
  return out;
}

/** Short names of the causes, for the console line and the report's status tile. */
export const CAUSE_LABELS: Record<GeneratorCause, string> = {
  generatorBusy: 'generator busy',
  startUp: 'worker start-up',
  machineBusy: 'machine busy',
  lateUnexplained: 'late sends',
  connectionWait: 'waited for connections',
  queueWait: 'waited for maxInFlight',
};
