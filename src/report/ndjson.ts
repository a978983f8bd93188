/**
 * results.ndjson: one record a line, appended as the run goes with a synchronous write per record
 * (about one a second per worker), so a killed run loses at most the interval in progress.
 * Reading it back is metrics/results-file.ts.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ServebenchError } from '../errors.js';
import type { RunRecord } from '../metrics/records.js';
import { writeError } from './write-error.js';

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
