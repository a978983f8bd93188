/**
 * target.retry, decided per failed attempt. Off unless the scenario asks for it.
 *
 * Accounting (what a report means): `sent` counts requests, not attempts; every extra attempt
 * counts once in `retries`; a request ends in exactly one of ok or one error class, its final
 * outcome. Latency stays measured from the first attempt's intended instant, so a retried request
 * shows the whole wait its caller had, backoff included.
 */
import type { ResolvedRetry } from '../scenario/types.js';

export class RetryPolicy {
  /** Indexed by HTTP status: 1 where the status is retried. */
  private readonly statuses = new Uint8Array(600);
  private readonly classes: ReadonlySet<string>;
  readonly max: number;
  private readonly backoffMs: number;

  constructor(r: ResolvedRetry) {
    const classes = new Set<string>();
    for (const o of r.on) {
      if (typeof o === 'number') this.statuses[o] = 1;
      else classes.add(o);
    }
    this.classes = classes;
    this.max = r.max;
    this.backoffMs = r.backoffMs;
  }

  /** Whether a failure of this class (`http_<code>` or a transport class) may be tried again. */
  retries(errClass: string): boolean {
    if (errClass.charCodeAt(0) === 104 /* h */ && errClass.startsWith('http_')) {
      const code = Number(errClass.slice(5));
      return code >= 0 && code < 600 && this.statuses[code] === 1;
    }
    return this.classes.has(errClass);
  }

  /** Wait before extra attempt `attempt` (1-based): exponential from backoffMs. */
  delayMs(attempt: number): number {
    return this.backoffMs * 2 ** (attempt - 1);
  }
}
