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
import { constants, gzip, gzipSync } from 'node:zlib';
import type { ServebenchError } from '../errors.js';
import { REQUEST_HEADER } from '../metrics/request-rows.js';
import type { RunOutput } from './run-output.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { AppendSink } from './append-sink.js';

/** The `--set` entry the --requests flag stands for. */
export const REQUESTS_SET = 'output.requests=true';

/** A command that runs a scenario in steps or rounds keeps no request rows: said, not silently dropped. */
export function requestsIgnoredWarning(s: ResolvedScenario, command: string): string | null {
  return s.output?.requests ? `output.requests (--requests) is not written by ${command}: run one variant or step with \`servebench run\` to get requests.csv.gz` : null;
}

/**
 * Fastest compression: on 1,024-row batches it costs about a third to half of the default level's
 * CPU per row (measured 0.4-1.1 µs against 1.5-1.9 µs) for files 15 % larger (18 against 16 bytes a row).
 */
const GZIP = { level: constants.Z_BEST_SPEED };

export class RequestsFile implements RunOutput {
  private sink: AppendSink | null = null;
  /** Batches compressed and written one after the other, in the order they came. */
  private chain: Promise<void> = Promise.resolve();
  private told = false;

  constructor(
    readonly path: string,
    private readonly onFailure?: (message: string) => void,
  ) {}

  /** The failed write or close (a full disk), told once through onFailure. */
  get failure(): ServebenchError | null {
    return this.sink?.failure ?? null;
  }
  get failureCause(): unknown {
    return this.sink?.failureCause ?? null;
  }
  /** Gzip members written so far (the header's included). */
  get batches(): number {
    return this.sink?.written ?? 0;
  }

  start(): void {
    this.sink = new AppendSink(this.path);
    this.write(gzipSync(REQUEST_HEADER));
  }

  requests(csvText: string): void {
    if (this.sink === null || this.sink.failure) return;
    this.chain = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          gzip(csvText, GZIP, (err, member) => {
            // zlib fails only on bad options: a member that cannot be made is a lost batch, told once.
            if (err) this.onFailure?.(`requests.csv.gz: a batch could not be compressed (${err.message})`);
            else this.write(member);
            resolve();
          });
        }),
    );
  }

  /** Every batch received is written and the file closed (call after the run's stop). */
  async closed(): Promise<void> {
    await this.chain;
    this.sink?.close();
    this.tell();
  }

  private write(member: Buffer): void {
    // What fitted stays; a torn last member is where a reader stops.
    if (!this.sink!.append(member)) this.tell();
  }

  private tell(): void {
    if (this.told || !this.failure) return;
    this.told = true;
    this.onFailure?.(this.failure.message);
  }
}
