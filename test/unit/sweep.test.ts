import { describe, expect, it } from 'vitest';
import { ladderValues } from '../../src/scenario/sweep.js';
import type { ResolvedSweep } from '../../src/scenario/types.js';
import {
  answerOf,
  driveLadder,
  driveSearch,
  isStable,
  kneeOf,
  latencyGrows,
  planReplicas,
  type Measure,
  type SweepStep,
  type StepWindow,
} from '../../src/sweep/core.js';
import { evaluateThresholds, parseThreshold } from '../../src/sweep/conditions.js';
import { stepScenario, windowMsFor, type SweepResult } from '../../src/sweep/run.js';
import { renderSweepHtml, sweepCharts, sweepCsv } from '../../src/sweep/report.js';
import { sampleSummary } from '../helpers/sample-summary.js';
import { scenario } from '../helpers/scenario.js';
import { parse, problems, yaml } from './scenario-helpers.js';
import { parseHeadroom } from '../../src/cli/sweep.js';
import { ServebenchError } from '../../src/errors.js';

function sweep(over: Partial<ResolvedSweep> = {}): ResolvedSweep {
  return {
    mode: 'search',
    over: 'rate',
    values: [],
    from: 50,
    to: 1000,
    stepDurationMs: 1000,
    warmupMs: 0,
    precision: 0.05,
    stability: 0.1,
    maxRepeats: 2,
    maxSteps: 20,
    stopEarly: true,
    until: ['latency.p99 < 50ms'],
    ...over,
  };
}

/** A step whose p99 follows a queue that overflows above `capacity`. */
function fakeStep(index: number, value: number, capacity: number, extra: Partial<SweepStep> = {}): SweepStep {
  const p99 = value <= capacity ? 20 : 20 + (value - capacity) * 10;
  const pass = p99 < 50;
  return {
    index,
    value,
    unit: 'rps',
    attempts: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationS: 1,
    achievedRps: value,
    throughputRps: Math.min(value, capacity),
    latencyMs: { p50: p99 / 2, p90: p99 * 0.8, p95: p99 * 0.9, p99 },
    ttftMs: null,
    tpotMs: null,
    completed: value,
    errors: 0,
    errorRate: 0,
    dropped: 0,
    goodputRps: null,
    outputTokensPerS: 0,
    meanInFlight: 1,
    conditions: [{ expr: 'latency.p99 < 50ms', ok: pass, value: p99 }],
    saturation: [],
    generatorSaturated: false,
    stable: true,
    pass,
    ...extra,
  };
}

function fakeServer(capacity: number) {
  const calls: number[] = [];
  const measure: Measure = async (v) => {
    calls.push(v);
    return fakeStep(calls.length - 1, v, capacity);
  };
  return { calls, measure };
}

describe('ladder values', () => {
  it('spaces from..to linearly or geometrically, ascending, integers for concurrency', () => {
    expect(ladderValues(100, 500, 5, 'linear', false)).toEqual([100, 200, 300, 400, 500]);
    expect(ladderValues(10, 1000, 3, 'geometric', false)).toEqual([10, 100, 1000]);
    expect(ladderValues(1, 4, 7, 'linear', true)).toEqual([1, 2, 3, 4]);
  });
});

describe('the sweep: scenario key', () => {
  it('resolves a search with defaults and percentages', () => {
    const s = parse(yaml({ top: 'sweep: { mode: search, from: 50, to: 1000, stepDuration: 2s, precision: 5%, until: ["latency.p99 < 50ms"] }' })).scenario;
    expect(s.sweep).toEqual({
      mode: 'search',
      over: 'rate',
      values: [],
      from: 50,
      to: 1000,
      stepDurationMs: 2000,
      warmupMs: 2000,
      precision: 0.05,
      stability: 0.1,
      maxRepeats: 2,
      maxSteps: 20,
      stopEarly: true,
      until: ['latency.p99 < 50ms'],
    });
  });

  it('resolves a ladder from a list of concurrencies or from/to/steps', () => {
    expect(parse(yaml({ top: 'sweep: { concurrency: [8, 1, 4] }' })).scenario.sweep).toMatchObject({ mode: 'ladder', over: 'concurrency', values: [1, 4, 8], from: 1, to: 8 });
    expect(parse(yaml({ top: 'sweep: { from: 10, to: 1000, steps: 3, spacing: geometric }' })).scenario.sweep).toMatchObject({ over: 'rate', values: [10, 100, 1000] });
  });

  it('names every problem with file:line:col and field path', () => {
    const text = yaml({
      top: ['sweep:', '  mode: search', '  rates: [1, 2]', '  from: 100', '  to: 50', '  precision: 5', '  until: ["latency.p99 < fast", "nobody.ttft.p95 < 1s"]', '  stepDuraton: 1s'].join('\n'),
    });
    const p = problems(text);
    expect(p).toEqual([
      "s.yaml:14:3  sweep.rates  'rates' applies to ladder sweeps",
      's.yaml:16:7  sweep.to  expected a number > from (100), got 50',
      "s.yaml:17:14  sweep.precision  expected a percentage like 5%, got 5: write 5%",
      "s.yaml:18:11  sweep.until[0]  threshold 'latency.p99 < fast': 'fast' is not a number, a duration, a percentage or <factor>*target (write it as <metric>.<stat> <op> <value>, e.g. 'latency.p99 < 250ms' or 'errors.rate < 1%')",
      "s.yaml:18:33  sweep.until[1]  threshold 'nobody.ttft.p95 < 1s': no workload named 'nobody' (workloads: w)",
      "s.yaml:19:3  sweep.stepDuraton  unknown key 'stepDuraton'; did you mean 'stepDuration'?",
    ]);
  });

  it('asks a search for its range and conditions, and a ladder for its values', () => {
    expect(problems(yaml({ top: 'sweep: { mode: search }' }))).toEqual([
      "s.yaml:12:8  sweep.from  missing required key 'from'",
      "s.yaml:12:8  sweep.to  missing required key 'to'",
      "s.yaml:12:8  sweep  a search sweep needs 'until': the conditions whose largest passing rate it finds",
    ]);
    expect(problems(yaml({ top: 'sweep: { stepDuration: 1s }' }))).toEqual(["s.yaml:12:8  sweep  a ladder sweep needs 'rates', 'concurrency' or from/to/steps"]);
    expect(problems(yaml({ top: 'sweep: { rates: [1], from: 1 }' }))[0]).toContain("use either a list ('rates' or 'concurrency') or from/to/steps, not both");
  });
});

describe('until conditions', () => {
  it('parses units into report units and rejects unknown metrics', () => {
    expect(parseThreshold('ttft.p95 < 1s')).toMatchObject({ metric: 'ttft', stat: 'p95', op: '<', value: 1000 });
    expect(parseThreshold('errors.rate < 1%')).toMatchObject({ value: 0.01 });
    expect(parseThreshold('assistant.ttft.p99 <= 800ms')).toMatchObject({ workload: 'assistant', value: 800 });
    expect(() => parseThreshold('latncy.p99 < 1s')).toThrow("unknown metric 'latncy'");
  });

  it('evaluates on a summary, per workload and against the target rate', () => {
    const s = sampleSummary();
    const p99 = s.metrics.latency!.p99;
    const [a, b, c] = evaluateThresholds(s, [`latency.p99 < ${p99 + 1}ms`, `latency.p99 < ${p99}ms`, 'load.achievedRps >= 0.5*target']);
    expect(a).toMatchObject({ ok: true, value: p99 });
    expect(b.ok).toBe(false);
    expect(c.ok).toBe(s.load.achievedRps >= 0.5 * s.load.targetRps);
    expect(evaluateThresholds(s, ['nobody.latency.p99 < 1s'])[0]).toMatchObject({ ok: false, message: "no workload named 'nobody'" });
  });
});

describe('search', () => {
  it('brackets by doubling then bisects to the stated precision', async () => {
    for (const capacity of [73, 200, 640]) {
      const { calls, measure } = fakeServer(capacity);
      const { steps } = await driveSearch(sweep(), measure);
      const a = answerOf(steps, 'rps', 1000);
      expect(a.maxRate).not.toBeNull();
      // The largest value whose p99 < 50 ms is capacity + 2 (p99 = 20 + 10·excess).
      const truth = capacity + 2.99;
      expect(a.maxRate!).toBeLessThanOrEqual(truth);
      expect(a.maxRate!).toBeGreaterThanOrEqual(truth * (1 - 0.05) - 1);
      expect(steps.length).toBeLessThan(12);
      // A failure without saturation is run once more to confirm it: one extra run per fail.
      expect(calls.length).toBe(steps.length + steps.filter((s) => !s.pass).length);
      expect(calls.slice(0, 2)).toEqual([50, 100]);
    }
  });

  it('reports no answer when the lowest value fails and the top when everything passes', async () => {
    const low = await driveSearch(sweep(), fakeServer(10).measure);
    expect(low.steps).toHaveLength(1);
    expect(answerOf(low.steps, 'rps', 1000)).toMatchObject({ maxRate: null });
    expect(answerOf(low.steps, 'rps', 1000).sentence).toContain('does not meet the conditions even at 50 rps');
    const high = await driveSearch(sweep(), fakeServer(5000).measure);
    expect(high.steps.map((s) => s.value)).toEqual([50, 100, 200, 400, 800, 1000]);
    expect(answerOf(high.steps, 'rps', 1000)).toMatchObject({ maxRate: 1000, aboveRange: true });
  });

  it('searches concurrency in whole streams', async () => {
    const { calls, measure } = fakeServer(6);
    const { steps } = await driveSearch(sweep({ over: 'concurrency', from: 1, to: 64 }), measure);
    expect(calls.every(Number.isInteger)).toBe(true);
    expect(answerOf(steps, 'concurrency', 64).maxRate).toBe(8); // p99 = 20 + 10·2 = 40 < 50; 9 → 50
  });

  it('runs an unstable value again, at most maxRepeats more times, and keeps the last', async () => {
    let n = 0;
    const measure: Measure = async (v, attempt) => fakeStep(n++, v, 200, { stable: attempt >= 3, attempts: attempt });
    const { steps } = await driveSearch(sweep({ maxSteps: 1 }), measure);
    expect(n).toBe(3);
    expect(steps[0]).toMatchObject({ attempts: 3, stable: true });
    let m = 0;
    const never: Measure = async (v, attempt) => fakeStep(m++, v, 200, { stable: false, attempts: attempt });
    await driveSearch(sweep({ maxSteps: 1, maxRepeats: 1 }), never);
    expect(m).toBe(2);
  });

  it('confirms a failure that shows no saturation, and keeps the rerun', async () => {
    let n = 0;
    // One hiccup: the first run of 400 fails its p99, the rerun passes.
    const measure: Measure = async (v, attempt) => fakeStep(n++, v, v === 400 && attempt === 1 ? 0 : 450, { attempts: attempt });
    const { steps } = await driveSearch(sweep({ maxSteps: 4 }), measure);
    expect(steps.map((s) => [s.value, s.pass])).toEqual([[50, true], [100, true], [200, true], [400, true]]);
    expect(steps[3].attempts).toBe(2);
  });

  it('does not repeat a saturated step: growing latency is the verdict', async () => {
    let n = 0;
    const measure: Measure = async (v) => fakeStep(n++, v, 10, { stable: false, saturation: ['latency kept growing'], pass: false });
    await driveSearch(sweep(), measure);
    expect(n).toBe(1);
  });

  it('returns what it finished when interrupted', async () => {
    let n = 0;
    const measure: Measure = async (v) => (n++ < 2 ? fakeStep(n, v, 200) : null);
    const out = await driveSearch(sweep(), measure);
    expect(out).toMatchObject({ interrupted: true });
    expect(out.steps).toHaveLength(2);
  });
});

describe('answer', () => {
  it('warns that the answer is a lower bound when the generator saturated at the bounding failure', () => {
    const steps = [fakeStep(0, 100, 150), fakeStep(1, 200, 150, { generatorSaturated: true })];
    const a = answerOf(steps, 'rps', 1000);
    expect(a).toMatchObject({ maxRate: 100, generatorBound: true });
    expect(a.sentence).toContain('the load generator was saturated at 200 rps');
    expect(answerOf([fakeStep(0, 100, 150), fakeStep(1, 200, 150)], 'rps', 1000).generatorBound).toBe(false);
  });
});

describe('ladder', () => {
  it('stops at the first failing step unless told to go on', async () => {
    const values = [50, 100, 150, 200, 250, 300];
    const a = fakeServer(160);
    const stopped = await driveLadder(sweep({ mode: 'ladder', values }), a.measure);
    expect(stopped.steps.map((s) => s.value)).toEqual([50, 100, 150, 200]);
    const b = fakeServer(160);
    const all = await driveLadder(sweep({ mode: 'ladder', values, stopEarly: false }), b.measure);
    expect(all.steps).toHaveLength(6);
    expect(answerOf(all.steps, 'rps', 300)).toMatchObject({ maxRate: 150, knee: 150 });
  });
});

describe('knee, saturation and stability', () => {
  it('puts the knee below the last value whose p99 exceeds twice the low-load p99', () => {
    const mk = (value: number, p99: number) => fakeStep(0, value, 1e9, { latencyMs: { p50: 1, p90: 1, p95: 1, p99 } });
    // A noisy first step (p99 45) must not hide the knee at 300.
    const steps = [mk(100, 45), mk(200, 21), mk(300, 30), mk(400, 90), mk(500, 400)];
    expect(kneeOf(steps)?.value).toBe(300);
    expect(kneeOf([mk(100, 20), mk(200, 30)])).toBeNull();
  });

  it('sees a queue that grows through the step, not a flat or noisy one', () => {
    const w = (lats: number[]): StepWindow[] => lats.map((l) => ({ completed: 100, latencyP50Ms: l }));
    expect(latencyGrows(w([20, 40, 80, 120, 160]))).toBe(true);
    expect(latencyGrows(w([20, 21, 20, 22, 21]))).toBe(false);
    expect(latencyGrows(w([20, 90, 21, 20, 22]))).toBe(false);
    expect(isStable(w([20, 21, 20]), 0.1)).toBe(true);
    expect(isStable([{ completed: 100, latencyP50Ms: 20 }, { completed: 60, latencyP50Ms: 20 }], 0.1)).toBe(false);
  });
});

describe('planning note', () => {
  it('reads --headroom as a percentage and refuses a bare number', () => {
    expect(parseHeadroom('30%')).toBeCloseTo(0.3);
    expect(parseHeadroom(undefined)).toBeCloseTo(0.3);
    expect(() => parseHeadroom('0.3')).toThrow(/--headroom '0.3'.*no '%'/);
    expect(() => parseHeadroom('30')).toThrow(ServebenchError);
    expect(() => parseHeadroom('100%')).toThrow(/0% to 99%/);
  });

  it('asks for ceil(peak / (max × (1 − headroom))) replicas and states the assumption', () => {
    const p = planReplicas(200, 2000, 0.3);
    expect(p.replicas).toBe(15); // 2000 / 140 = 14.3
    expect(p.text).toContain('200 rps');
    expect(p.text).toContain('linearly');
    expect(planReplicas(100, 1000, 0).replicas).toBe(10);
  });
});

describe('step scenario', () => {
  it('sets the rate, duration and warm-up of the step and drops the run thresholds', () => {
    const base = { ...scenario({ load: { rps: 5, durationMs: 60_000, type: 'poisson' } }), thresholds: ['latency.p99 < 1ms'] };
    const s = stepScenario(base, sweep({ stepDurationMs: 1500, warmupMs: 500 }), 123);
    expect(s.load).toMatchObject({ type: 'poisson', rps: 123, durationMs: 1500, warmupMs: 500, concurrency: 0 });
    expect(s.thresholds).toEqual([]);
    const c = stepScenario(base, sweep({ over: 'concurrency' }), 8);
    expect(c.load).toMatchObject({ type: 'concurrency', rps: 0, concurrency: 8 });
    expect(windowMsFor(2000)).toBe(400);
    expect(windowMsFor(60_000)).toBe(1000);
  });
});

describe('sweep reports', () => {
  const steps = [50, 100, 150, 200, 250].map((v, i) => fakeStep(i, v, 160));
  const result: SweepResult = {
    schemaVersion: 1,
    scenario: { name: 'sw<x>', file: '' },
    target: { url: 'embedded', routing: 'path', deployment: 'fraud' },
    sweep: sweep({ mode: 'ladder', values: [50, 100, 150, 200, 250] }),
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedS: 7,
    interrupted: false,
    generative: false,
    answer: answerOf(steps, 'rps', 250),
    planning: planReplicas(150, 2000, 0.3),
    steps,
  };

  it('writes one CSV row per step with a pass/fail column per condition', () => {
    const lines = sweepCsv.render(result).trim().split('\n');
    expect(lines).toHaveLength(1 + steps.length);
    expect(lines[0]).toContain('until: latency.p99 < 50ms');
    expect(lines[1].endsWith(',true,pass')).toBe(true);
    expect(lines[4].endsWith(',false,fail')).toBe(true);
  });

  it('renders a self-contained page with the answer, the knee and the SLO line', () => {
    const html = renderSweepHtml(result);
    expect(html).toContain('sustains 150 rps within SLO; the knee is at 150 rps');
    expect(html).toContain('sw&lt;x&gt;');
    expect(html).toContain('20 replicas'); // 2000 / (150 × 0.7) = 19.05
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const latency = sweepCharts(result)[0];
    expect(latency.series.map((s) => s.label)).toEqual(['p50', 'p90', 'p99', 'SLO latency.p99 < 50ms', 'knee (p99)']);
    // Against the offered rate: the saturated steps (the server held 160 rps) stand apart, not on one line.
    expect(latency.xLabel).toBe('offered rate (rps)');
    expect(latency.data[0]).toEqual([50, 100, 150, 200, 250]);
    expect(latency.data[4]).toEqual([50, 50, 50, 50, 50]);
    expect(latency.data[5].filter((v) => v !== null)).toEqual([20]);
    // Achieved is its own chart; no goodput chart without a goodput figure.
    expect(sweepCharts(result).map((c) => c.id)).toEqual(['sweep-latency', 'sweep-throughput']);
  });

  it('plots goodput against the offered rate when the steps have it', () => {
    const withGoodput: SweepResult = { ...result, steps: result.steps.map((st) => ({ ...st, goodputRps: st.conditions[0].ok ? st.throughputRps : 0 })) };
    const goodput = sweepCharts(withGoodput).find((c) => c.id === 'sweep-goodput')!;
    expect(goodput.xLabel).toBe('offered rate (rps)');
    expect(goodput.series.map((x) => x.label)).toEqual(['goodput (met every SLO)', 'completed/s']);
    expect(goodput.data[0]).toEqual([50, 100, 150, 200, 250]);
    expect(goodput.data[1]).toEqual([50, 100, 150, 0, 0]);
  });
});
