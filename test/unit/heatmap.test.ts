import { describe, expect, it } from 'vitest';
import { newAccumulator } from '../../src/metrics/hdr.js';
import { HEATMAP_BANDS, latencyHeatmaps } from '../../src/metrics/heatmap.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { sampleRecords } from '../helpers/sample-summary.js';

describe('latency heatmap', () => {
  it('puts every completion of every second into one band, and the bands span the run', () => {
    const perSecond = new Map<number, Array<{ lat: ReturnType<typeof newAccumulator> }>>();
    // Second 0: a fast mode only; second 1: fast and a slow mode (a bimodal server); second 2: none.
    const fast = newAccumulator();
    for (let i = 0; i < 100; i++) fast.recordValue(2000 + i * 10);
    const both = newAccumulator();
    for (let i = 0; i < 50; i++) both.recordValue(2000 + i * 10);
    for (let i = 0; i < 20; i++) both.recordValue(400_000 + i * 100);
    perSecond.set(0, [{ lat: fast }]);
    perSecond.set(1, [{ lat: both }]);
    perSecond.set(2, [{ lat: newAccumulator() }]);
    const [h] = latencyHeatmaps(perSecond, ['w']);
    expect(h.workload).toBe('w');
    expect(h.seconds).toEqual([0, 1, 2]);
    expect(h.edgesMs).toHaveLength(HEATMAP_BANDS + 1);
    expect(h.edgesMs[0]).toBeLessThanOrEqual(2);
    expect(h.edgesMs.at(-1)).toBeGreaterThanOrEqual(401.9);
    expect(h.counts.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([100, 70, 0]);
    // The slow mode lands in the top bands, far from the fast one: two bands of counts, not a smear.
    const top = h.counts[1].slice(HEATMAP_BANDS - 3).reduce((a, b) => a + b, 0);
    const bottom = h.counts[1].slice(0, 3).reduce((a, b) => a + b, 0);
    expect(top).toBe(20);
    expect(bottom).toBe(50);
  });

  it('is part of the summary, one per workload that completed requests', () => {
    const s = buildSummary(sampleRecords({ seconds: 5 }));
    expect(s.heatmaps!.map((h) => h.workload)).toEqual(s.workloads.map((w) => w.name));
    for (const h of s.heatmaps!) {
      const w = s.workloads.find((x) => x.name === h.workload)!;
      const total = h.counts.flat().reduce((a, b) => a + b, 0);
      expect(total).toBe(w.metrics.latency!.count);
    }
  });
});
