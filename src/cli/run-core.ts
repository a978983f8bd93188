/**
 * One run of a resolved scenario into its report folder, printing nothing: what `servebench run`
 * and the library's `run()` (src/index.ts) share. The caller prints (cli/run.ts) or returns.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ServebenchError } from '../errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { startRun, type RunHandle } from '../engine/coordinator.js';
import type { Summary } from '../metrics/summary-types.js';
import type { Progress } from '../metrics/progress.js';
import { AbortWatch } from '../metrics/abort-watch.js';
import type { RunRecord } from '../metrics/records.js';
import { RESULTS_FILE } from '../metrics/results-file.js';
import { AbortOnFail, ResultsFile, engineHooks, startOutputs, stopOutputs, type RunOutput } from '../report/run-output.js';
import { prepareOutDir } from '../report/out-dir.js';
import { RequestsFile } from '../report/requests-file.js';
import { REQUESTS_FILE } from '../metrics/request-rows.js';
import { writeError } from '../report/write-error.js';
import { discardIfNeverStarted, finishReportKeepingSummary } from './shared.js';

export interface RunCoreOptions {
  /** The report folder; it must be empty or new unless `force`. */
  dir: string;
  force?: boolean;
  shard?: { index: number; count: number };
  startAtEpochMs?: number;
  onProgress?: (p: Progress) => void;
  /** Things worth telling the user that do not stop the run (not redacted here). */
  onWarning?: (msg: string) => void;
  onHandle?: (h: RunHandle) => void;
  /** More run outputs beside the results file and the abort watch (progress line, live views). */
  outputs?: readonly RunOutput[];
}

export interface RunCoreResult {
  summary: Summary;
  /** Absolute report folder. */
  dir: string;
  /** Files that could not be written (a full disk): the summary is still whole. */
  writeFailure: ServebenchError | null;
  /** Set when a threshold with abortOnFail stopped the run: why. */
  abortedBy?: string;
  interrupted: boolean;
}

export async function runCore(scenario: ResolvedScenario, opts: RunCoreOptions): Promise<RunCoreResult> {
  const dir = resolve(opts.dir);
  const created = !existsSync(dir);
  const outLock = prepareOutDir(dir, { force: opts.force });
  try {
    return await runInto(dir, created, scenario, opts);
  } finally {
    outLock.release();
  }
}

async function runInto(dir: string, created: boolean, scenario: ResolvedScenario, opts: RunCoreOptions): Promise<RunCoreResult> {
  const warn = opts.onWarning ?? (() => undefined);
  const results = new ResultsFile(join(dir, RESULTS_FILE), (m) => warn(`${m}; the run goes on and its summary is printed at the end`));
  let handle: RunHandle | undefined;
  const abort = new AbortOnFail(new AbortWatch(scenario.abortOnFail), (reason) => {
    warn(reason);
    handle?.stop(reason);
  });
  const requests = scenario.output?.requests ? new RequestsFile(join(dir, REQUESTS_FILE), (m) => warn(`${m}; the run goes on and its summary is printed at the end`)) : null;
  const outputs: RunOutput[] = [results, abort, ...(requests ? [requests] : []), ...(opts.outputs ?? []), ...(opts.onProgress ? [{ progress: opts.onProgress }] : [])];
  startOutputs(outputs);
  handle = startRun(scenario, {
    shard: opts.shard,
    startAtEpochMs: opts.startAtEpochMs,
    ...engineHooks(outputs),
    onWarning: warn,
  });
  opts.onHandle?.(handle);
  let records: RunRecord[];
  let interrupted: boolean;
  try {
    ({ records, interrupted } = await handle.done);
  } catch (err) {
    discardIfNeverStarted(dir, created, results.sink);
    // A run that never started leaves no requests file behind (its header alone) either.
    if (requests && results.sink.written === 0) {
      await requests.closed();
      rmSync(requests.path, { force: true });
    }
    throw err;
  } finally {
    stopOutputs(outputs);
    await requests?.closed();
  }
  const { summary, writeFailure } = finishReportKeepingSummary(records, dir, results.sink);
  // A full disk costs files, never the summary: requests.csv.gz's failure is told like the others'.
  const failure = writeFailure ?? (requests?.failure ? writeError([requests.path], requests.failureCause) : null);
  return { summary, dir, writeFailure: failure, abortedBy: abort.reason, interrupted };
}
