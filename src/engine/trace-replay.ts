/**
 * Trace replay in the engine: the coordinator packs the trace file into shared columns once
 * (loadSharedTrace); each worker walks its share of the records as slots of the plan and sends
 * each record's own request (TraceReplay). A record's body is built when the open loop moves to
 * its slot, right after the previous send, so the prompt's cost is not paid between a slot's
 * instant and its send, and only the next request of each worker is in memory.
 */
import { dirname } from 'node:path';
import { ServebenchError } from '../errors.js';
import type { ResolvedLoad, ResolvedScenario } from '../scenario/types.js';
import { SlotIterator, type SlotSource } from '../schedule/plan.js';
import { TraceBuilder, TraceColumns, type SharedTrace } from '../schedule/trace.js';
import { readTrace } from '../workload/trace-reader.js';
import { TracePrompts } from '../workload/trace-prompts.js';
import { generativeBody, type PreparedRequest } from '../workload/prepare.js';
import { hashUnit } from '../util/random.js';
import type { RequestSource, WlState, WorkloadMix } from './workload-state.js';

/** Reads the scenario's trace into shared columns (validation has checked every line). */
export function loadSharedTrace(s: ResolvedScenario): SharedTrace {
  const t = s.load.trace;
  if (!t) throw new ServebenchError('E_INTERNAL', 'a trace load without its trace');
  const b = new TraceBuilder();
  const res = readTrace(t.file, t.shown, t.format, s.workloads.map((w) => w.name), (r) => b.add(r.timeMs, r.inputTokens, r.outputTokens, r.workload, r.blockSeeds, r.blockTokens), 1);
  // The file changed since it was validated.
  if (res.problems.length > 0) throw new ServebenchError('E_SCENARIO', `${res.problems[0].file}:${res.problems[0].line}: ${res.problems[0].message}`);
  return b.finish();
}

/** One worker's walk through the trace: the slots of its share, and the request of each. */
export class TraceReplay implements SlotSource, RequestSource {
  private readonly cols: TraceColumns;
  private readonly slots: SlotIterator;
  private readonly prompts: Array<TracePrompts | null>;
  private readonly seed: number;
  private wl: WlState | null = null;
  private req: PreparedRequest | null = null;

  constructor(
    shared: SharedTrace,
    private readonly s: ResolvedScenario,
    readonly wls: readonly WlState[],
    private readonly mix: WorkloadMix,
    worker: number,
    workers: number,
  ) {
    this.cols = new TraceColumns(shared);
    this.slots = new SlotIterator(s.load as ResolvedLoad, worker, workers, this.cols);
    const baseDir = s.file ? dirname(s.file) : process.cwd();
    this.prompts = s.workloads.map((w, i) => (wls[i].prep.generative ? new TracePrompts(w, baseDir) : null));
    this.seed = s.load.seed;
  }

  get index(): number {
    return this.slots.index;
  }
  get warmup(): boolean {
    return this.slots.warmup;
  }
  get measuredIndex(): number {
    return this.slots.measuredIndex;
  }

  next(): number {
    const t = this.slots.next();
    if (t >= 0) this.build(this.slots.index);
    return t;
  }

  pick(): WlState {
    return this.wl!;
  }

  request(): PreparedRequest {
    return this.req!;
  }

  private build(i: number): void {
    const c = this.cols;
    const w = c.workload[i];
    const wl = w >= 0 ? this.wls[w] : this.mix.pick(i);
    const prompts = this.prompts[wl.prep.index]!;
    // The unique text of record i is the same on every worker and shard count.
    const tailSeed = (hashUnit(this.seed, i) * 4294967296) >>> 0;
    const item = prompts.item(c.inputTokens[i], c.outputTokens[i], c.blockSeeds, c.blockTokens, c.blockStart[i], c.blockStart[i + 1], tailSeed);
    this.wl = wl;
    this.req = { body: Buffer.from(JSON.stringify(generativeBody(this.s.workloads[wl.prep.index], item))), inputTokens: item.inputTokens, outputTokens: item.outputTokens };
  }
}
