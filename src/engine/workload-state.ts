/**
 * A worker's per-workload recording state (counters in flat typed arrays, double-buffered
 * histograms, token accounting, deadlines, the response handler chosen for its kind) and the
 * weighted mix that picks a workload per slot.
 */
import { dirname } from 'node:path';
import type { ResolvedScenario, ResolvedWorkload } from '../scenario/types.js';
import type { PreparedRequest, PreparedWorkload } from '../workload/prepare.js';
import { workloadTokenizer } from '../workload/prompts.js';
import { newRecorder, type Histogram } from '../metrics/hdr.js';
import { ERROR_CLASSES, METRICS, type MetricName } from '../metrics/records.js';
import { responseHandlerFor, type ResponseHandler } from '../protocol/index.js';
import { hashUnit } from '../util/random.js';
import { TIMEOUT_MARK } from './classify.js';
import { TokenAccounting } from './tokens.js';
import { ConversationRecording } from './conversation-recording.js';

export const N_METRICS = METRICS.length;
/** Histogram index per metric name. */
export const M: Record<MetricName, number> = Object.fromEntries(METRICS.map((m, i) => [m, i])) as Record<MetricName, number>;
export const N_FIXED_ERR = ERROR_CLASSES.length;
/** Counter slots per workload: fixed classes then one per HTTP status 100..599. */
export const ERR_SLOTS = N_FIXED_ERR + 500;
export const ERR_INDEX: Record<string, number> = Object.fromEntries(ERROR_CLASSES.map((c, i) => [c, i]));

/** Counter indices of WlState.counters. */
export const enum C {
  sent,
  ok,
  dropped,
  inFlight,
  outputTokens,
  inputTokens,
  sloMet,
  short,
  retries,
  /** usage.prompt_tokens_details.cached_tokens summed, and the answers that carried it. */
  cachedInputTokens,
  cachedReported,
  size,
}

export class WlState {
  readonly counters = new Float64Array(C.size);
  readonly errors = new Float64Array(ERR_SLOTS);
  /** The recording histograms; swapped for `spare` at each interval's end (see IntervalRecorder.flush). */
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
  /** How this workload's answers are read (predict JSON, completion JSON or SSE), chosen once here. */
  readonly response: ResponseHandler;
  /** `conversation` workloads: per-turn recording; their streams keep every reply's text for the next turn. */
  readonly conversation: ConversationRecording | null;
  readonly keepsReplies: boolean;
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
    this.conversation = wl.conversation ? new ConversationRecording() : null;
    this.keepsReplies = wl.conversation !== undefined && prep.stream;
    this.response = responseHandlerFor(prep.kind, prep.stream, prep.batch);
  }
}

/** What a slot sends: its workload, then its request (the workload's prepared ones, or a trace's). */
export interface RequestSource {
  readonly wls: readonly WlState[];
  pick(index: number): WlState;
  request(wl: WlState, index: number): PreparedRequest;
}

/** Picks the workload of a slot by weight, from the slot's global index (the same on every worker count). */
export class WorkloadMix implements RequestSource {
  private readonly cumWeights: Float64Array;
  private readonly seed: number;

  constructor(
    readonly wls: readonly WlState[],
    s: ResolvedScenario,
  ) {
    let acc = 0;
    this.cumWeights = new Float64Array(s.workloads.length);
    const total = s.workloads.reduce((x, wl) => x + wl.weight, 0);
    s.workloads.forEach((wl, i) => {
      acc += wl.weight / total;
      this.cumWeights[i] = acc;
    });
    this.cumWeights[this.cumWeights.length - 1] = 1;
    this.seed = s.load.seed;
  }

  pick(index: number): WlState {
    const cw = this.cumWeights;
    if (cw.length === 1) return this.wls[0];
    const u = hashUnit(this.seed, index);
    let i = 0;
    while (u >= cw[i] && i < cw.length - 1) i++;
    return this.wls[i];
  }

  /** The workload's prepared requests, cycled in order. */
  request(wl: WlState): PreparedRequest {
    const reqs = wl.prep.requests;
    const req = reqs[wl.bodyIndex];
    wl.bodyIndex = wl.bodyIndex + 1 === reqs.length ? 0 : wl.bodyIndex + 1;
    return req;
  }
}
