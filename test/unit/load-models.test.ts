import { describe, expect, it } from 'vitest';
import { SlotIterator } from '../../src/schedule/plan.js';
import { closedLoopShare, strideShare } from '../../src/schedule/closed.js';
import { load } from '../helpers/scenario.js';
import type { ResolvedLoad } from '../../src/scenario/types.js';

function drain(it: SlotIterator): Array<{ t: number; i: number; warmup: boolean }> {
  const out = [];
  for (let t = it.next(); t >= 0; t = it.next()) out.push({ t, i: it.index, warmup: it.warmup });
  return out;
}

/** Kolmogorov–Smirnov statistic of `xs` against the exponential CDF with the given mean. */
function ksExponential(xs: number[], mean: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = 1 - Math.exp(-s[i] / mean);
    d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
  }
  return d;
}

/** Critical value at α = 0.01 for large n. */
const ksCritical = (n: number) => 1.628 / Math.sqrt(n);

const gapsOf = (l: ResolvedLoad) => {
  const t = drain(new SlotIterator(l, 0, 1)).map((x) => x.t);
  return t.slice(1).map((x, i) => x - t[i]);
};

const stages = [
  { durationMs: 1000, targetRps: 400 },
  { durationMs: 1000, targetRps: 400 },
  { durationMs: 500, targetRps: 0 },
];

const openTypes: Array<[string, Partial<ResolvedLoad>]> = [
  ['constant', { type: 'constant', rps: 300, durationMs: 2000 }],
  ['poisson', { type: 'poisson', rps: 300, durationMs: 2000 }],
  ['poisson with burstiness 4', { type: 'poisson', rps: 300, durationMs: 2000, burstiness: 4 }],
  ['ramp', { type: 'ramp', rps: 50, durationMs: 2500, stages }],
];

describe('worker split and request count, for every open load type', () => {
  for (const [name, over] of openTypes) {
    it(`${name}: worker k of 3 takes global slots k, k+3, … and together they are the plan`, () => {
      const l = load({ ...over, warmupMs: 300 });
      const single = drain(new SlotIterator(l, 0, 1));
      expect(single.length).toBeGreaterThan(100);
      const parts = [0, 1, 2].map((k) => drain(new SlotIterator(l, k, 3)));
      parts.forEach((p, k) => p.forEach((x, j) => expect(x.i).toBe(k + 3 * j)));
      const merged = parts.flat().sort((a, b) => a.i - b.i);
      expect(merged).toEqual(single);
    });

    it(`${name}: a fixed count of measured requests stops the plan, whatever the worker count`, () => {
      for (const workers of [1, 2, 3]) {
        const l = load({ ...over, warmupMs: 200, requests: 101 });
        const all = Array.from({ length: workers }, (_, k) => drain(new SlotIterator(l, k, workers))).flat();
        expect(all.filter((x) => !x.warmup)).toHaveLength(101);
        // The measured slots are the first 101 after the warm-up, with no gap in the global index.
        const idx = all.filter((x) => !x.warmup).map((x) => x.i).sort((a, b) => a - b);
        expect(idx[idx.length - 1] - idx[0]).toBe(100);
      }
    });
  }

  it('a seed decides every random choice: same seed same plan, other seed other plan', () => {
    for (const over of [{ type: 'poisson' as const }, { type: 'poisson' as const, burstiness: 0.5 }]) {
      const a = gapsOf(load({ ...over, rps: 200, durationMs: 1000, seed: 7 }));
      const b = gapsOf(load({ ...over, rps: 200, durationMs: 1000, seed: 7 }));
      const c = gapsOf(load({ ...over, rps: 200, durationMs: 1000, seed: 8 }));
      expect(a).toEqual(b);
      expect(c.slice(0, 20)).not.toEqual(a.slice(0, 20));
    }
  });
});

describe('poisson gaps', () => {
  it('pass a Kolmogorov–Smirnov test against the exponential of mean 1/rate', () => {
    for (const seed of [1, 2, 3]) {
      const gaps = gapsOf(load({ type: 'poisson', rps: 1000, durationMs: 5000, seed }));
      expect(gaps.length).toBeGreaterThan(4500);
      expect(ksExponential(gaps, 1)).toBeLessThan(ksCritical(gaps.length));
    }
  });

  it('the same KS test rejects gaps that are not exponential (constant, and bursty gamma)', () => {
    const constant = gapsOf(load({ type: 'constant', rps: 1000, durationMs: 5000 }));
    expect(ksExponential(constant, 1)).toBeGreaterThan(ksCritical(constant.length));
    const bursty = gapsOf(load({ type: 'poisson', rps: 1000, durationMs: 5000, burstiness: 0.25 }));
    expect(ksExponential(bursty, 1)).toBeGreaterThan(ksCritical(bursty.length));
  });

  it('burstiness k gives gamma gaps: mean 1/rate, squared coefficient of variation 1/k', () => {
    for (const k of [0.5, 1, 4]) {
      const gaps = gapsOf(load({ type: 'poisson', rps: 1000, durationMs: 20_000, burstiness: k }));
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      const v = gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length;
      expect(mean).toBeGreaterThan(0.95);
      expect(mean).toBeLessThan(1.05);
      expect(v / mean ** 2).toBeGreaterThan((1 / k) * 0.9);
      expect(v / mean ** 2).toBeLessThan((1 / k) * 1.1);
    }
  });
});

describe('closed-loop (concurrency) share', () => {
  it('strides users and requests across workers so the totals are exact', () => {
    for (const n of [1, 2, 3, 7]) {
      for (const total of [0, 1, 5, 10, 64]) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += strideShare(total, k, n);
        expect(sum).toBe(total);
      }
    }
    expect(strideShare(5, 0, 2)).toBe(3);
    expect(strideShare(5, 1, 2)).toBe(2);
    expect(strideShare(1, 1, 2)).toBe(0);
  });

  it('stops on the duration, or on the request count when one is given', () => {
    const byDuration = closedLoopShare(load({ type: 'concurrency', rps: 0, concurrency: 5, durationMs: 2000, warmupMs: 500, thinkTimeMs: 10 }), 1, 2);
    expect(byDuration).toEqual({ users: 2, requestQuota: -1, endMs: 2500, thinkTimeMs: 10 });
    const byCount = closedLoopShare(load({ type: 'concurrency', rps: 0, concurrency: 5, requests: 11 }), 0, 2);
    expect(byCount).toMatchObject({ users: 3, requestQuota: 6, endMs: Infinity });
  });

  it('yields no slots from the open-loop iterator', () => {
    expect(new SlotIterator(load({ type: 'concurrency', rps: 0, concurrency: 4 }), 0, 1).next()).toBe(-1);
  });
});
