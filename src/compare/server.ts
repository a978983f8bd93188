/**
 * The server's own series (summary.json `server.series[]`) compared like the client's metrics:
 * matched by name and labels (the source URL differs between runs: an embedded mock's port, a
 * pod's IP), one entry per figure with the same tolerance, interval and verdict rules (entry.ts).
 *
 * - gauge: its mean over the window; counter: its rate; histogram: p50/p90/p99 (in ms when the
 *   name gives a time unit), with the thin-tail rule on the window's observation count.
 * - The interval of a gauge's mean or a counter's rate is a bootstrap over its per-second values
 *   (summary.json `server.timeseries`); a histogram's percentiles have no per-second buckets
 *   there, so they are judged on the tolerance alone.
 * - Which way is better comes from the name (queues, cache use, errors and server times: lower;
 *   tokens and successes per second: higher); for any other series the change is shown and never
 *   judged. Series in one run only are listed, never failed.
 */
import { bootstrapMeanChange, type BootstrapOptions, type ChangeInterval } from '../metrics/bootstrap.js';
import { msPerUnit } from '../server-metrics/compare.js';
import { seriesColumn } from '../server-metrics/summarise.js';
import type { ServerSeriesSummary, ServerSummary } from '../server-metrics/types.js';
import { entryOf, type Row } from './entry.js';
import { MIN_INTERVALS, SERVER, type CompareEntry, type CompareOptions, type ServerComparison } from './types.js';

/** Which way is better for a series, from its name and kind. */
export function directionOf(s: Pick<ServerSeriesSummary, 'name' | 'kind'>): CompareEntry['better'] {
  const n = s.name;
  if (/error|fail|abort|reject|preempt|timeout/i.test(n)) return 'lower';
  if (s.kind === 'gauge' && /num_requests_waiting$|queue_depth$|(kv|gpu)_cache_usage_perc$/.test(n)) return 'lower';
  if (s.kind === 'histogram' && msPerUnit(n) !== null) return 'lower';
  if (s.kind === 'counter' && /tokens_total$|request_success_total$/.test(n)) return 'higher';
  return 'either';
}

/** Series by `name{labels}`; a name and labels served by two sources of one run get ` @ source`. */
function keyed(srv: ServerSummary): Map<string, ServerSeriesSummary> {
  const count = new Map<string, number>();
  for (const s of srv.series) count.set(seriesColumn(s.name, s.labels), (count.get(seriesColumn(s.name, s.labels)) ?? 0) + 1);
  const out = new Map<string, ServerSeriesSummary>();
  for (const s of srv.series) {
    const k = seriesColumn(s.name, s.labels);
    out.set(count.get(k)! > 1 ? `${k} @ ${s.source}` : k, s);
  }
  return out;
}

/** A series' per-second values in the run (a gauge's value, a counter's rate), seconds without a scrape left out. */
function perSecond(srv: ServerSummary, s: ServerSeriesSummary): number[] {
  const col = srv.timeseries.columns.indexOf(s.column);
  if (col < 0) return [];
  const out: number[] = [];
  for (const r of srv.timeseries.rows) {
    const v = r.values[col];
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

function rowsOf(key: string, a: ServerSeriesSummary, b: ServerSeriesSummary): Row[] {
  const better = directionOf(a);
  const base = { metric: key, better };
  if (a.kind === 'gauge' && a.mean !== undefined && b.mean !== undefined) return [{ ...base, stat: 'mean', unit: 'value', base: a.mean, cand: b.mean, toleranceKey: 'server.mean' }];
  if (a.kind === 'counter' && a.rate !== undefined && b.rate !== undefined) return [{ ...base, stat: 'rate', unit: '/s', base: a.rate, cand: b.rate, toleranceKey: 'server.rate' }];
  if (a.kind !== 'histogram' || !(a.count! > 0) || !(b.count! > 0)) return [];
  const scale = msPerUnit(a.name);
  const count = Math.min(a.count!, b.count!);
  return (['p50', 'p90', 'p99'] as const)
    .filter((p) => a[p] !== undefined && b[p] !== undefined)
    .map((p) => ({ ...base, stat: p, unit: scale === null ? 'value' : 'ms', base: a[p]! * (scale ?? 1), cand: b[p]! * (scale ?? 1), count, toleranceKey: `server.${p}` }));
}

/**
 * The server's entries and the series in one run only; null when neither run has server data.
 * Warns when only one run has it (nothing to compare against).
 */
export function compareServer(sa: ServerSummary | undefined, sb: ServerSummary | undefined, opts: CompareOptions, bo: BootstrapOptions, warnings: string[]): { entries: CompareEntry[]; lists: ServerComparison } | null {
  if (!sa && !sb) return null;
  const a = sa ? keyed(sa) : new Map<string, ServerSeriesSummary>();
  const b = sb ? keyed(sb) : new Map<string, ServerSeriesSummary>();
  if (!sa || !sb) warnings.push(`only the ${sa ? 'baseline' : 'candidate'} has server metrics (scenario server:): its series are listed, not compared`);
  const lists: ServerComparison = { compared: 0, onlyInBaseline: [...a.keys()].filter((k) => !b.has(k)), onlyInCandidate: [...b.keys()].filter((k) => !a.has(k)) };
  const entries: CompareEntry[] = [];
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) continue;
    if (x.kind !== y.kind) {
      warnings.push(`server series ${key} is a ${x.kind} in the baseline and a ${y.kind} in the candidate: not compared`);
      continue;
    }
    lists.compared++;
    const rows = rowsOf(key, x, y);
    // Gauge means and counter rates have per-second values to judge the noise by; percentiles do not.
    let boot: { iv: ChangeInterval } | undefined;
    if (x.kind !== 'histogram') {
      const va = perSecond(sa!, x);
      const vb = perSecond(sb!, y);
      if (va.length >= MIN_INTERVALS && vb.length >= MIN_INTERVALS) boot = { iv: bootstrapMeanChange(va, vb, bo).intervals[0] };
    }
    for (const r of rows) entries.push(entryOf(SERVER, r, boot, opts, bo.confidence));
  }
  return { entries, lists };
}
