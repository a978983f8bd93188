/**
 * `servebench compare <baseline> <candidate>`: compares two finished runs. Returns the exit code;
 * printing goes through `Out`.
 */
import { makeDirs } from '../report/out-dir.js';
import { join, resolve } from 'node:path';
import { ExitCode } from '../errors.js';
import { compareRuns } from '../compare/core.js';
import { loadRun, parseTolerance, parseToleranceFor } from '../compare/load.js';
import type { Comparison, CompareReport } from '../compare/types.js';
import { compareText } from '../report/compare.js';
import { COMPARE_WRITERS } from '../report/index.js';
import { writeAll } from '../report/writer.js';
import { writeCiOutputs, type CiOutputs } from './ci-outputs.js';
import type { Out } from './out.js';
import { stamp } from './shared.js';

export interface CompareCmdOptions extends CiOutputs {
  out?: string;
  tolerance?: string;
  toleranceFor?: readonly string[];
  seed?: number;
  resamples?: number;
}

export function cmdCompare(baseline: string, candidate: string, opts: CompareCmdOptions, o: Out): number {
  const { comparison, dir } = compareInto(baseline, candidate, opts);
  writeCiOutputs(opts, null, comparison, o);
  o.out(compareText(comparison));
  o.out(`\ncomparison: ${dir}\nopen ${join(dir, 'compare.html')}`);
  return comparison.regressions > 0 ? ExitCode.failed : ExitCode.ok;
}

/** The comparison and its files (compare.json/.csv/.html in `out`), printing nothing: the library's compare() too. */
export function compareInto(baseline: string, candidate: string, opts: Omit<CompareCmdOptions, keyof CiOutputs>): { comparison: Comparison; dir: string } {
  const tolerance = opts.tolerance !== undefined ? parseTolerance(opts.tolerance) : undefined;
  const toleranceFor = Object.fromEntries((opts.toleranceFor ?? []).map(parseToleranceFor));
  const a = loadRun(baseline, 'baseline');
  const b = loadRun(candidate, 'candidate');
  const comparison = compareRuns(a, b, {
    tolerance,
    toleranceFor,
    bootstrap: { ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.resamples !== undefined ? { resamples: opts.resamples } : {}) },
  });
  const dir = resolve(opts.out ?? join('reports', `compare-${stamp()}`));
  makeDirs(dir);
  const report: CompareReport = { comparison, baseline: a.summary, candidate: b.summary };
  writeAll(report, dir, COMPARE_WRITERS);
  return { comparison, dir };
}
