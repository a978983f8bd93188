/**
 * What the commands that run or rebuild a report share: the default report folder, the progress
 * printer, the report set from records, and the exit code of a summary.
 */
import type { DashboardAddress } from '../dashboard/live.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, type ServebenchError } from '../errors.js';
import type { RunHandle } from '../engine/coordinator.js';
import { buildSummary } from '../metrics/summary.js';
import type { Summary } from '../metrics/summary-types.js';
import type { RunRecord } from '../metrics/records.js';
import type { NdjsonSink } from '../report/ndjson.js';
import type { RunOutput } from '../report/run-output.js';
import { writeError } from '../report/write-error.js';
import { progressLine } from '../report/console.js';
import { tryWriteReports, writeReports } from '../report/index.js';
import type { CiOutputs } from './ci-outputs.js';
import type { Out } from './out.js';

export interface RunCmdOptions extends CiOutputs {
  out?: string;
  sets?: readonly string[];
  shard?: { index: number; count: number };
  startAtEpochMs?: number;
  quiet?: boolean;
  /** Receives the handle so the caller (signal handlers, tests) can stop the run. */
  onHandle?: (h: RunHandle) => void;
  /** Use a --out folder that already holds files: the earlier run's files are removed first. */
  force?: boolean;
  /** Serve servebench's own live metrics on this port while the run goes (src/live). */
  metricsPort?: number;
  /** Serve the live dashboard (src/dashboard) on this address while the run goes. */
  dashboard?: DashboardAddress | null;
}

/** Local time as yyyymmdd-hhmmss, for folder names. */
export function stamp(at = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
}

export function defaultOutDir(name: string, at = new Date()): string {
  return join('reports', `${name}-${stamp(at)}`);
}

/**
 * The progress line of a run, as a run output: on a terminal one line rewritten each second, else
 * a line per second (CI logs). `stop()` finishes the rewritten line before anything else is
 * printed (also between the rounds of a compare run).
 */
export function progressPrinter(o: Out, quiet: boolean | undefined): RunOutput & { stop(): void } {
  let lastLen = 0;
  return {
    progress: quiet
      ? undefined
      : (p) => {
          const line = progressLine(p);
          if (o.tty) {
            process.stderr.write(`\r${line.padEnd(lastLen)}`);
            lastLen = line.length;
          } else o.err(line);
        },
    stop() {
      if (o.tty && lastLen) process.stderr.write('\n');
      lastLen = 0;
    },
  };
}

/**
 * A run that failed before its first record (the check request, the workers' start) leaves no
 * folder behind that `servebench report` would then refuse: removed if this run created it.
 */
export function discardIfNeverStarted(dir: string, created: boolean, sink: NdjsonSink): void {
  sink.close();
  if (created && sink.written === 0) rmSync(dir, { recursive: true, force: true });
}

export function exitForSummary(s: Summary): number {
  if (s.thresholds.some((t) => !t.ok)) return ExitCode.failed;
  return ExitCode.ok;
}

/** Summary + every report file from a run's records. */
export function finishReport(records: readonly RunRecord[], dir: string): Summary {
  const summary = buildSummary(records);
  writeReports(summary, dir);
  return summary;
}

/** finishReport for a run: a failed write (a full disk) is returned, not thrown, so the summary is still printed. */
export function finishReportKeepingSummary(records: readonly RunRecord[], dir: string, sink: NdjsonSink): { summary: Summary; writeFailure: ServebenchError | null } {
  const summary = buildSummary(records);
  const r = tryWriteReports(summary, dir);
  const failed = [...(sink.failure ? [sink.path] : []), ...r.failed];
  return { summary, writeFailure: failed.length ? writeError(failed, sink.failure ? sink.failureCause : r.cause) : null };
}
