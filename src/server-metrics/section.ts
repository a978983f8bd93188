/**
 * The `server` section of summary.json from a run's records: the one call buildSummary makes.
 * Reads only `server` records, so runs without `server:` in their scenario get no section.
 */
import { clientVsServer } from './compare.js';
import { summariseServer } from './summarise.js';
import type { ServerRecord, ServerSummary } from './types.js';

interface ClientFigures {
  ttft?: { p50: number; p90: number; p99: number };
  serviceTime?: { p50: number; p90: number; p99: number };
}

export function serverSection(records: ReadonlyArray<{ type: string }>, measureStartEpochMs: number, durationS: number, client: ClientFigures): ServerSummary | undefined {
  const own = records.filter((r): r is ServerRecord => r.type === 'server');
  const s = summariseServer(own, { startEpochMs: measureStartEpochMs, endEpochMs: measureStartEpochMs + durationS * 1000 });
  if (s) s.clientVsServer = clientVsServer(client, s.series);
  return s;
}
