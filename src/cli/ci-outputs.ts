/**
 * The CI outputs (--junit, --markdown) that run, merge and compare share.
 */
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Summary } from '../metrics/summary-types.js';
import type { Comparison } from '../compare/types.js';
import { comparisonSuite, renderJunit, thresholdSuite, type JunitSuite } from '../report/junit.js';
import { markdownComparison, markdownSummary } from '../report/markdown.js';
import { writeFileAtomic } from '../report/writer.js';
import type { Out } from './out.js';

export interface CiOutputs {
  /** JUnit XML file to write. */
  junit?: string;
  /** Markdown summary file to write (e.g. $GITHUB_STEP_SUMMARY; appended to when it exists there). */
  markdown?: string;
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
