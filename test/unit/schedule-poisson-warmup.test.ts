import { describe, expect, it } from 'vitest';
import { SlotIterator } from '../../src/schedule/plan.js';
import { load } from '../helpers/scenario.js';

describe('poisson plan with a warm-up', () => {
  it('numbers measured slots from the first one after the warm-up, on every worker', () => {
    // scenarios/chat-quickstart.yaml's shape: this overflowed the stack (the boundary probe probed itself)
    const l = load({ type: 'poisson', rps: 8, durationMs: 10_000, warmupMs: 2000, seed: 3 });
    const all: Array<{ i: number; t: number; warmup: boolean; m: number }> = [];
    for (let w = 0; w < 2; w++) {
      const it = new SlotIterator(l, w, 2);
      for (let t = it.next(); t >= 0; t = it.next()) all.push({ i: it.index, t, warmup: it.warmup, m: it.measuredIndex });
    }
    all.sort((a, b) => a.i - b.i);
    const first = all.findIndex((s) => !s.warmup);
    expect(first).toBeGreaterThan(0);
    expect(all.slice(0, first).every((s) => s.warmup && s.t < 2000 && s.m === -1)).toBe(true);
    expect(all.slice(first).map((s) => s.m)).toEqual(all.slice(first).map((_, k) => k));
    expect(all[first].t).toBeGreaterThanOrEqual(2000);
  });
});
