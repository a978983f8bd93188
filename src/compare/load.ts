/**
 * Loading runs for a comparison: a run folder (or its summary.json / results.ndjson) into the
 * summary and, when the results file is there, its per-second data; and the tolerance flags.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ServebenchError } from '../errors.js';
import { intervalsOf } from '../metrics/bootstrap.js';
import type { RunRecord } from '../metrics/records.js';
import { RESULTS_FILE, readRecords } from '../metrics/results-file.js';
import type { Summary } from '../metrics/summary-types.js';
import { requirePercent } from '../util/percent.js';
import type { RunData } from './types.js';

/** `<dir>` or `<dir>/summary.json` (or `<dir>/results.ndjson`): the summary and, if present, the records. */
export function loadRun(arg: string, label: string): RunData {
  const p = resolve(arg);
  if (!existsSync(p)) throw new ServebenchError('E_FILE', `${arg} does not exist`, { hint: 'name a run folder or its summary.json' });
  const dir = statSync(p).isDirectory() ? p : dirname(p);
  const summaryPath = statSync(p).isDirectory() ? join(p, 'summary.json') : basename(p) === RESULTS_FILE ? join(dir, 'summary.json') : p;
  if (!existsSync(summaryPath)) throw new ServebenchError('E_FILE', `${summaryPath} does not exist`, { hint: 'name a run folder that holds summary.json (servebench report <dir> rebuilds it)' });
  let summary: Summary;
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary;
  } catch (err) {
    throw new ServebenchError('E_RESULTS', `${summaryPath}: not a servebench summary: ${(err as Error).message}`);
  }
  if (typeof summary !== 'object' || summary === null || !summary.metrics || !Array.isArray(summary.workloads) || !summary.totals) {
    throw new ServebenchError('E_RESULTS', `${summaryPath}: not a servebench summary (no metrics, workloads or totals)`);
  }
  const results = join(dir, RESULTS_FILE);
  const intervals = existsSync(results) ? intervalsOf(readRecords(results)) : null;
  return { label, path: summaryPath, summary, intervals };
}

/** A RunData straight from records (the in-run variant comparison). */
export function runDataOf(label: string, path: string, summary: Summary, records: readonly RunRecord[]): RunData {
  return { label, path, summary, intervals: intervalsOf(records) };
}

/** '10%' → 0.1. A bare number is refused (E_USAGE, with the hint 'write 10%'): see util/percent.ts. */
export function parseTolerance(s: string, flag = '--tolerance'): number {
  return requirePercent(s, flag);
}

/** 'latency.p99=5%' → ['latency.p99', 0.05]; 'errors.rate=1%' → ['errors.rate', 0.01] (absolute points). */
export function parseToleranceFor(s: string): [string, number] {
  const eq = s.indexOf('=');
  const key = eq < 0 ? '' : s.slice(0, eq).trim();
  if (!/^[A-Za-z]+\.[A-Za-z0-9]+$/.test(key)) throw new ServebenchError('E_USAGE', `--tolerance-for '${s}' is not metric.stat=value (e.g. latency.p99=5%)`);
  return [key, parseTolerance(s.slice(eq + 1), `--tolerance-for ${key}`)];
}

