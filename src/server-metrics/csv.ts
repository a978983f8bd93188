/** timeseries.csv's server columns: the header names and, per second, the values ('' when none). */
import type { ServerSummary } from './types.js';

export function serverColumns(s: { server?: ServerSummary }): { header: string[]; values(second: number): Array<number | string> } {
  const t = s.server?.timeseries;
  if (!t || t.columns.length === 0) return { header: [], values: () => [] };
  const bySecond = new Map(t.rows.map((r) => [r.second, r.values]));
  const empty = t.columns.map(() => '');
  return { header: t.columns, values: (sec) => bySecond.get(sec)?.map((v) => v ?? '') ?? empty };
}
