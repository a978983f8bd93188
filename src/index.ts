/**
 * servebench as a library: `import { run, loadScenario, compare, merge } from 'servebench'`.
 * The same load → validate → resolve path, run and report set as the command line; every expected
 * failure is a thrown ServebenchError with a stable `code` (src/errors.ts). Nothing is printed.
 */
import { ServebenchError } from './errors.js';
import type { LoadOptions, LoadedScenario } from './scenario/load.js';
import { loadScenario as loadScenarioFile } from './workload/scenario.js';
import type { ResolvedScenario } from './scenario/types.js';
import type { Progress } from './metrics/progress.js';
import type { Summary } from './metrics/summary-types.js';
import type { Comparison } from './compare/types.js';
import { runCore } from './cli/run-core.js';
import { compareInto } from './cli/compare.js';
import { mergeInto } from './cli/merge.js';
import { defaultOutDir } from './cli/shared.js';

export { ServebenchError, ExitCode, type ErrorCode, type Problem } from './errors.js';
export type { LoadOptions, LoadedScenario } from './scenario/load.js';
export { parseScenarioText } from './workload/scenario.js';
export { scenarioJsonSchema } from './scenario/json-schema.js';
export type { ResolvedScenario } from './scenario/types.js';
export type { Summary } from './metrics/summary-types.js';
export type { Progress } from './metrics/progress.js';
export type { Comparison } from './compare/types.js';
export { VERSION } from './version.js';

/** A scenario file (YAML or JSON) → the resolved scenario and its warnings; throws E_SCENARIO listing every problem. */
export function loadScenario(file: string, opts: LoadOptions = {}): LoadedScenario {
  return loadScenarioFile(file, opts);
}

export interface RunOptions {
  /** Report folder (new or empty); default reports/<name>-<timestamp>/ under the working directory. */
  out?: string;
  /** Aborting stops sending; in-flight requests get their grace period and the summary is still returned. */
  signal?: AbortSignal;
  /** Once a second while the run goes. */
  onProgress?: (p: Progress) => void;
  /** Things worth knowing that do not stop the run (a refused check request, a full disk). */
  onWarning?: (message: string) => void;
  /** Write into an `out` that holds an earlier run (its files are removed first). */
  force?: boolean;
}

/**
 * Runs a scenario (resolved, or a file path) and writes the report set to `out`. Resolves with the
 * summary (summary.json's content); thresholds that failed are in `summary.thresholds`, a stop by
 * `signal` or abortOnFail in `summary.stopReason`. Rejects with a ServebenchError when the run
 * cannot start or its files cannot be written.
 */
export async function run(scenario: ResolvedScenario | string, opts: RunOptions = {}): Promise<Summary> {
  const resolved = typeof scenario === 'string' ? loadScenarioFile(scenario).scenario : scenario;
  if (opts.signal?.aborted) throw new ServebenchError('E_INTERRUPTED', 'the signal was aborted before the run started; nothing was sent');
  let stop: (() => void) | undefined;
  const onAbort = () => stop?.();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const r = await runCore(resolved, {
      dir: opts.out ?? defaultOutDir(resolved.name),
      force: opts.force,
      onProgress: opts.onProgress,
      onWarning: opts.onWarning,
      onHandle: (h) => {
        stop = () => h.stop('the signal was aborted');
        if (opts.signal?.aborted) stop();
      },
    });
    if (r.writeFailure) throw r.writeFailure;
    return r.summary;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

export interface CompareOptions {
  /** Folder for compare.json/.csv/.html; default reports/compare-<timestamp>/. */
  out?: string;
  /** Change that counts, with '%' (default '10%'). */
  tolerance?: string;
  /** Per metric.stat, e.g. ['latency.p99=5%']. */
  toleranceFor?: readonly string[];
  seed?: number;
  resamples?: number;
}

/** Compares two finished runs (folders or summary.json files); `regressions > 0` is what exits 1 on the command line. */
export function compare(baseline: string, candidate: string, opts: CompareOptions = {}): Comparison {
  return compareInto(baseline, candidate, opts).comparison;
}

/** Merges the results of a run's shards into one run, its report set written to `out`. */
export function merge(dirs: readonly string[], opts: { out?: string; allowPartial?: boolean } = {}): Summary {
  return mergeInto(dirs, opts).summary;
}
