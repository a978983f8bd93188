import { describe, expect, test } from 'vitest';
import { ServebenchError } from '../../src/errors.js';
import { evaluateThresholds, parseThreshold } from '../../src/metrics/thresholds.js';
import { AbortWatch } from '../../src/metrics/abort-watch.js';
import { SummaryBuilder } from '../../src/metrics/summary.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { decode } from '../../src/metrics/hdr.js';
import { sampleRecords, sampleSummary } from '../helpers/sample-summary.js';
import { problems, yaml } from './scenario-helpers.js';

function parseError(expr: string): string {
  try {
    parseThreshold(expr);
  } catch (e) {
    expect(e).toBeInstanceOf(ServebenchError);
    expect((e as ServebenchError).code).toBe('E_SCENARIO');
    return (e as ServebenchError).message;
  }
  throw new Error(`'${expr}' parsed`);
}

describe('parsing', () => {
  test('units become report units: ms for times, fractions for rates', () => {
    expect(parseThreshold('latency.p99 < 250ms')).toMatchObject({ metric: 'latency', stat: 'p99', op: '<', value: 250, ofTarget: false });
    expect(parseThreshold('ttft.p95<=1.5s').value).toBe(1500);
    expect(parseThreshold('itl.mean < 500us').value).toBeCloseTo(0.5);
    expect(parseThreshold('latency.max < 2m').value).toBe(120_000);
    expect(parseThreshold('latency.p50 < 40').value).toBe(40);
    expect(parseThreshold('errors.rate < 1%').value).toBeCloseTo(0.01);
    expect(parseThreshold('errors.rate < 0.01').value).toBe(0.01);
    expect(parseThreshold('goodput.rate > 95%')).toMatchObject({ metric: 'goodput', stat: 'rate', op: '>', value: 0.95 });
    expect(parseThreshold('outputTokens.mean >= 100').value).toBe(100);
  });

  test('a bare number >= 1 for a rate is refused: errors.rate < 1 would be a gate that never fails', () => {
    expect(parseError('errors.rate < 1')).toMatch(/a bare 1 for a rate is ambiguous/);
    expect(parseError('goodput.rate >= 1.0')).toMatch(/ambiguous/);
    expect(parseError('errors.rate < 5')).toMatch(/ambiguous/);
    expect(parseThreshold('goodput.rate >= 100%').value).toBe(1);
    expect(parseThreshold('errors.rate == 0').value).toBe(0);
  });

  test('per workload, percentiles with a dot, and the planned rate', () => {
    expect(parseThreshold('assistant.ttft.p99 < 800ms')).toMatchObject({ workload: 'assistant', metric: 'ttft', stat: 'p99', value: 800 });
    expect(parseThreshold('latency.p99.9 < 1s')).toMatchObject({ metric: 'latency', stat: 'p99.9', value: 1000 });
    expect(parseThreshold('chat.latency.p99.9 < 1s')).toMatchObject({ workload: 'chat', stat: 'p99.9' });
    expect(parseThreshold('load.achievedRps >= 0.99*target')).toMatchObject({ metric: 'load', stat: 'achievedRps', op: '>=', value: 0.99, ofTarget: true });
    expect(parseThreshold('load.achievedRps >= target')).toMatchObject({ value: 1, ofTarget: true });
    expect(parseThreshold('errors.http_503 == 0')).toMatchObject({ metric: 'errors', stat: 'http_503', op: '==', value: 0 });
  });

  test('malformed expressions name what is wrong', () => {
    expect(parseError('latency.p99')).toBe(`threshold 'latency.p99': no comparison operator (<, <=, >, >=, ==, !=)`);
    expect(parseError('latncy.p99 < 5ms')).toBe(`threshold 'latncy.p99 < 5ms': unknown metric 'latncy'`);
    expect(parseError('latency.p99x < 5ms')).toBe(`threshold 'latency.p99x < 5ms': 'p99x' is not a stat of latency`);
    expect(parseError('latency.p99 < fast')).toMatch(/'fast' is not a number, a duration, a percentage or <factor>\*target/);
    expect(parseError('latency.p99 < 5%')).toMatch(/'%' applies only to rates/);
    expect(parseError('errors.rate < 5ms')).toMatch(/'ms' is a time unit but errors.rate is not a time/);
    expect(parseError('errors.rate < 150%')).toMatch(/a rate is a fraction from 0 to 1/);
    expect(parseError('latency.p99 < target')).toMatch(/'target' \(the planned rate\) compares only with load/);
    expect(parseError('a.b.c.d < 1')).toMatch(/is not \[<workload>\.\]<metric>\.<stat>/);
    expect(parseError('< 1')).toMatch(/the left side is not <metric>\.<stat>/);
  });
});

describe('evaluation against a summary', () => {
  const s = sampleSummary({ seconds: 20 });

  test('comparisons read the summary value, inclusive and exclusive bounds alike', () => {
    const p99 = s.metrics.latency!.p99;
    const [lt, le, gt] = evaluateThresholds(s, [`latency.p99 < ${p99}ms`, `latency.p99 <= ${p99}ms`, `latency.p99 > ${p99 / 2}`]);
    expect(lt).toMatchObject({ ok: false, value: p99 });
    expect(lt.message).toBe(`${p99} is not < ${p99}`);
    expect(le).toMatchObject({ ok: true, value: p99 });
    expect(gt.ok).toBe(true);
  });

  test('any percentile is read from the encoded histogram', () => {
    const h = decode(s.metrics.latency!.hdr);
    const p75 = Math.round(h.getValueAtPercentile(75)) / 1000;
    const p999 = Math.round(h.getValueAtPercentile(99.9)) / 1000;
    h.destroy();
    expect(evaluateThresholds(s, ['latency.p75 < 1h'])[0].value).toBeCloseTo(p75, 3);
    expect(evaluateThresholds(s, ['latency.p99.9 < 1h'])[0].value).toBeCloseTo(p999, 3);
  });

  test('rates, counts, rps and the planned rate', () => {
    const rate = s.totals.errors / s.totals.completed;
    expect(rate).toBeGreaterThan(0);
    const [er, ec, ach, tgt] = evaluateThresholds(s, ['errors.rate < 100%', 'errors.count > 0', 'load.achievedRps >= 0.5*target', 'load.achievedRps >= 2*target']);
    expect(er.value).toBeCloseTo(rate, 6);
    expect(ec).toMatchObject({ ok: true, value: s.totals.errors });
    expect(ach).toMatchObject({ ok: true, value: s.load.achievedRps });
    expect(tgt.ok).toBe(false);
    expect(tgt.message).toBe(`${s.load.achievedRps} is not >= ${2 * s.load.targetRps}`);
  });

  test('a workload threshold reads that workload; a missing metric or workload fails with the reason', () => {
    const chat = s.workloads.find((w) => w.kind === 'chat')!;
    const predict = s.workloads.find((w) => w.kind === 'predict')!;
    const [ttft, none, nowl] = evaluateThresholds(s, [`${chat.name}.ttft.p50 <= ${chat.metrics.ttft!.p50}ms`, `${predict.name}.ttft.p50 < 1s`, 'nobody.latency.p50 < 1s']);
    expect(ttft).toMatchObject({ ok: true, value: chat.metrics.ttft!.p50 });
    expect(none).toEqual({ expr: `${predict.name}.ttft.p50 < 1s`, ok: false, value: null, message: 'no ttft was recorded' });
    expect(nowl.message).toBe(`no workload named 'nobody'`);
  });

  test('buildSummary fills summary.thresholds from the run record', () => {
    const recs = sampleRecords({ seconds: 5 });
    const start = recs.find((r) => r.type === 'start')!;
    if (start.type !== 'start') throw new Error('no start');
    start.run = { ...start.run, thresholds: ['latency.p50 < 1h', 'errors.rate == 0'] };
    const summary = buildSummary(recs);
    expect(summary.thresholds.map((t) => [t.expr, t.ok])).toEqual([
      ['latency.p50 < 1h', true],
      ['errors.rate == 0', summary.totals.errors === 0],
    ]);
  });
});

describe('abortOnFail', () => {
  test('reports the first failure once the delay has passed, and not before', () => {
    const recs = sampleRecords({ seconds: 10, workers: 1 });
    const watch = new AbortWatch([{ expr: 'latency.p50 < 1us', delayMs: 5000 }]);
    let firedAt = -1;
    for (const r of recs) {
      const f = watch.observe(r);
      if (f && firedAt < 0) firedAt = r.type === 'interval' ? r.index : -2;
    }
    expect(firedAt).toBe(4); // index 4 closes the fifth second
  });

  test('a passing threshold never fires, and no rules means no work', () => {
    const recs = sampleRecords({ seconds: 5, workers: 1 });
    const watch = new AbortWatch([{ expr: 'latency.p50 < 1h', delayMs: 0 }]);
    expect(recs.map((r) => watch.observe(r)).filter(Boolean)).toEqual([]);
    let calls = 0;
    const idle = new AbortWatch([], { add: () => calls++, summary: () => (calls++, buildSummary(recs)) });
    recs.forEach((r) => idle.observe(r));
    expect(calls).toBe(0);
  });

  test('takes each record once, and its summary so far is the summary of the records so far', () => {
    const recs = sampleRecords({ seconds: 6, workers: 2 });
    const builder = new SummaryBuilder();
    let adds = 0;
    const summaries: Array<{ at: number; json: string }> = [];
    const watch = new AbortWatch([{ expr: 'latency.p50 < 1h', delayMs: 0 }], {
      add: (r) => (adds++, builder.add(r)),
      summary: () => {
        const s = builder.summary();
        summaries.push({ at: adds, json: JSON.stringify(s) });
        return s;
      },
    });
    recs.forEach((r) => watch.observe(r));
    expect(adds).toBe(recs.length);
    expect(summaries.length).toBeGreaterThan(0);
    for (const { at, json } of summaries) expect(json).toBe(JSON.stringify(buildSummary(recs.slice(0, at))));
    // Asking for a summary along the way does not change the final one.
    expect(JSON.stringify(builder.summary())).toBe(JSON.stringify(buildSummary(recs)));
  });
});

describe('in a scenario', () => {
  test('a malformed threshold is a scenario problem at its line', () => {
    expect(problems(yaml({ top: 'thresholds:\n  - "latency.p99 < 250ms"\n  - "latncy.p99 < 1s"\n  - { expr: "errors.rate < 5ms", abortOnFail: true }' }))).toEqual([
      `s.yaml:14:5  thresholds[1]  threshold 'latncy.p99 < 1s': unknown metric 'latncy' (metrics: latency, serviceTime, scheduleLag, ttft, tpot, itl, outputTokens, inputTokens, errors, dropped, goodput, load, totals, tokens)`,
      `s.yaml:15:13  thresholds[2].expr  threshold 'errors.rate < 5ms': 'ms' is a time unit but errors.rate is not a time (write it as <metric>.<stat> <op> <value>, e.g. 'latency.p99 < 250ms' or 'errors.rate < 1%')`,
    ]);
  });

  test('a workload threshold must name a workload of the scenario', () => {
    expect(problems(yaml({ top: 'thresholds: ["chat.ttft.p99 < 1s"]' }))).toEqual([
      `s.yaml:12:14  thresholds[0]  threshold 'chat.ttft.p99 < 1s': no workload named 'chat' (workloads: w)`,
    ]);
  });

  test('the long form resolves to an expression plus an abort rule', async () => {
    const { parse } = await import('./scenario-helpers.js');
    const { scenario } = parse(yaml({ top: 'thresholds:\n  - "latency.p99 < 250ms"\n  - { expr: " errors.rate < 1% ", abortOnFail: true, delayAbortEval: 10s }\n  - { expr: "w.latency.p50 < 1s" }' }));
    expect(scenario.thresholds).toEqual(['latency.p99 < 250ms', 'errors.rate < 1%', 'w.latency.p50 < 1s']);
    expect(scenario.abortOnFail).toEqual([{ expr: 'errors.rate < 1%', delayMs: 10_000 }]);
  });

  test('an unknown key in the long form gets a suggestion', () => {
    const p = problems(yaml({ top: 'thresholds:\n  - { expr: "errors.rate < 1%", abortOnFial: true }' }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^s\.yaml:13:.*thresholds\[0\]\.abortOnFial .*abortOnFail/);
  });
});
