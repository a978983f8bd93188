import { describe, expect, it } from 'vitest';
import { progressLine, summaryText } from '../../src/report/console.js';
import type { Progress } from '../../src/metrics/progress.js';
import { syntheticRun } from '../helpers/synthetic-run.js';

const progress = (over: Partial<Progress> = {}): Progress => ({ second: 0, sent: 5, ok: 0, errors: 0, dropped: 0, inFlight: 5, rps: 5, latencyP50Ms: null, latencyP99Ms: null, outputTokensPerS: 0, ...over });

describe('the progress line', () => {
  it('shows - for the percentiles of a second without completions, not 0.00 ms', () => {
    const line = progressLine(progress());
    expect(line).toMatch(/p50 -  p99 -  errors 0$/);
    expect(line).not.toMatch(/0\.00 ms/);
    expect(progressLine(progress({ second: 1, ok: 5, latencyP50Ms: 12.5, latencyP99Ms: 40 }))).toMatch(/^\[   2s\] .* p50 12\.5 ms  p99 40\.0 ms/);
  });
});

describe('the summary of a run stopped before its first request', () => {
  it('says so instead of "for 0.001 s", and gives no SLO attainment for 0 requests', () => {
    const s = structuredClone(syntheticRun({ seconds: 2 }).summary);
    s.interrupted = true;
    s.durationS = 0.001;
    s.totals = { ...s.totals, scheduled: 0, sent: 0, ok: 0, errors: 0, completed: 0, dropped: 0 };
    s.workloads[0].totals = { ...s.totals };
    s.workloads[0].goodput = { ratePerS: 0, sloMet: 0, attainment: 0 };
    const text = summaryText(s, false);
    expect(text).toMatch(/stopped before the first request {2}\[interrupted\]/);
    expect(text).not.toMatch(/for 0\.001 s/);
    expect(text).not.toMatch(/SLO attainment 0\.0 %/);
    expect(text).toMatch(/goodput: no completed requests/);
    const ran = syntheticRun({ seconds: 2 }).summary;
    expect(summaryText(ran, false)).toMatch(/ for 2 s/);
  });
});
