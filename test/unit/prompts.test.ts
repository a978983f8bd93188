import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Distribution, ResolvedWorkload } from '../../src/scenario/types.js';
import { PromptBuilder, drawLength, samplePromptItems, type PromptItem } from '../../src/workload/prompts.js';
import { defaultTokenizer, loadTokenizer } from '../../src/workload/tokenizer.js';
import { Rng } from '../../src/util/random.js';
import { ServebenchError } from '../../src/errors.js';

const FIX = join(import.meta.dirname, '../fixtures/prompts');
const tok = defaultTokenizer();

function workload(over: Partial<ResolvedWorkload> = {}): ResolvedWorkload {
  return { name: 'assistant', kind: 'chat', model: 'm', weight: 1, bodies: [], bodiesSource: 'inline', stream: false, ...over };
}

function synthetic(input: Distribution, output: Distribution = { type: 'fixed', value: 64 }, over: Partial<ResolvedWorkload> = {}): ResolvedWorkload {
  return workload({ prompt: { inputTokens: input, outputTokens: output, prefixTokens: 0 }, ...over });
}

const textOf = (p: PromptItem) => p.prompt ?? p.messages!.map((m) => m.content).join('\n');
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('drawLength', () => {
  it('fixed, rounded, never below 1', () => {
    const rng = new Rng(1);
    expect(drawLength({ type: 'fixed', value: 300 }, rng)).toBe(300);
    expect(drawLength({ type: 'fixed', value: 12.6 }, rng)).toBe(13);
    expect(drawLength({ type: 'fixed', value: 0 }, rng)).toBe(1);
  });

  it('uniform covers [min, max] inclusive with the right mean', () => {
    const rng = new Rng(2);
    const xs = Array.from({ length: 20_000 }, () => drawLength({ type: 'uniform', min: 10, max: 20 }, rng));
    expect(Math.min(...xs)).toBe(10);
    expect(Math.max(...xs)).toBe(20);
    expect(xs.every(Number.isInteger)).toBe(true);
    expect(mean(xs)).toBeCloseTo(15, 0);
  });

  it('normal is clamped to [min, max] with the mass beyond piled on the bounds', () => {
    const rng = new Rng(3);
    const d: Distribution = { type: 'normal', mean: 200, stddev: 40, min: 150, max: 250 };
    const xs = Array.from({ length: 20_000 }, () => drawLength(d, rng));
    expect(Math.min(...xs)).toBe(150);
    expect(Math.max(...xs)).toBe(250);
    // Symmetric clamp: the mean stays 200 (standard error ≈ 0.25 here).
    expect(Math.abs(mean(xs) - 200)).toBeLessThan(1.5);
    // P(z < -1.25) ≈ 10.6% lands exactly on each bound.
    const atMin = xs.filter((x) => x === 150).length / xs.length;
    const atMax = xs.filter((x) => x === 250).length / xs.length;
    expect(atMin).toBeGreaterThan(0.08);
    expect(atMin).toBeLessThan(0.13);
    expect(atMax).toBeGreaterThan(0.08);
    expect(atMax).toBeLessThan(0.13);
  });

  it('normal never goes below 1 even when min allows it', () => {
    const rng = new Rng(4);
    const xs = Array.from({ length: 2000 }, () => drawLength({ type: 'normal', mean: 1, stddev: 5, min: 0, max: 10 }, rng));
    expect(Math.min(...xs)).toBe(1);
    expect(Math.max(...xs)).toBe(10);
  });
});

describe('synthetic prompts (default tokenizer: exact lengths)', () => {
  it('fixed: every prompt has exactly the drawn token count', () => {
    const items = samplePromptItems(synthetic({ type: 'fixed', value: 300 }), 50, 7);
    expect(items).toHaveLength(50);
    for (const p of items) {
      expect(p.inputTokens).toBe(300);
      expect(tok.count(textOf(p))).toBe(300);
      expect(p.outputTokens).toBe(64);
    }
  });

  it('uniform: lengths in range, exact, mean within tolerance', () => {
    const items = samplePromptItems(synthetic({ type: 'uniform', min: 1, max: 400 }, { type: 'uniform', min: 16, max: 32 }), 1500, 11);
    const lens = items.map((p) => p.inputTokens);
    expect(Math.min(...lens)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...lens)).toBeLessThanOrEqual(400);
    expect(Math.abs(mean(lens) - 200.5)).toBeLessThan(10); // SE ≈ 3
    for (const p of items) expect(tok.count(textOf(p))).toBe(p.inputTokens);
    const outs = items.map((p) => p.outputTokens);
    expect(Math.min(...outs)).toBe(16);
    expect(Math.max(...outs)).toBe(32);
    expect(Math.abs(mean(outs) - 24)).toBeLessThan(0.5);
  });

  it('normal: clamped, exact, sample mean near the mean', () => {
    const items = samplePromptItems(synthetic({ type: 'normal', mean: 256, stddev: 32, min: 200, max: 320 }), 1000, 12);
    const lens = items.map((p) => p.inputTokens);
    expect(Math.min(...lens)).toBe(200);
    expect(Math.max(...lens)).toBeLessThanOrEqual(320);
    // Clamped at z = -1.75 and z = +2: E = 256 + 32·(aΦ(a) + b(1-Φ(b)) + φ(a) - φ(b)) ≈ 256.25; SE ≈ 1.
    expect(Math.abs(mean(lens) - 256.25)).toBeLessThan(3);
    for (const p of items) expect(tok.count(textOf(p))).toBe(p.inputTokens);
  });

  it('one-token and tiny prompts are exact', () => {
    for (const n of [1, 2, 3, 5, 8]) {
      const [p] = samplePromptItems(synthetic({ type: 'fixed', value: n }), 1, n);
      expect(p.inputTokens).toBe(n);
      expect(tok.count(textOf(p))).toBe(n);
    }
  });

  it('chat gives one user message, completion a prompt string', () => {
    const [chat] = samplePromptItems(synthetic({ type: 'fixed', value: 20 }), 1, 1);
    expect(chat.prompt).toBeUndefined();
    expect(chat.messages).toEqual([{ role: 'user', content: expect.any(String) }]);
    const [completion] = samplePromptItems(synthetic({ type: 'fixed', value: 20 }, undefined, { kind: 'completion' }), 1, 1);
    expect(completion.messages).toBeUndefined();
    expect(typeof completion.prompt).toBe('string');
    expect(completion.prompt).toBe(chat.messages![0].content);
  });

  it('is repeatable by seed and differs across seeds', () => {
    const w = synthetic({ type: 'uniform', min: 20, max: 200 }, { type: 'normal', mean: 100, stddev: 30, min: 10, max: 200 });
    const a = samplePromptItems(w, 40, 123);
    const b = samplePromptItems(w, 40, 123);
    const c = samplePromptItems(w, 40, 124);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(new Set([...a, ...c].map(textOf)).size).toBe(80);
  });

  it('a shared prefix of prefixTokens starts every prompt, the same in every worker', () => {
    const w = workload({ prompt: { inputTokens: { type: 'uniform', min: 5, max: 50 }, outputTokens: { type: 'fixed', value: 8 }, prefixTokens: 32 } });
    const items = [...samplePromptItems(w, 20, 1), ...samplePromptItems(w, 20, 2)];
    const texts = items.map(textOf);
    let common = texts[0];
    for (const t of texts) while (!t.startsWith(common)) common = common.slice(0, -1);
    // The bodies all start with a space-led word; the prefix ends before it.
    const prefix = common.slice(0, common.lastIndexOf(' '));
    expect(tok.count(prefix)).toBe(32);
    for (const p of items) {
      expect(p.inputTokens).toBeGreaterThanOrEqual(32 + 5);
      expect(p.inputTokens).toBeLessThanOrEqual(32 + 50);
      expect(tok.count(textOf(p))).toBe(p.inputTokens);
    }
    // Another workload gets another prefix.
    const [other] = samplePromptItems({ ...w, name: 'other' }, 1, 1);
    expect(textOf(other).startsWith(prefix)).toBe(false);
  });

  it('uses a built-in encoding named by the workload', () => {
    const o200k = loadTokenizer('o200k_base');
    const items = samplePromptItems(synthetic({ type: 'fixed', value: 150 }, undefined, { tokenizer: 'o200k_base' }), 20, 5);
    for (const p of items) expect(o200k.count(textOf(p))).toBe(150);
  });

  it('needs a prompt or a dataset', () => {
    expect(() => samplePromptItems(workload(), 1, 1)).toThrow(ServebenchError);
    expect(() => samplePromptItems(workload(), 1, 1)).toThrow('workload assistant: a chat workload needs a prompt or a dataset');
    expect(samplePromptItems(workload(), 0, 1)).toEqual([]);
  });

  it('speed: 1000 prompts of 1000 tokens (figure logged, not asserted)', () => {
    const w = synthetic({ type: 'fixed', value: 1000 }, undefined, { kind: 'completion' });
    samplePromptItems(w, 1, 0); // the tokenizer and word costs, once per process
    const t0 = performance.now();
    const items = samplePromptItems(w, 1000, 99);
    const ms = performance.now() - t0;
    console.log(`servebench prompts: 1000 prompts x 1000 tokens in ${ms.toFixed(1)} ms`);
    expect(items).toHaveLength(1000);
    for (const p of items.slice(0, 25)) expect(tok.count(p.prompt!)).toBe(1000);
  });
});

describe('synthetic prompts with a local tokenizer.json', () => {
  it('byte-level BPE that knows the words (llama3 fixture): the exact builder', () => {
    const t = loadTokenizer(join(FIX, 'llama3.tokenizer.json'));
    expect(PromptBuilder.for(t).additive).toBe(true);
    const w = synthetic({ type: 'uniform', min: 1, max: 300 }, undefined, { tokenizer: 'llama3.tokenizer.json' });
    for (const p of samplePromptItems(w, 200, 3, FIX)) expect(t.count(textOf(p))).toBe(p.inputTokens);
  });

  for (const name of ['gpt2', 'bert', 't5']) {
    it(`${name}: small vocabulary, the measuring fallback still lands exactly`, () => {
      const t = loadTokenizer(join(FIX, `${name}.tokenizer.json`));
      expect(PromptBuilder.for(t).additive).toBe(false);
      const w = workload({
        tokenizer: `${name}.tokenizer.json`,
        prompt: { inputTokens: { type: 'uniform', min: 1, max: 400 }, outputTokens: { type: 'fixed', value: 8 }, prefixTokens: 16 },
      });
      const items = samplePromptItems(w, 60, 4, FIX);
      for (const p of items) {
        expect(t.count(textOf(p))).toBe(p.inputTokens);
        expect(p.inputTokens).toBeGreaterThanOrEqual(16 + 1);
      }
      const exact = samplePromptItems(synthetic({ type: 'fixed', value: 250 }, undefined, { tokenizer: `${name}.tokenizer.json` }), 30, 5, FIX);
      for (const p of exact) expect(p.inputTokens).toBe(250);
    });
  }

  it('a tokenizer that merges across spaces (llama2 fixture): measured, within ±2', () => {
    const t = loadTokenizer(join(FIX, 'llama2.tokenizer.json'));
    expect(PromptBuilder.for(t).additive).toBe(false);
    const items = samplePromptItems(synthetic({ type: 'fixed', value: 200 }, undefined, { tokenizer: 'llama2.tokenizer.json' }), 40, 6, FIX);
    for (const p of items) {
      expect(t.count(textOf(p))).toBe(p.inputTokens);
      expect(Math.abs(p.inputTokens - 200)).toBeLessThanOrEqual(2);
    }
    expect(items.filter((p) => p.inputTokens === 200).length).toBeGreaterThan(items.length / 2);
  });

  it('a missing tokenizer file is E_DATASET naming the path as written', () => {
    const w = synthetic({ type: 'fixed', value: 10 }, undefined, { tokenizer: 'models/llama/tokenizer.json' });
    expect(() => samplePromptItems(w, 1, 1, FIX)).toThrow(/^models\/llama\/tokenizer\.json: cannot read tokenizer \(ENOENT/);
    try {
      samplePromptItems(w, 1, 1, FIX);
    } catch (e) {
      expect((e as ServebenchError).code).toBe('E_DATASET');
    }
  });
});
