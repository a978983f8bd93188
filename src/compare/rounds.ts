/**
 * A run that compares variants of one scenario key (`compare:` in the scenario): the load's
 * duration is cut into rounds that alternate between the variants (A B A B …), so that drift of
 * the machine or the cluster over the run hits every variant alike. Each round is an ordinary run
 * (startRun); its records are re-indexed onto two time lines: the whole run's (every round in
 * order) and its variant's (that variant's rounds back to back). Both are plain record streams
 * that buildSummary, `servebench report` and `compare` read like any other run's.
 */
import type { EndRecord, RunRecord, StartRecord } from '../metrics/records.js';
import type { ResolvedCompare, ResolvedScenario } from '../scenario/types.js';
import { startRun, withEmbeddedMock, type RunHandle } from '../engine/coordinator.js';
import type { Progress } from '../metrics/progress.js';
import type { MockServer } from '../mock/index.js';
import { round1 } from '../util/values.js';

/** Warm-up before rounds after a variant's first: enough to open connections again. */
export const LATER_WARMUP_MAX_MS = 1000;

export interface RoundPlan {
  /** Measured length of one round (whole seconds, so 1 s records never straddle two rounds). */
  roundMs: number;
  /** Variant index of each round, in order. */
  order: number[];
  /** Warm-up of each round: the scenario's before a variant's first round, at most 1 s after. */
  warmupMs: number[];
}

export function roundPlan(c: ResolvedCompare, s: ResolvedScenario): RoundPlan {
  const roundMs = Math.max(1000, Math.floor(s.load.durationMs / c.rounds / 1000) * 1000);
  const n = c.values.length;
  const order = Array.from({ length: c.rounds }, (_, i) => i % n);
  const warmupMs = order.map((v, i) => (i < n ? s.load.warmupMs : Math.min(s.load.warmupMs, LATER_WARMUP_MAX_MS)));
  return { roundMs, order, warmupMs };
}

export interface RoundsOptions {
  /** Every record of the whole run's time line, as it arrives (results.ndjson). */
  onRecord?: (r: RunRecord) => void;
  onProgress?: (p: Progress) => void;
  onWarning?: (msg: string) => void;
  /** Called before each round starts. */
  onRound?: (round: number, variant: number) => void;
}

export interface RoundsOutcome {
  /** The whole run: one start record, every round's intervals in order, one end record. */
  records: RunRecord[];
  /** Per variant, the same for its rounds only. */
  variants: RunRecord[][];
  interrupted: boolean;
  plan: RoundPlan;
}

export interface RoundsHandle extends Omit<RunHandle, 'done'> {
  readonly done: Promise<RoundsOutcome>;
}

function shifted(r: RunRecord, bySeconds: number): RunRecord {
  return r.type === 'interval' ? { ...r, index: r.index + bySeconds } : r;
}

function startOf(first: StartRecord, durationMs: number, variant: ResolvedScenario): StartRecord {
  const run = { ...first.run, load: { ...first.run.load, durationMs } };
  const t = variant.target;
  run.target = { ...run.target, routing: t.routing, ...(t.embedded ? { url: 'embedded', embedded: true } : {}) };
  return { type: 'start', run };
}

/** The whole run's start: it says what the rounds alternated, not the first variant's routing alone. */
function wholeStartOf(first: StartRecord, durationMs: number, variant0: ResolvedScenario, c: ResolvedCompare, plan: RoundPlan): StartRecord {
  const { run } = startOf(first, durationMs, variant0);
  const routing = c.key === 'target.routing' ? (`alternated ${c.values.join('/')}` as const) : run.target.routing;
  return { type: 'start', run: { ...run, target: { ...run.target, routing }, variants: { key: c.key, labels: [...c.labels], rounds: c.rounds, roundS: plan.roundMs / 1000 } } };
}

function endOf(ends: EndRecord[], interrupted: boolean): EndRecord {
  return {
    type: 'end',
    shard: ends[0]?.shard ?? '0/1',
    measuredDurationMs: ends.reduce((x, e) => x + e.measuredDurationMs, 0),
    // Each round's window ran that much longer than planned.
    sendOverrunMs: ends.reduce((x, e) => x + (e.sendOverrunMs ?? 0), 0),
    interrupted,
    cpuPercent: ends.length ? round1(ends.reduce((x, e) => x + e.cpuPercent, 0) / ends.length) : 0,
    workerErrors: ends.flatMap((e) => e.workerErrors),
    endedAt: ends.length ? ends[ends.length - 1].endedAt : new Date().toISOString(),
  };
}

/** One embedded mock per variant for the whole run (none for a variant with a real target). */
async function startVariantMocks(variants: readonly ResolvedScenario[]): Promise<{ mocks: Array<MockServer | null>; targets: ResolvedScenario[] }> {
  const mocks: Array<MockServer | null> = [];
  const targets: ResolvedScenario[] = [];
  try {
    for (const vs of variants) {
      const m = await withEmbeddedMock(vs);
      mocks.push(m.mock);
      targets.push(m.scenario);
    }
  } catch (err) {
    await Promise.all(mocks.map((m) => m?.close().catch(() => undefined)));
    throw err;
  }
  return { mocks, targets };
}

/** The two time lines the rounds' records are re-indexed onto, and what each round ended with. */
class Timelines {
  readonly whole: RunRecord[] = [];
  readonly perVariant: RunRecord[][];
  readonly variantEnds: EndRecord[][];
  /** Rounds each variant has run so far. */
  readonly variantRounds: number[];
  readonly ends: EndRecord[] = [];
  private firstStart: StartRecord | null = null;

  constructor(
    private readonly variants: readonly ResolvedScenario[],
    private readonly c: ResolvedCompare,
    private readonly plan: RoundPlan,
    private readonly onRecord: ((r: RunRecord) => void) | undefined,
  ) {
    this.perVariant = variants.map(() => []);
    this.variantEnds = variants.map(() => []);
    this.variantRounds = variants.map(() => 0);
  }

  emit(r: RunRecord): void {
    this.whole.push(r);
    this.onRecord?.(r);
  }

  /** A record of round `i` (variant `v`): onto the whole run's time line and its variant's. */
  add(r: RunRecord, i: number, v: number): void {
    const { plan, variants } = this;
    const roundS = plan.roundMs / 1000;
    if (r.type === 'start') {
      if (!this.firstStart) {
        this.firstStart = r;
        this.emit(wholeStartOf(r, plan.roundMs * plan.order.length, variants[0], this.c, plan));
      }
      if (this.variantRounds[v] === 0) this.perVariant[v].push(startOf(r, plan.roundMs * (plan.order.length / variants.length), variants[v]));
    } else if (r.type === 'interval') {
      this.emit(shifted(r, i * roundS));
      this.perVariant[v].push(shifted(r, this.variantRounds[v] * roundS));
    }
  }

  /** Round `i` of variant `v` ended (with `end`, unless it failed before one). */
  roundDone(v: number, end: EndRecord | undefined): void {
    if (end) {
      this.ends.push(end);
      this.variantEnds[v].push(end);
    }
    this.variantRounds[v]++;
  }

  /** The end records, once every round has run. */
  close(interrupted: boolean): void {
    this.emit(endOf(this.ends, interrupted));
    this.variants.forEach((_, v) => this.perVariant[v].push(endOf(this.variantEnds[v], interrupted)));
  }
}

export function startRounds(base: ResolvedScenario, variants: readonly ResolvedScenario[], opts: RoundsOptions = {}): RoundsHandle {
  const c = base.compare!;
  const plan = roundPlan(c, base);
  const roundS = plan.roundMs / 1000;
  let current: RunHandle | null = null;
  let stopped: 'stop' | 'abort' | null = null;

  /** Round `i`: an ordinary run of its variant, against the variant's mock when it has one. */
  const runRound = async (i: number, t: ResolvedScenario, lines: Timelines): Promise<boolean> => {
    const v = plan.order[i];
    const scenario: ResolvedScenario = { ...t, target: { ...t.target, embedded: false }, load: { ...t.load, durationMs: plan.roundMs, warmupMs: plan.warmupMs[i] } };
    opts.onRound?.(i, v);
    const wholeOffset = i * roundS;
    current = startRun(scenario, {
      onWarning: opts.onWarning,
      onProgress: opts.onProgress ? (p) => opts.onProgress!({ ...p, second: p.second + wholeOffset }) : undefined,
      onRecord: (r) => lines.add(r, i, v),
    });
    if (stopped === 'abort') current.abort();
    else if (stopped === 'stop') current.stop();
    const out = await current.done;
    lines.roundDone(v, out.records.find((r): r is EndRecord => r.type === 'end'));
    return out.interrupted;
  };

  const done = (async (): Promise<RoundsOutcome> => {
    const lines = new Timelines(variants, c, plan, opts.onRecord);
    let interrupted = false;
    // One embedded mock per variant for the whole run, not one per round: a fresh mock (and its
    // cold JIT) in every round would add noise to each round's first second.
    const { mocks, targets } = await startVariantMocks(variants);
    try {
      for (let i = 0; i < plan.order.length && !stopped; i++) {
        if (await runRound(i, targets[plan.order[i]], lines)) interrupted = true;
      }
    } finally {
      current = null;
      await Promise.all(mocks.map((m) => m?.close().catch(() => undefined)));
    }
    if (stopped) interrupted = true;
    lines.close(interrupted);
    return { records: lines.whole, variants: lines.perVariant, interrupted, plan };
  })();

  return {
    stop() {
      stopped ??= 'stop';
      current?.stop();
    },
    abort() {
      stopped = 'abort';
      current?.abort();
    },
    done,
  };
}
