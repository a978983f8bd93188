/**
 * The server's series in a sweep: each step keeps its window figures of every server series
 * (sweep.json `steps[].server`), which sweep.html draws against the offered rate (server-charts.ts).
 */
import type { ServerSeriesSummary, ServerSummary } from '../server-metrics/types.js';

/** One server series over one step's measured window: summary.json's figures, keyed by `series`. */
export type StepServerSeries = Pick<ServerSeriesSummary, 'name' | 'labels' | 'kind' | 'mean' | 'max' | 'last' | 'rate' | 'p50' | 'p90' | 'p99' | 'count'> & {
  /** `name{labels}`, the key that matches a series across steps (timeseries.csv's column). */
  series: string;
};

export interface StepServer {
  scrapes: number;
  failures: number;
  series: StepServerSeries[];
}

/** A step's server figures from its run's summary; undefined when the scenario has no `server:`. */
export function stepServer(s: ServerSummary | undefined): StepServer | undefined {
  if (!s) return undefined;
  const series = s.series.map((x) => {
    const out: StepServerSeries = { series: x.column, name: x.name, labels: x.labels, kind: x.kind };
    for (const k of ['mean', 'max', 'last', 'rate', 'p50', 'p90', 'p99', 'count'] as const) if (x[k] !== undefined) out[k] = x[k];
    return out;
  });
  return { scrapes: s.scrapes, failures: s.failures, series };
}
