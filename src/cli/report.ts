/**
 * `servebench report <results-dir>`: rebuilds the report set from results.ndjson alone (also a
 * killed run's).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ServebenchError } from '../errors.js';
import { RESULTS_FILE, readRecords } from '../metrics/results-file.js';
import { summaryText } from '../report/console.js';
import type { Out } from './out.js';
import { exitForSummary, finishReport } from './shared.js';

export function cmdReport(dirOrFile: string, o: Out): number {
  const p = resolve(dirOrFile);
  const isDir = existsSync(p) && statSync(p).isDirectory();
  const file = isDir ? join(p, RESULTS_FILE) : p;
  if (!existsSync(file)) throw new ServebenchError('E_FILE', `${file} does not exist`, { hint: 'point at a run folder that holds results.ndjson' });
  const dir = isDir ? p : dirname(p);
  const summary = finishReport(readRecords(file), dir);
  o.out(summaryText(summary, o.tty));
  o.out(`\nreports rebuilt in ${dir}`);
  return exitForSummary(summary);
}
