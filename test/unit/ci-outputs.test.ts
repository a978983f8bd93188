import { describe, expect, it } from 'vitest';
import { comparisonSuite, renderJunit, thresholdSuite } from '../../src/report/junit.js';
import { markdownComparison, markdownSummary } from '../../src/report/markdown.js';
import { compareRuns } from '../../src/compare/core.js';
import { runDataOf } from '../../src/compare/load.js';
import { descendants, parseXml } from '../helpers/xml.js';
import { syntheticRun } from '../helpers/synthetic-run.js';
import type { Summary } from '../../src/metrics/summary.js';

function withThresholds(name = 'synthetic'): Summary {
  const s = syntheticRun({ seed: 1, seconds: 5, name }).summary;
  s.thresholds = [
    { expr: 'latency.p99 < 250ms', ok: true, value: 31.2 },
    { expr: 'errors.rate < 1%', ok: false, value: 0.02, message: 'errors.rate was 2% (limit 1%)' },
    { expr: 'fraud-predict.latency.p50 < 5ms & "x" <y>', ok: false, value: 20 },
  ];
  return s;
}

function comparison() {
  const a = syntheticRun({ seed: 1, medianMs: 20, seconds: 10 });
  const b = syntheticRun({ seed: 2, medianMs: 24, seconds: 10 });
  return compareRuns(runDataOf('main', 'a', a.summary, a.records), runDataOf('feature|x', 'b', b.summary, b.records));
}

describe('JUnit XML', () => {
  it('has one test case per threshold, failures where a threshold failed', () => {
    const doc = parseXml(renderJunit([thresholdSuite(withThresholds())]));
    expect(doc.name).toBe('testsuites');
    const cases = descendants(doc, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['latency.p99 < 250ms', 'errors.rate < 1%', 'fraud-predict.latency.p50 < 5ms & "x" <y>']);
    const failed = cases.filter((c) => c.children.some((x) => x.name === 'failure'));
    expect(failed.map((c) => c.attrs.name)).toEqual(['errors.rate < 1%', 'fraud-predict.latency.p50 < 5ms & "x" <y>']);
    expect(failed[0].children.find((x) => x.name === 'failure')!.attrs.message).toBe('errors.rate was 2% (limit 1%)');
    expect(doc.attrs).toMatchObject({ tests: '3', failures: '2' });
    expect(descendants(doc, 'testsuite')[0].attrs).toMatchObject({ tests: '3', failures: '2', time: '5' });
  });

  it('has one test case per compared metric, failing exactly the regressions', () => {
    const c = comparison();
    const doc = parseXml(renderJunit([thresholdSuite(withThresholds()), comparisonSuite(c)]));
    const suites = descendants(doc, 'testsuite');
    expect(suites).toHaveLength(2);
    const cases = descendants(suites[1], 'testcase');
    expect(cases).toHaveLength(c.metrics.length);
    const failing = cases.filter((x) => x.children.some((y) => y.name === 'failure')).map((x) => x.attrs.name);
    expect(failing).toEqual(c.metrics.filter((m) => m.verdict === 'regression').map((m) => `${m.workload} ${m.metric}.${m.stat}`));
    expect(failing.length).toBeGreaterThan(0);
    // One workload: each regression is one failing case, not one for 'all' and one for the workload.
    expect(new Set(failing).size).toBe(failing.length);
    expect(failing.length).toBe(c.regressions);
    expect(failing.filter((n) => n.endsWith(' latency.p50'))).toHaveLength(1);
    expect(doc.attrs.failures).toBe(String(2 + failing.length));
  });

  it('keeps control characters out (XML 1.0 cannot carry them)', () => {
    const s = withThresholds('bad\u0001name');
    expect(() => parseXml(renderJunit([thresholdSuite(s)]))).not.toThrow();
    expect(renderJunit([thresholdSuite(s)])).not.toContain('\u0001');
  });
});

describe('Markdown', () => {
  it('summarises a run with its thresholds in a table', () => {
    const md = markdownSummary(withThresholds());
    expect(md).toMatch(/^### servebench: synthetic — :x: 2 of 3 thresholds failed/);
    expect(md).toContain('| `errors.rate < 1%` | 0.020 | :x: fail |');
    // A pipe in a cell is escaped so the row keeps its columns.
    const rows = md.split('\n').filter((l) => l.startsWith('| `'));
    for (const r of rows) expect(r.split(/(?<!\\)\|/).length).toBe(5);
  });

  it('heads a comparison with its verdict and lists every regression', () => {
    const c = comparison();
    const md = markdownComparison(c);
    expect(md).toContain(`:x: ${c.regressions} regression(s)`);
    expect(md).toContain('feature\\|x');
    expect(md.match(/:x: regression \|/g)!.length).toBe(c.regressions);
    expect(md).toMatch(/block bootstrap over 1 s intervals/);
    expect(md).toMatch(/^Data: main 10 s measured \(\d+ one-second records\); feature\\\|x 10 s measured/m);
  });
});
