/**
 * The one object the coordinator holds for a scenario's `server:` section: scraping starts with
 * the run, and after the load the last scrapes and the PromQL range queries over the run's
 * window are made. Everything goes out through `emit` as `server` records.
 */
import type { ResolvedServer } from '../scenario/types.js';
import { runQueries } from './promql.js';
import { startScraping, type ScrapeLoops } from './scrape.js';
import type { ServerRecord } from './types.js';

export interface ServerMetricsOptions {
  shard: string;
  emit(r: ServerRecord): void;
  warn(msg: string): void;
  embeddedOrigin?: string;
}

export interface ServerMetrics {
  /** After the load: last scrapes, then the PromQL queries from `fromEpochMs` to now. */
  finish(fromEpochMs: number): Promise<void>;
  close(): Promise<void>;
}

export function startServerMetrics(server: ResolvedServer, o: ServerMetricsOptions): ServerMetrics {
  const loops: ScrapeLoops | null = server.metrics.length > 0 ? startScraping(server.metrics, o) : null;
  return {
    async finish(fromEpochMs: number) {
      await loops?.finish();
      if (server.prometheus) await runQueries(server.prometheus, fromEpochMs, Date.now(), o.shard, o.emit, o.warn);
    },
    async close() {
      await loops?.close();
    },
  };
}

export type { ServerRecord, ServerSummary, ServerSeriesSummary } from './types.js';
