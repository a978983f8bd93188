/**
 * results.ndjson: one record a line, appended as the run goes with a synchronous write per record
 * (about one a second per worker), so a killed run loses at most the interval in progress.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { ServebenchError } from '../errors.js';
import type { RunRecord } from '../metrics/records.js';

export const RESULTS_FILE = 'results.ndjson';

export class NdjsonSink {
  private fd: number;
  /** Records written so far (0: the run never started). */
  written = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(r: RunRecord): void {
    if (this.fd < 0) return;
    writeSync(this.fd, JSON.stringify(r) + '\n');
    this.written++;
  }
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

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
    try {
      out.push(JSON.parse(line) as RunRecord);
    } catch {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast) break;
      throw new ServebenchError('E_RESULTS', `${path}:${i + 1}: not a valid record`);
    }
  }
  return out;
}
