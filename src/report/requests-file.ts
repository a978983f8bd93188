/**
 * requests.csv.gz as a run output (`--requests`, `output.requests: true`): the header, then each
 * batch of rows the workers post, compressed off the main thread (zlib's thread pool) into its own
 * gzip member and appended in arrival order. Concatenated members are one valid gzip file (RFC
 * 1952; gunzip, zcat, Python's gzip and Node's zlib read them all), so a killed run keeps every
 * batch already written, as results.ndjson keeps its intervals. Memory: the batches waiting for
 * the compressor, a few hundred KB at most at tens of thousands of requests a second.
 *
 * A failed write (a full disk) is told once; later batches are dropped, the run goes on, and the
 * command exits 4 after the summary (report/write-error.ts), as for results.ndjson.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { constants, gzip, gzipSync } from 'node:zlib';
import type { ServebenchError } from '../errors.js';
import { REQUEST_HEADER } from '../metrics/request-rows.js';
import type { RunOutput } from './run-output.js';
import { writeError } from './write-error.js';

/** The `--set` entry the --requests flag stands for. */
export const REQUESTS_SET = 'output.requests=true';

/**
 * Fastest compression: on 1,024-row batches it costs about a third to half of the default level's
 * CPU per row (measured 0.4-1.1 µs against 1.5-1.9 µs) for files 15 % larger (18 against 16 bytes a row).
 */
const GZIP = { level: constants.Z_BEST_SPEED };

export class RequestsFile implements RunOutput {
  private fd = -1;
  /** Batches compressed and written one after the other, in the order they came. */
  private chain: Promise<void> = Promise.resolve();
  /** Rows' batches filed so far. */
  batches = 0;
  failure: ServebenchError | null = null;
  failureCause: unknown = null;

  constructor(
    readonly path: string,
    private readonly onFailure?: (message: string) => void,
  ) {}

  start(): void {
    try {
      this.fd = openSync(this.path, 'w');
    } catch (e) {
      throw writeError([this.path], e);
    }
    this.write(gzipSync(REQUEST_HEADER));
  }

  requests(csvText: string): void {
    if (this.fd < 0) return;
    this.chain = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          gzip(csvText, GZIP, (err, member) => {
            if (err) this.fail(err);
            else this.write(member);
            resolve();
          });
        }),
    );
  }

  /** Every batch received is written and the file closed (call after the run's stop). */
  async closed(): Promise<void> {
    await this.chain;
    const fd = this.fd;
    this.fd = -1;
    if (fd < 0) return;
    try {
      closeSync(fd);
    } catch (e) {
      this.fail(e);
    }
  }

  private write(member: Buffer): void {
    if (this.fd < 0) return;
    try {
      writeSync(this.fd, member);
      this.batches++;
    } catch (e) {
      // What fitted stays; a torn last member is where a reader stops.
      this.fail(e);
      try {
        closeSync(this.fd);
      } catch {
        // already failing: the first error is the one told
      }
      this.fd = -1;
    }
  }

  private fail(e: unknown): void {
    if (this.failure) return;
    this.failure = writeError([this.path], e);
    this.failureCause = e;
    this.onFailure?.(this.failure.message);
  }
}
