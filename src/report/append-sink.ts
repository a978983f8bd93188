/**
 * A file a run appends to as it goes, with a synchronous write each time (results.ndjson's records,
 * requests.csv.gz's gzip members). The first failed write (a full disk) is kept as the failure and
 * closes the file: what fitted stays, later writes are dropped, and the run goes on in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ServebenchError } from '../errors.js';
import { writeError } from './write-error.js';

export class AppendSink {
  private fd: number;
  /** Writes done so far (0: the run never started). */
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
  append(data: string | Uint8Array): boolean {
    if (this.fd < 0) return this.failure === null;
    try {
      if (typeof data === 'string') writeSync(this.fd, data);
      else writeSync(this.fd, data);
      this.written++;
      return true;
    } catch (e) {
      this.fail(e);
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
      this.fail(e);
    }
  }
  private fail(e: unknown): void {
    if (this.failure) return;
    this.failure = writeError([this.path], e);
    this.failureCause = e;
  }
}
