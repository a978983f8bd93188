/**
 * `servebench compare <baseline> <candidate>` and the CI outputs (--junit, --markdown) that run
 * and compare share. Returns exit codes; printing goes through `Out`.
 */
import { appendFileSync } from 'node:fs';
import { makeDirs } from '../report/out-dir.js';
import { join, resolve } from 'node:path';
import { ExitCode } from '../errors.js';
import type { Summary } from '../metrics/summary.js';
import { compareCsv, compareJson, compareRuns, compareText, loadRun, parseTolerance, parseToleranceFor, writeCompareReports, type Comparison, type CompareReport } from '../report/compare.js';
import { compareHtml } from '../report/compare-html.js';
import { comparisonSuite, renderJunit, thresholdSuite, type JunitSuite } from '../report/junit.js';
import { markdownComparison, markdownSummary } from '../report/markdown.js';
import { writeFileAtomic } from '../report/writer.js';
import type { Out } from './commands.js';

export const COMPARE_WRITERS = [compareJson, compareCsv, compareHtml] as const;

export interface CiOutputs {
  /** JUnit XML file to write. */
  junit?: string;
  /** Markdown summary file to write (e.g. $GITHUB_STEP_SUMMARY; appended to when it exists there). */
  markdown?: string;
}

export interface CompareCmdOptions extends CiOutputs {
  out?: string;
  tolerance?: string;
  toleranceFor?: readonly string[];
  seed?: number;
  resamples?: number;
}

function stamp(at = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
}

/**
 * Writes the CI files for a run and, when it compared variants, its comparison. The Markdown file
 * is appended to when it is GitHub's step summary (several steps share that file), else replaced.
 */
export function writeCiOutputs(ci: CiOutputs, summary: Summary | null, comparison: Comparison | null, o: Out): void {
  if (ci.junit) {
    const suites: JunitSuite[] = [];
    if (summary) suites.push(thresholdSuite(summary));
    if (comparison) suites.push(comparisonSuite(comparison));
    const p = resolve(ci.junit);
    writeFileAtomic(p, renderJunit(suites));
    o.err(`junit: ${p}`);
  }
  if (ci.markdown) {
    const text = [summary ? markdownSummary(summary) : '', comparison ? markdownComparison(comparison) : ''].filter(Boolean).join('\n');
    const p = resolve(ci.markdown);
    if (process.env.GITHUB_STEP_SUMMARY && resolve(process.env.GITHUB_STEP_SUMMARY) === p) {
      // Other steps of the job write to the same file: append, never replace.
      appendFileSync(p, text);
    } else writeFileAtomic(p, text);
    o.err(`markdown: ${p}`);
  }
}

export function cmdCompare(baseline: string, candidate: string, opts: CompareCmdOptions, o: Out): number {
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
  writeCompareReports(report, dir, COMPARE_WRITERS);
  writeCiOutputs(opts, null, comparison, o);
  o.out(compareText(comparison));
  o.out(`\ncomparison: ${dir}\nopen ${join(dir, 'compare.html')}`);
  return comparison.regressions > 0 ? ExitCode.failed : ExitCode.ok;
}
