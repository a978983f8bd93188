import { stringify } from 'csv-stringify/sync';
import type { Summary } from '../metrics/summary-types.js';
import { METRICS } from '../metrics/records.js';
import { STAT_KEYS, decode, spectrum } from '../metrics/hdr.js';
import { metricScale } from '../metrics/records.js';
import type { ReportWriter } from './writer.js';
import { serverColumns } from '../server-metrics/csv.js';

/** One row per workload × metric; the workload 'all' holds the whole run. */
export const summaryCsv: ReportWriter = {
  name: 'summary-csv',
  file: 'summary.csv',
  render(s: Summary): string {
    // `total` and `cachedInputTokens` are filled on the token rows only (prefix-cache hits on inputTokens).
    const rows: Array<Array<string | number>> = [['workload', 'metric', 'unit', ...STAT_KEYS, 'total', 'cachedInputTokens']];
    const add = (workload: string, metrics: Summary['metrics'], t: Summary['totals']) => {
      for (const m of METRICS) {
        const x = metrics[m];
        if (!x) continue;
        const total = m === 'inputTokens' || m === 'outputTokens' ? t[m] : '';
        const cached = m === 'inputTokens' && t.cachedInputTokens !== undefined ? t.cachedInputTokens : '';
        rows.push([workload, m, x.unit, ...STAT_KEYS.map((k) => x[k]), total, cached]);
      }
    };
    add('all', s.metrics, s.totals);
    for (const w of s.workloads) add(w.name, w.metrics, w.totals);
    return stringify(rows);
  },
};

export const timeseriesCsv: ReportWriter = {
  name: 'timeseries-csv',
  file: 'timeseries.csv',
  render(s: Summary): string {
    const cols = ['second', 'workload', 'sent', 'ok', 'errors', 'dropped', 'inFlight', 'rps', 'targetRps', 'latencyP50Ms', 'latencyP99Ms', 'ttftP50Ms', 'tokensPerS'] as const;
    // server-metrics hook: one column per server series, its value in that second.
    const srv = serverColumns(s);
    return stringify([[...(cols as unknown as string[]), ...srv.header], ...s.timeseries.map((r) => [...cols.map((c) => r[c]), ...srv.values(r.second)])]);
  },
};

/** The full percentile spectrum per workload × metric, for people who plot in spreadsheets. */
export const percentilesCsv: ReportWriter = {
  name: 'percentiles-csv',
  file: 'percentiles.csv',
  render(s: Summary): string {
    const rows: Array<Array<string | number>> = [['workload', 'metric', 'unit', 'percentile', 'value']];
    const add = (workload: string, metrics: Summary['metrics']) => {
      for (const m of METRICS) {
        const x = metrics[m];
        if (!x) continue;
        const h = decode(x.hdr);
        for (const p of spectrum(h, metricScale(m))) rows.push([workload, m, x.unit, p.percentile, p.value]);
        h.destroy();
      }
    };
    add('all', s.metrics);
    for (const w of s.workloads) add(w.name, w.metrics);
    return stringify(rows);
  },
};
