/**
 * results.ndjson: one record a line, appended as the run goes with a synchronous write per record
 * (about one a second per worker), so a killed run loses at most the interval in progress.
 * Reading it back is metrics/results-file.ts.
 */
import type { RunRecord } from '../metrics/records.js';
import { AppendSink } from './append-sink.js';

export class NdjsonSink extends AppendSink {
  /** False once a write has failed (the first such call is the moment to warn). A torn last line is skipped by readRecords. */
  write(r: RunRecord): boolean {
    return this.append(JSON.stringify(r) + '\n');
  }
}
