import { describe, expect, it } from 'vitest';
import { ALL, bootstrapChange, intervalsOf, statsOver } from '../../src/metrics/bootstrap.js';
import { compareRuns, judge } from '../../src/compare/core.js';
import { parseTolerance, parseToleranceFor, runDataOf } from '../../src/compare/load.js';
import type { RunData } from '../../src/compare/types.js';
import { compareText, dataText, toleranceText, compareCsv, CSV_COLUMNS } from '../../src/report/compare.js';
import { renderCompareHtml } from '../../src/report/compare-html.js';
import { ServebenchError } from '../../src/errors.js';
import { syntheticRun, type SyntheticOptions } from '../helpers/synthetic-run.js';

function data(label: string, o: SyntheticOptions, withIntervals = true): RunData {
  const { records, summary } = syntheticRun(o);
  const d = runDataOf(label, `${label}/summary.json`, summary, records);
  return withIntervals ? d : { ...d, intervals: null };
}

const entry = (c: ReturnType<typeof compareRuns>, workload: string, key: string) => c.metrics.find((m) => m.workload === workload && `${m.metric}.${m.stat}` === key)!;

describe('per-interval data and the bootstrap', () => {
  it('reads the same percentiles from merged 1 s records as the summary does from its histograms', () => {
    const { records, summary } = syntheticRun({ seconds: 8, seed: 3 });
    const iv = intervalsOf(records);
    expect(iv.get(ALL)!.length).toBe(8);
    expect(iv.get('fraud-predict')!.reduce((s, d) => s + d.sent, 0)).toBe(summary.totals.sent);
    const [p50, p90, p99] = statsOver(iv.get(ALL)!, 'latency', ['p50', 'p90', 'p99'], 1e-3);
    const m = summary.metrics.latency!;
    expect([p50, p90, p99].map((x) => Math.round(x * 1000) / 1000)).toEqual([m.p50, m.p90, m.p99]);
  });

  it('is repeatable for a seed and its interval covers a known shift', () => {
    const a = intervalsOf(syntheticRun({ seed: 1, medianMs: 20 }).records).get(ALL)!;
    const b = intervalsOf(syntheticRun({ seed: 2, medianMs: 30 }).records).get(ALL)!;
    const spec = { kind: 'hist', metric: 'serviceTime', stats: ['p50'], scale: 1e-3 } as const;
    const r1 = bootstrapChange(a, b, spec, { resamples: 300, confidence: 0.95, seed: 7 });
    const r2 = bootstrapChange(a, b, spec, { resamples: 300, confidence: 0.95, seed: 7 });
    expect(r1).toEqual(r2);
    const [lo, hi] = r1.intervals[0].relative!;
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    expect(hi - lo).toBeLessThan(0.15);
  });
});

describe('compareRuns', () => {
  it('calls two runs of the same distribution the same, whatever the seeds', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const c = compareRuns(data('a', { seed }), data('b', { seed: seed + 100 }));
      expect(c.regressions, `seed ${seed}`).toBe(0);
      expect(c.improvements, `seed ${seed}`).toBe(0);
      expect(c.verdict).toBe('same');
      expect(c.method.name).toBe('block-bootstrap');
    }
  });

  it('finds a 20 % slower candidate a regression, and the reverse an improvement', () => {
    const c = compareRuns(data('a', { seed: 1, medianMs: 20 }), data('b', { seed: 2, medianMs: 24 }));
    const p50 = entry(c, ALL, 'serviceTime.p50');
    expect(p50.verdict).toBe('regression');
    expect(p50.relativeChange!).toBeGreaterThan(0.15);
    expect(p50.ci!.relative![0]).toBeGreaterThan(0.1);
    expect(p50.ci!.ratio![0]).toBeCloseTo(1 + p50.ci!.relative![0], 6);
    expect(c.verdict).toBe('regression');
    const back = compareRuns(data('b', { seed: 2, medianMs: 24 }), data('a', { seed: 1, medianMs: 20 }));
    expect(entry(back, ALL, 'serviceTime.p50').verdict).toBe('improvement');
    expect(back.regressions).toBe(0);
  });

  it('lists each metric once when both runs have the same one workload, and states each run\'s seconds of data', () => {
    const c = compareRuns(data('a', { seed: 1, medianMs: 20, seconds: 6 }), data('b', { seed: 2, medianMs: 24, seconds: 9 }));
    const keys = c.metrics.map((m) => `${m.workload} ${m.metric}.${m.stat}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(c.metrics.every((m) => m.workload === ALL)).toBe(true);
    expect(c.metrics.filter((m) => m.metric === 'serviceTime' && m.stat === 'p50')).toHaveLength(1);
    expect(c.regressions).toBe(c.metrics.filter((m) => m.verdict === 'regression').length);
    expect([c.baseline.durationS, c.candidate.durationS]).toEqual([6, 9]);
    expect(c.baseline.workload).toBe('fraud-predict');
    const text = compareText(c);
    expect(text).toMatch(/^data: a 6 s measured \(\d+ one-second records\); b 9 s measured \(\d+ one-second records\); one workload \(fraud-predict\): 'all' is it$/m);
    expect(dataText({ ...c.baseline, intervals: 0 })).toBe('a 6 s measured (summary only, no per-second records)');
  });

  it('shows the per-metric tolerances beside the default, in their units', () => {
    expect(toleranceText({ default: 0.1, overrides: {} })).toBe('tolerance ±10%');
    expect(toleranceText({ default: 0.025, overrides: { 'latency.p99': 0.05, 'errors.rate': 0.005 } })).toBe('tolerance ±2.5% (latency.p99 ±5%, errors.rate ±0.5 pt)');
  });

  it('judges the error rate in absolute points', () => {
    const c = compareRuns(data('a', { seed: 1 }), data('b', { seed: 2, errorRate: 0.05 }));
    const e = entry(c, ALL, 'errors.rate');
    expect(e.toleranceKind).toBe('absolute');
    expect(e.candidate).toBeGreaterThan(0.03);
    expect(e.verdict).toBe('regression');
    const loose = compareRuns(data('a', { seed: 1 }), data('b', { seed: 2, errorRate: 0.05 }), { toleranceFor: { 'errors.rate': 0.2 } });
    expect(entry(loose, ALL, 'errors.rate').verdict).toBe('same');
  });

  it('falls back to a tolerance-only verdict without results.ndjson, and says so', () => {
    const c = compareRuns(data('a', { seed: 1, medianMs: 20 }), data('b', { seed: 2, medianMs: 24 }, false));
    expect(c.method.name).toBe('tolerance-only');
    expect(c.warnings.join()).toMatch(/no results\.ndjson next to the summary of b/);
    const p50 = entry(c, ALL, 'serviceTime.p50');
    expect(p50.ci).toBeNull();
    expect(p50.verdict).toBe('regression');
    expect(p50.reason).toMatch(/noise is not judged/);
  });

  it('does not judge a percentile with fewer than 10 samples beyond it in a run', () => {
    const short = compareRuns(data('a', { seed: 1, seconds: 3, rps: 50 }), data('b', { seed: 2, seconds: 3, rps: 50, sigma: 0.6 }));
    const p99 = entry(short, ALL, 'serviceTime.p99');
    expect(p99.relativeChange!).toBeGreaterThan(0.5);
    expect(p99.verdict).toBe('same');
    expect(p99.reason).toMatch(/^not judged: 150 samples leave 1 above p99/);
    const long = compareRuns(data('a', { seed: 1, seconds: 20 }), data('b', { seed: 2, seconds: 20, sigma: 0.6 }));
    expect(entry(long, ALL, 'serviceTime.p99').verdict).toBe('regression');
  });

  it('honours a wider per-metric tolerance', () => {
    const c = compareRuns(data('a', { seed: 1, medianMs: 20 }), data('b', { seed: 2, medianMs: 24 }), { toleranceFor: { 'serviceTime.p50': 0.5 } });
    expect(entry(c, ALL, 'serviceTime.p50').verdict).toBe('same');
    expect(entry(c, ALL, 'serviceTime.p90').verdict).toBe('regression');
  });

  it('writes a CSV row per entry and a self-contained HTML page with both runs overlaid', () => {
    const a = data('a', { seed: 1 });
    const b = data('b', { seed: 2, medianMs: 24 });
    const c = compareRuns(a, b);
    const csv = compareCsv.render({ comparison: c, baseline: a.summary, candidate: b.summary }).trim().split('\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv.length).toBe(c.metrics.length + 1);
    const html = renderCompareHtml({ comparison: c, baseline: a.summary, candidate: b.summary });
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(html).toContain('data-chart="latency-spectrum"');
    expect(html).toContain('data-chart="latency-p99"');
    expect((html.match(/data-verdict="regression"/g) ?? []).length).toBe(c.regressions + 1);
  });
});

describe('the verdict rule', () => {
  const base = { better: 'lower' as const, baseline: 10, tolerance: 0.1, toleranceKind: 'relative' as const };
  it('needs the change beyond the tolerance and its whole interval beyond it too', () => {
    const ci = (lo: number, hi: number) => ({ level: 0.95, change: [lo * 10, hi * 10] as [number, number], relative: [lo, hi] as [number, number], ratio: [1 + lo, 1 + hi] as [number, number] });
    expect(judge({ ...base, change: 0.5, relativeChange: 0.05, ci: ci(0.01, 0.09) }).verdict).toBe('same');
    expect(judge({ ...base, change: 3, relativeChange: 0.3, ci: ci(0.05, 0.6) }).verdict).toBe('same');
    expect(judge({ ...base, change: 3, relativeChange: 0.3, ci: ci(0.2, 0.4) }).verdict).toBe('regression');
    expect(judge({ ...base, change: -3, relativeChange: -0.3, ci: ci(-0.4, -0.2) }).verdict).toBe('improvement');
    expect(judge({ ...base, better: 'higher', change: -3, relativeChange: -0.3, ci: ci(-0.4, -0.2) }).verdict).toBe('regression');
  });

  it('parses tolerances as percentages and refuses a bare number, naming the flag and the fix', () => {
    expect(parseTolerance('10%')).toBeCloseTo(0.1);
    expect(parseTolerance('2.5 %')).toBeCloseTo(0.025);
    expect(parseTolerance('0')).toBe(0);
    expect(parseToleranceFor('latency.p99=5%')).toEqual(['latency.p99', 0.05]);
    expect(parseToleranceFor('errors.rate=1%')).toEqual(['errors.rate', 0.01]);
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as ServebenchError;
      }
      throw new Error('not refused');
    };
    const ten = refused(() => parseTolerance('10'));
    expect(ten.exitCode).toBe(2);
    expect(ten.message).toMatch(/^--tolerance '10': 10 has no '%'/);
    expect(ten.hint).toBe('write 10%');
    expect(refused(() => parseTolerance('0.05')).hint).toBe('write 0.05% (or 5% if 0.05 was a fraction)');
    const per = refused(() => parseToleranceFor('latency.p99=20'));
    expect(per.message).toMatch(/^--tolerance-for latency\.p99 '20'/);
    expect(per.hint).toBe('write 20%');
    expect(refused(() => parseTolerance('-5')).message).toMatch(/-5 is negative/);
    expect(refused(() => parseTolerance('ten')).hint).toBe('write a percentage like 10% or 2.5%');
    expect(() => parseTolerance('ten')).toThrow(ServebenchError);
    expect(() => parseToleranceFor('latency=5%')).toThrow(/metric\.stat=value/);
  });
});
