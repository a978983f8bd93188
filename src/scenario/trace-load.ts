/**
 * `load.type: trace`: the keys it takes, what it asks of the workloads, and its resolution. The
 * trace file itself is read by the workload layer (WorkloadFileChecks.trace) when the scenario is
 * checked, so a bad line fails `validate` at its file:line, never a run halfway.
 */
import type { Seg } from './messages.js';
import type { ProblemList } from './source.js';
import type { ResolvedTrace, TraceFormat } from './types.js';
import { GENERATIVE_KINDS, TRACE_FORMATS } from './schema.js';
import { isObject } from '../util/values.js';

type Obj = Record<string, unknown>;

const TRACE_KEYS = ['file', 'format', 'speed'] as const;

/** What the check of the trace file found (FileData.trace). */
export interface TraceFileData {
  readonly abs: string;
  readonly shown: string;
  readonly records: number;
  readonly spanMs: number;
}

export function isTraceLoad(load: unknown): boolean {
  return isObject(load) && load.type === 'trace';
}

/** The trace's key rules on the raw `load` and `workloads` (others' keys are checked by checkLoad). */
export function checkTraceKeys(raw: Obj, problems: ProblemList): void {
  const load = raw.load;
  if (!isObject(load)) return;
  const at: Seg[] = ['load'];
  if (load.type !== 'trace') {
    for (const k of TRACE_KEYS) if (Object.hasOwn(load, k)) problems.add([...at, k], 'key', `'${k}' applies to trace loads`);
    return;
  }
  if (!Object.hasOwn(load, 'file')) problems.missing([...at, 'file']);
  if (!Object.hasOwn(load, 'format')) problems.missing([...at, 'format']);
  // A sweep sets load.rps per step: a trace's rate is its own (scale it with speed).
  if (Object.hasOwn(raw, 'sweep')) problems.add(['sweep'], 'key', `'sweep' does not apply to a trace load; replay it at another rate with load.speed`);
  if (!Array.isArray(raw.workloads)) return;
  raw.workloads.forEach((w, i) => {
    if (!isObject(w)) return;
    if (typeof w.kind === 'string' && !(GENERATIVE_KINDS as readonly string[]).includes(w.kind)) {
      problems.add(['workloads', i, 'kind'], 'value', `a trace load replays chat and completion requests, got '${w.kind}'`);
    }
    for (const k of ['prompt', 'dataset']) {
      if (Object.hasOwn(w, k)) problems.add(['workloads', i, k], 'key', `'${k}' does not apply with a trace load; each line of the trace gives the request's lengths`);
    }
    // Each line is one request; a conversation's later turns would be requests the trace does not hold.
    if (Object.hasOwn(w, 'conversation')) problems.add(['workloads', i, 'conversation'], 'key', `'conversation' does not apply with a trace load; each line of the trace is one request`);
  });
}

/** The format of a trace load, when it is a valid one (zod reports the others). */
export function traceFormat(load: Obj): TraceFormat | undefined {
  return typeof load.format === 'string' && (TRACE_FORMATS as readonly string[]).includes(load.format) ? (load.format as TraceFormat) : undefined;
}

export function resolveTrace(data: TraceFileData, format: TraceFormat, speed: number | undefined): ResolvedTrace {
  return { file: data.abs, shown: data.shown, format, speed: speed ?? 1, records: data.records, spanMs: data.spanMs };
}

/**
 * The measured window of a trace when `duration` does not cut it: up to the last record plus one
 * mean gap (as a constant plan of n slots lasts n gaps), minus the warm-up. Also the trace's mean
 * rate, the plan's `rps` for reports.
 */
export function traceWindow(records: number, spanMs: number, speed: number, warmupMs: number): { durationMs: number; rps: number } {
  const scaledMs = spanMs / speed;
  const gapMs = records > 1 ? scaledMs / (records - 1) : 1000;
  const totalMs = Math.max(1, scaledMs + gapMs);
  return { durationMs: Math.max(1, Math.ceil(totalMs - warmupMs)), rps: records > 0 ? records / (totalMs / 1000) : 0 };
}
