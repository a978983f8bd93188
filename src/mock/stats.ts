/**
 * The mock's own counters: requests by route, status and routing mode, and LLM tokens sent.
 * Plain fields and arrays, bumped on the hot path; MockStats is built only when asked for.
 */
import { ROUTE_NAMES } from './routes.js';

export interface MockStats {
  requests: number;
  /** predict, classify, regress, infer, model, chat, completion, preflight, unrouted, notFound. */
  byRoute: Record<string, number>;
  /** HTTP status → responses. */
  byStatus: Record<string, number>;
  /** Requests routed by each mode: path, host. */
  byRouting: Record<string, number>;
  /** LLM tokens delivered to clients (streamed chunks and whole responses). */
  tokensSent: number;
}

export class StatsCounter {
  requests = 0;
  tokens = 0;
  /** By route id (routes.ts). */
  readonly routes = new Array<number>(ROUTE_NAMES.length).fill(0);
  private readonly statuses = new Map<number, number>();
  /** [path, host]. */
  private readonly routing = [0, 0];

  status(status: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  routed(byHost: boolean): void {
    this.routing[byHost ? 1 : 0]++;
  }

  snapshot(): MockStats {
    const byRoute: Record<string, number> = {};
    ROUTE_NAMES.forEach((r, i) => {
      if (this.routes[i] > 0) byRoute[r] = this.routes[i];
    });
    const byStatus: Record<string, number> = {};
    for (const [s, n] of [...this.statuses].sort((a, b) => a[0] - b[0])) byStatus[String(s)] = n;
    return {
      requests: this.requests,
      byRoute,
      byStatus,
      byRouting: { path: this.routing[0], host: this.routing[1] },
      tokensSent: this.tokens,
    };
  }

  reset(): void {
    this.requests = 0;
    this.tokens = 0;
    this.routes.fill(0);
    this.statuses.clear();
    this.routing.fill(0);
  }
}
