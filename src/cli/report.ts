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
import { REQUESTS_FILE } from '../metrics/request-rows.js';
import { checkRequestsFile } from '../metrics/requests-read.js';

export function cmdReport(dirOrFile: string, o: Out): number {
  const p = resolve(dirOrFile);
  const isDir = existsSync(p) && statSync(p).isDirectory();
  const file = isDir ? join(p, RESULTS_FILE) : p;
  if (!existsSync(file)) throw new ServebenchError('E_FILE', `${file} does not exist`, { hint: 'point at a run folder that holds results.ndjson' });
  const dir = isDir ? p : dirname(p);
  const records = readRecords(file);
  // A run with --requests: its per-request file is checked too, before anything is rewritten.
  const requests = existsSync(join(dir, REQUESTS_FILE)) ? checkRequestsFile(join(dir, REQUESTS_FILE)) : null;
  const summary = finishReport(records, dir);
  o.out(summaryText(summary, o.tty));
  if (requests) o.out(`\n${REQUESTS_FILE}: ${requests.rows} requests, every row well-formed (ok + errors = ${summary.totals.ok + summary.totals.errors})`);
  o.out(`\nreports rebuilt in ${dir}`);
  return exitForSummary(summary);
}
