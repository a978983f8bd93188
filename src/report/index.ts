/**
 * The writer lists: which files each kind of report set holds (DESIGN.md "Report set"). An
 * explicit list, not a registry, so what is written is read here and nowhere else.
 * results.ndjson is streamed apart (ndjson.ts); the sweep's writers are in sweep/report.ts.
 */
import type { CompareReport } from '../compare/types.js';
import type { Summary } from '../metrics/summary-types.js';
import { compareCsv, compareJson } from './compare.js';
import { compareHtml } from './compare-html.js';
import { percentilesCsv, summaryCsv, timeseriesCsv } from './csv.js';
import { htmlReport } from './html.js';
import { summaryJson } from './json.js';
import { tryWriteAll, writeAll, type ReportWriter, type WriteOutcome, type Writer } from './writer.js';

/** The report set every run writes. */
export const SUMMARY_WRITERS: readonly ReportWriter[] = [summaryJson, summaryCsv, timeseriesCsv, percentilesCsv, htmlReport];

/** compare.json, compare.csv, compare.html. */
export const COMPARE_WRITERS: readonly Writer<CompareReport>[] = [compareJson, compareCsv, compareHtml];

/** Every file of the run's report set; a failed one is returned, not thrown (see tryWriteAll). */
export function tryWriteReports(summary: Summary, dir: string, names?: readonly string[]): WriteOutcome {
  return tryWriteAll(summary, dir, SUMMARY_WRITERS, names);
}

/** Every file of the run's report set, throwing E_WRITE (exit 4) that names the files not written. */
export function writeReports(summary: Summary, dir: string, names?: readonly string[]): string[] {
  return writeAll(summary, dir, SUMMARY_WRITERS, names);
}
