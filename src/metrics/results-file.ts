/**
 * Reading results.ndjson back (report, merge, compare): one record a line, each checked against
 * the record schema. Written by report/ndjson.ts as the run goes.
 */
import { readFileSync } from 'node:fs';
import { ServebenchError } from '../errors.js';
import type { RunRecord } from './records.js';
import { recordProblem } from './records-schema.js';

export const RESULTS_FILE = 'results.ndjson';

/** Reads a results file. A torn last line (the run was killed mid-write) is skipped, not an error. */
export function readRecords(path: string): RunRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ServebenchError('E_FILE', `cannot read ${path}: ${(err as Error).message}`);
  }
  const lines = text.split('\n');
  const out: RunRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast) break;
      throw new ServebenchError('E_RESULTS', `${path}:${i + 1}: not a valid record`);
    }
    const problem = recordProblem(rec);
    if (problem) throw new ServebenchError('E_RESULTS', `${path}:${i + 1}: ${problem}`, { hint: 'this line was not written by servebench as it is now; restore the file or remove the line' });
    out.push(rec as RunRecord);
  }
  return out;
}
