/**
 * results.ndjson: one record a line, appended as the run goes with a synchronous write per record
 * (about one a second per worker), so a killed run loses at most the interval in progress.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { ServebenchError } from '../errors.js';
import type { RunRecord } from '../metrics/records.js';
import { writeError } from './write-error.js';
import { recordProblem } from '../metrics/records-schema.js';

export const RESULTS_FILE = 'results.ndjson';

export class NdjsonSink {
  private fd: number;
  /** Records written so far (0: the run never started). */
  written = 0;
  /** The write that failed (a full disk): the file ends there, the run goes on in memory. */
  failure: ServebenchError | null = null;
  failureCause: unknown = null;
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw writeError([path], e);
    }
  }
  /** False once a write has failed (the first such call is the moment to warn). */
  write(r: RunRecord): boolean {
    if (this.fd < 0) return this.failure === null;
    try {
      writeSync(this.fd, JSON.stringify(r) + '\n');
      this.written++;
      return true;
    } catch (e) {
      // What fitted stays: a torn last line is skipped by readRecords.
      this.failure = writeError([this.path], e);
      this.failureCause = e;
      this.close();
      return false;
    }
  }
  close(): void {
    const fd = this.fd;
    this.fd = -1;
    if (fd < 0) return;
    try {
      closeSync(fd);
    } catch (e) {
      if (!this.failure) {
        this.failure = writeError([this.path], e);
        this.failureCause = e;
      }
    }
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
