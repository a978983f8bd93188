/**
 * Where a run's records go while it runs: the results file, the abort watch and the progress line
 * are each a `RunOutput`. The run path (one startRun) and the rounds path (startRounds) hand the
 * same list to the engine through `engineHooks`, start it before the run and stop it after.
 */
import type { Progress } from '../metrics/progress.js';
import type { RunRecord } from '../metrics/records.js';
import type { ThresholdResult } from '../metrics/summary-types.js';
import { NdjsonSink } from './ndjson.js';

export interface RunOutput {
  /** Before the run starts. */
  start?(): void;
  /** Every record of the run's time line, in the order it arrives. */
  add?(record: RunRecord): void;
  /**
   * One second's figures summed over every worker. The engine sums them (a round of a compare
   * run knows which of its records are late completions; the whole run's time line does not).
   */
  progress?(p: Progress): void;
  /** --requests: a batch of requests.csv.gz rows as a worker posted it. */
  requests?(csvText: string): void;
  /** After the run ended or failed: finish and close. Called once, also after a failure. */
  stop?(): void;
}

/** The outputs in order, as the engine's callbacks. */
export function engineHooks(outputs: readonly RunOutput[]): { onRecord: (r: RunRecord) => void; onProgress: ((p: Progress) => void) | undefined; onRequests?: (text: string) => void } {
  const adders = outputs.filter((o) => o.add);
  const progressers = outputs.filter((o) => o.progress);
  const requesters = outputs.filter((o) => o.requests);
  return {
    ...(requesters.length ? { onRequests: (text: string) => requesters.forEach((o) => o.requests!(text)) } : {}),
    onRecord: (r) => {
      for (const o of adders) o.add!(r);
    },
    onProgress: progressers.length ? (p) => progressers.forEach((o) => o.progress!(p)) : undefined,
  };
}

export function startOutputs(outputs: readonly RunOutput[]): void {
  for (const o of outputs) o.start?.();
}

export function stopOutputs(outputs: readonly RunOutput[]): void {
  for (const o of outputs) o.stop?.();
}

/**
 * results.ndjson as a run output. A failed write (a full disk) is told once through `onFailure`;
 * the run goes on in memory and the file ends there.
 */
export class ResultsFile implements RunOutput {
  readonly sink: NdjsonSink;
  constructor(
    path: string,
    private readonly onFailure?: (message: string) => void,
  ) {
    this.sink = new NdjsonSink(path);
  }
  add(r: RunRecord): void {
    if (!this.sink.write(r) && this.sink.failure) this.onFailure?.(this.sink.failure.message);
  }
  stop(): void {
    this.sink.close();
  }
}

/** What AbortOnFail needs of an abort watch (metrics/abort-watch.ts). */
export interface ThresholdWatch {
  observe(r: RunRecord): ThresholdResult | null;
}

/**
 * abortOnFail as a run output: the first failed abort threshold stops the run once, through
 * `onFail`, with the reason that goes into the end record.
 */
export class AbortOnFail implements RunOutput {
  /** Why the run was stopped, once it was. */
  reason: string | undefined;
  constructor(
    private readonly watch: ThresholdWatch,
    private readonly onFail: (reason: string) => void,
  ) {}
  add(r: RunRecord): void {
    if (this.reason !== undefined) return;
    const failed = this.watch.observe(r);
    if (!failed) return;
    this.reason = `threshold '${failed.expr}' failed (${failed.message}); abortOnFail stopped the run`;
    this.onFail(this.reason);
  }
}
