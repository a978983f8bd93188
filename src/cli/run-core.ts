/**
 * One run of a resolved scenario into its report folder, printing nothing: what `servebench run`
 * and the library's `run()` (src/index.ts) share. The caller prints (cli/run.ts) or returns.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ServebenchError } from '../errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { startRun, type RunHandle } from '../engine/coordinator.js';
import { buildSummary } from '../metrics/summary.js';
import type { Summary } from '../metrics/summary-types.js';
import type { Progress } from '../metrics/progress.js';
import { AbortWatch } from '../metrics/thresholds.js';
import type { RunRecord } from '../metrics/records.js';
import { NdjsonSink, RESULTS_FILE } from '../report/ndjson.js';
import { prepareOutDir } from '../report/out-dir.js';
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
  const sink = new NdjsonSink(join(dir, RESULTS_FILE));
  const warn = opts.onWarning ?? (() => undefined);
  const watch = new AbortWatch(scenario.abortOnFail, (rs) => buildSummary(rs));
  let abortedBy: string | undefined;
  const handle: RunHandle = startRun(scenario, {
    shard: opts.shard,
    startAtEpochMs: opts.startAtEpochMs,
    onRecord: (r) => {
      if (!sink.write(r) && sink.failure) warn(`${sink.failure.message}; the run goes on and its summary is printed at the end`);
      const failed = abortedBy === undefined ? watch.observe(r) : null;
      if (failed) {
        abortedBy = `threshold '${failed.expr}' failed (${failed.message}); abortOnFail stopped the run`;
        warn(abortedBy);
        handle.stop(abortedBy);
      }
    },
    onWarning: warn,
    onProgress: opts.onProgress,
  });
  opts.onHandle?.(handle);
  let records: RunRecord[];
  let interrupted: boolean;
  try {
    ({ records, interrupted } = await handle.done);
  } catch (err) {
    discardIfNeverStarted(dir, created, sink);
    throw err;
  } finally {
    sink.close();
  }
  const { summary, writeFailure } = finishReportKeepingSummary(records, dir, sink);
  return { summary, dir, writeFailure, abortedBy, interrupted };
}
