// Shared-prefix pools: the scenario key (validated at the edge), the draw (shares, determinism) and
// the prompts built with them.
import { describe, expect, it } from 'vitest';
import type { ResolvedPrefixPools, ResolvedWorkload } from '../../src/scenario/types.js';
import { PrefixPools, prefixPoolsOf } from '../../src/workload/prefix-pools.js';
import { PromptBuilder, samplePromptItems, type PromptItem } from '../../src/workload/prompts.js';
import { defaultTokenizer } from '../../src/workload/tokenizer.js';
import { parse, problems, yaml } from './scenario-helpers.js';

const tok = defaultTokenizer();
const textOf = (p: PromptItem) => p.prompt ?? p.messages![0].content;

function workload(prefix: ResolvedPrefixPools | undefined, prefixTokens = 0, over: Partial<ResolvedWorkload> = {}): ResolvedWorkload {
  return {
    name: 'assistant',
    kind: 'completion',
    model: 'm',
    weight: 1,
    bodies: [],
    bodiesSource: 'inline',
    stream: true,
    prompt: { inputTokens: { type: 'fixed', value: 20 }, outputTokens: { type: 'fixed', value: 8 }, prefixTokens, ...(prefix ? { prefix } : {}) },
    ...over,
  };
}

/** The pool text a prompt starts with (-1: none). */
function poolOf(item: PromptItem, texts: readonly string[]): number {
  return texts.findIndex((t) => textOf(item).startsWith(t));
}

const pools = (spec: ResolvedPrefixPools, seed = 1) => new PrefixPools('assistant', spec, seed, (n, rng) => ({ text: `p${rng.next()}:${n}`, tokens: n }));

describe('PrefixPools', () => {
  it('draws a prefix with probability share, uniformly over the pools', () => {
    const p = pools({ pools: 4, tokens: 10, share: 0.8 });
    const counts = [0, 0, 0, 0];
    let none = 0;
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const k = p.drawIndex();
      if (k < 0) none++;
      else counts[k]++;
    }
    expect(none / N).toBeGreaterThan(0.19);
    expect(none / N).toBeLessThan(0.21);
    for (const c of counts) expect(c / N).toBeCloseTo(0.2, 1);
  });

  it('share 100% always gives a prefix; share 0% is no pools at all', () => {
    const p = pools({ pools: 3, tokens: 10, share: 1 });
    for (let i = 0; i < 1000; i++) expect(p.drawIndex()).toBeGreaterThanOrEqual(0);
    const prompt = workload({ pools: 3, tokens: 10, share: 0 }).prompt!;
    expect(prefixPoolsOf(prompt)).toBeUndefined();
  });

  it('is deterministic under the seed; texts depend on the workload and pool index only', () => {
    const seq = (seed: number) => Array.from({ length: 200 }, ((p) => () => p.drawIndex())(pools({ pools: 8, tokens: 10, share: 0.5 }, seed)));
    expect(seq(7)).toEqual(seq(7));
    expect(seq(7)).not.toEqual(seq(8));
    expect(pools({ pools: 8, tokens: 10, share: 0.5 }, 1).texts).toEqual(pools({ pools: 8, tokens: 10, share: 0.5 }, 2).texts);
    expect(new Set(pools({ pools: 8, tokens: 10, share: 0.5 }).texts.map((t) => t.text)).size).toBe(8);
  });

  it('prefixTokens n is one pool of n tokens every prompt uses', () => {
    expect(prefixPoolsOf(workload(undefined, 32).prompt!)).toEqual({ pools: 1, tokens: 32, share: 1 });
    expect(prefixPoolsOf(workload(undefined, 0).prompt!)).toBeUndefined();
  });
});

describe('prompts with prefix pools', () => {
  /** The pool texts a workload's prompts start with, built as samplePromptItems builds them. */
  const poolTexts = (w: ResolvedWorkload) => new PrefixPools(w.name, w.prompt!.prefix!, 0, (n, r) => PromptBuilder.for(tok).build(n, r, undefined)).texts;

  it('starts about share of the prompts with one of the pool texts of exactly `tokens` tokens', () => {
    const w = workload({ pools: 4, tokens: 64, share: 0.7 });
    const texts = poolTexts(w);
    for (const t of texts) expect(tok.count(t.text)).toBe(64);
    const items = samplePromptItems(w, 2000, 3);
    const by = [0, 0, 0, 0];
    let none = 0;
    for (const p of items) {
      const k = poolOf(p, texts.map((t) => t.text));
      if (k < 0) none++;
      else by[k]++;
      // inputTokens = prefix tokens + the drawn length, as the tokenizer counts the text.
      expect(p.inputTokens).toBe(k >= 0 ? 84 : 20);
    }
    expect(none / items.length).toBeGreaterThan(0.26);
    expect(none / items.length).toBeLessThan(0.34);
    for (const n of by) expect(n / items.length).toBeCloseTo(0.175, 1);
    for (const p of items.slice(0, 100)) expect(tok.count(textOf(p))).toBe(p.inputTokens);
  });

  it('gives the same prompts for the same seed, and the same pools on every worker seed', () => {
    const w = workload({ pools: 3, tokens: 16, share: 0.5 });
    expect(samplePromptItems(w, 50, 11)).toEqual(samplePromptItems(w, 50, 11));
    expect(samplePromptItems(w, 50, 11)).not.toEqual(samplePromptItems(w, 50, 12));
    const texts = poolTexts(w).map((t) => t.text);
    const used = (seed: number) => new Set(samplePromptItems(w, 300, seed).map((p) => poolOf(p, texts)));
    expect(used(1)).toEqual(new Set([-1, 0, 1, 2]));
    expect(used(2)).toEqual(new Set([-1, 0, 1, 2]));
  });

  it('keeps prefixTokens prompts as they were: pools 1, share 100% builds the same text', () => {
    const legacy = samplePromptItems(workload(undefined, 24), 20, 5);
    const pooled = samplePromptItems(workload({ pools: 1, tokens: 24, share: 1 }), 20, 5);
    expect(pooled).toEqual(legacy);
  });
});

describe('prompt.prefix in a scenario', () => {
  const chat = (prompt: string) => yaml({ workload: `    kind: chat\n    model: llm\n    prompt: ${prompt}` });

  it('resolves pools, tokens and share (a percentage), with pools 1 and share 100% by default', () => {
    const w = parse(chat('{ inputTokens: 100, outputTokens: 8, prefix: { pools: 8, tokens: 1024, share: 80% } }')).scenario.workloads[0];
    expect(w.prompt!.prefix).toEqual({ pools: 8, tokens: 1024, share: 0.8 });
    expect(w.prompt!.prefixTokens).toBe(0);
    const d = parse(chat('{ inputTokens: 100, outputTokens: 8, prefix: { tokens: 64 } }')).scenario.workloads[0];
    expect(d.prompt!.prefix).toEqual({ pools: 1, tokens: 64, share: 1 });
  });

  it('names the field of every problem', () => {
    expect(problems(chat('{ inputTokens: 100, outputTokens: 8, prefix: { pools: 0, tokens: 1.5, share: 0.8, size: 3 } }'))).toEqual([
      expect.stringMatching(/workloads\[0\]\.prompt\.prefix\.pools {2}expected an integer from 1 to 4096, got 0$/),
      expect.stringMatching(/workloads\[0\]\.prompt\.prefix\.tokens {2}expected an integer >= 1, got 1\.5$/),
      expect.stringMatching(/workloads\[0\]\.prompt\.prefix\.share {2}expected a percentage from 0% to 100%, got 0\.8: write 0\.8% \(or 80% if 0\.8 was a fraction\)$/),
      expect.stringMatching(/workloads\[0\]\.prompt\.prefix\.size {2}unknown key 'size'/),
    ]);
    expect(problems(chat('{ inputTokens: 100, outputTokens: 8, prefix: { tokens: 8, share: 120% } }'))).toEqual([
      expect.stringMatching(/workloads\[0\]\.prompt\.prefix\.share {2}expected a percentage from 0% to 100%, got '120%'$/),
    ]);
    expect(problems(chat('{ inputTokens: 100, outputTokens: 8, prefix: { share: 50% } }'))).toEqual([expect.stringMatching(/workloads\[0\]\.prompt\.prefix\.tokens {2}missing required key 'tokens'/)]);
  });

  it('refuses prefixTokens beside prefix, and pools × tokens past the bound', () => {
    expect(problems(chat('{ inputTokens: 100, outputTokens: 8, prefixTokens: 16, prefix: { tokens: 8 } }'))).toEqual([
      expect.stringMatching(/workloads\[0\]\.prompt\.prefixTokens {2}use either 'prefixTokens' or 'prefix', not both/),
    ]);
    expect(problems(chat('{ inputTokens: 100, outputTokens: 8, prefix: { pools: 4096, tokens: 2048 } }'))).toEqual([
      expect.stringMatching(/workloads\[0\]\.prompt\.prefix\.tokens {2}pools × tokens is 8388608; at most 4194304 prefix tokens/),
    ]);
  });
});
