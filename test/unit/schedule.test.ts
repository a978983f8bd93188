import { describe, expect, it } from 'vitest';
import { SlotIterator, constantSlotMs, rampSlotCount, rampSlotMs } from '../../src/schedule/plan.js';
import { load } from '../helpers/scenario.js';

function drain(it: SlotIterator): Array<{ t: number; i: number; warmup: boolean; m: number }> {
  const out = [];
  for (let t = it.next(); t >= 0; t = it.next()) out.push({ t, i: it.index, warmup: it.warmup, m: it.measuredIndex });
  return out;
}

describe('constant plan', () => {
  it('puts slot i at i/rate, from the index alone', () => {
    expect(constantSlotMs(0, 200)).toBe(0);
    expect(constantSlotMs(1, 200)).toBe(5);
    expect(constantSlotMs(1_000_000, 200)).toBe(5_000_000);
    // No drift: far slots are exact, not a running sum.
    expect(constantSlotMs(3, 3)).toBe(1000);
  });

  it('holds rate × duration slots and splits them across workers without overlap', () => {
    const l = load({ rps: 1000, durationMs: 2000 });
    const single = drain(new SlotIterator(l, 0, 1));
    expect(single).toHaveLength(2000);
    const parts = [0, 1, 2].map((k) => drain(new SlotIterator(l, k, 3)));
    const merged = parts.flat().sort((a, b) => a.i - b.i);
    expect(merged.map((x) => x.t)).toEqual(single.map((x) => x.t));
    // Worker k takes k, k+3, k+6 …
    expect(parts[1].slice(0, 3).map((x) => x.i)).toEqual([1, 4, 7]);
  });

  it('marks warm-up slots and counts measured ones from zero', () => {
    const l = load({ rps: 10, durationMs: 1000, warmupMs: 500 });
    const s = drain(new SlotIterator(l, 0, 1));
    expect(s.filter((x) => x.warmup)).toHaveLength(5);
    expect(s.filter((x) => !x.warmup)).toHaveLength(10);
    expect(s.find((x) => !x.warmup)).toMatchObject({ t: 500, m: 0 });
  });

  it('stops after a fixed count of measured requests', () => {
    const l = load({ rps: 100, durationMs: 1000, warmupMs: 100, requests: 37 });
    const parts = [0, 1].map((k) => drain(new SlotIterator(l, k, 2)));
    expect(parts.flat().filter((x) => !x.warmup)).toHaveLength(37);
  });
});

describe('poisson plan', () => {
  it('is repeatable by seed and delivers about rate × duration', () => {
    const l = load({ type: 'poisson', rps: 500, durationMs: 10_000 });
    const a = drain(new SlotIterator(l, 0, 1));
    const b = drain(new SlotIterator(l, 0, 1));
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(5000 * 0.95);
    expect(a.length).toBeLessThan(5000 * 1.05);
    const c = drain(new SlotIterator({ ...l, seed: 2 }, 0, 1));
    expect(c.slice(0, 10)).not.toEqual(a.slice(0, 10));
  });

  it('gives every worker its stride of the same sequence', () => {
    const l = load({ type: 'poisson', rps: 300, durationMs: 2000 });
    const single = drain(new SlotIterator(l, 0, 1));
    const merged = [0, 1].flatMap((k) => drain(new SlotIterator(l, k, 2))).sort((x, y) => x.i - y.i);
    expect(merged.map((x) => x.t)).toEqual(single.map((x) => x.t));
  });
});

describe('ramp plan', () => {
  const stages = [
    { durationMs: 10_000, targetRps: 100 },
    { durationMs: 10_000, targetRps: 100 },
  ];
  it('places slots on the integral of the rate curve', () => {
    // 0→100 rps over 10 s holds 500 slots; the next 10 s at 100 rps hold 1000.
    expect(rampSlotCount(0, stages)).toBe(1500);
    // The n-th slot of a linear ramp from 0 at slope a is at sqrt(2n/a): slot 50 at sqrt(1000/10) s.
    expect(rampSlotMs(50, 0, stages)).toBeCloseTo(Math.sqrt(10) * 1000, 6);
    expect(rampSlotMs(500, 0, stages)).toBeCloseTo(10_000, 6);
    expect(rampSlotMs(600, 0, stages)).toBeCloseTo(11_000, 6);
    expect(rampSlotMs(1500, 0, stages)).toBe(Infinity);
  });
  it('yields the planned count through the iterator', () => {
    const l = load({ type: 'ramp', rps: 0, durationMs: 20_000, stages });
    expect(drain(new SlotIterator(l, 0, 1))).toHaveLength(1500);
  });
});
