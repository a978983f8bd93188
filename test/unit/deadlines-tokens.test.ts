import { describe, expect, test } from 'vitest';
import { TokenAccounting, DIVERGENCE_SAMPLE_EVERY, KEEP_FALLBACK, KEEP_NONE, KEEP_SAMPLE } from '../../src/engine/tokens.js';
import { addTokenInterval, describeTokenCounts, emptyTokenInterval, tokenCountsSummary } from '../../src/metrics/tokens.js';
import { parse, problems, yaml } from './scenario-helpers.js';

const chat = ['    kind: chat', '    model: m', '    prompt: { inputTokens: 8, outputTokens: 8 }'];

describe('deadline keys', () => {
  test('target.firstTokenTimeout and per-workload timeout / firstTokenTimeout resolve to ms', () => {
    const { scenario } = parse(yaml({ target: '  firstTokenTimeout: 2s', workload: [...chat, '    timeout: 90s', '    firstTokenTimeout: 500ms'].join('\n') }));
    expect(scenario.target.firstTokenTimeoutMs).toBe(2000);
    expect(scenario.workloads[0].timeoutMs).toBe(90_000);
    expect(scenario.workloads[0].firstTokenTimeoutMs).toBe(500);
  });

  test('firstTokenTimeout is a generative key; timeout applies to every kind', () => {
    const predict = ['    kind: predict', '    model: fraud', '    body: { instances: [[1]] }'];
    expect(problems(yaml({ workload: [...predict, '    firstTokenTimeout: 1s'].join('\n') }))).toEqual([
      `s.yaml:10:5  workloads[0].firstTokenTimeout  'firstTokenTimeout' applies to chat and completion workloads`,
    ]);
    expect(parse(yaml({ workload: [...predict, '    timeout: 250ms'].join('\n') })).scenario.workloads[0].timeoutMs).toBe(250);
  });

  test('a deadline must be a positive duration', () => {
    expect(problems(yaml({ target: '  firstTokenTimeout: 0s' }))[0]).toMatch(/target\.firstTokenTimeout/);
  });
});

describe('token accounting', () => {
  const words = { name: 'words', count: (t: string) => t.split(' ').filter(Boolean).length };

  test('usage wins; the tokenizer samples the divergence one request in DIVERGENCE_SAMPLE_EVERY', () => {
    const a = new TokenAccounting(words);
    let sampled = 0;
    for (let i = 0; i < 2 * DIVERGENCE_SAMPLE_EVERY; i++) {
      const keep = a.wantText();
      if (keep === KEEP_SAMPLE) sampled++;
      // the server says 5 tokens; our tokenizer counts 4 words
      expect(a.output(5, 'a b c d', keep, 3)).toBe(5);
    }
    expect(sampled).toBe(2);
    const t = tokenCountsSummary(a.take()!);
    expect(t.outputSource).toBe('usage');
    expect(t.outputDivergence).toEqual({ samples: 2, usageTokens: 10, tokenizerTokens: 8, meanAbsDiffPct: 20, biasPct: -20 });
    expect(describeTokenCounts(t)).toBe('output counts from usage (tokenizer -20 %, mean |Δ| 20 %, 2 sampled); input counts from none');
    expect(a.take()).toBeUndefined();
  });

  test('without usage: text is kept for every request and the tokenizer counts it; without text, chunks count', () => {
    const a = new TokenAccounting(words);
    a.wantText(); // the sampled one
    const keep = a.wantText();
    expect(keep).toBe(KEEP_FALLBACK);
    expect(a.output(-1, 'one two three', keep, 1)).toBe(3);
    expect(a.output(-1, '', KEEP_NONE, 7)).toBe(7);
    const t = tokenCountsSummary(a.take()!);
    expect(t.outputBySource).toEqual({ usage: 0, tokenizer: 1, chunks: 1 });
    expect(t.outputSource).toBe('mixed');
    expect(new TokenAccounting(null).wantText()).toBe(KEEP_NONE);
  });

  test('once usage is seen, only sampled requests keep their text', () => {
    const a = new TokenAccounting(words);
    a.output(5, '', KEEP_NONE, 5);
    const keeps = Array.from({ length: DIVERGENCE_SAMPLE_EVERY }, () => a.wantText());
    expect(keeps.filter((k) => k !== KEEP_NONE)).toEqual([KEEP_SAMPLE]);
  });

  test('input counts, short reasons and timeouts add up across intervals', () => {
    const a = new TokenAccounting(words);
    a.input(20, 16);
    a.input(-1, 16);
    a.short('stop');
    a.short('length');
    a.short(null);
    a.timeout(true);
    a.timeout(false);
    const sum = emptyTokenInterval();
    addTokenInterval(sum, a.take()!);
    addTokenInterval(sum, a.take() ?? emptyTokenInterval());
    a.input(20, 16);
    addTokenInterval(sum, a.take()!);
    const t = tokenCountsSummary(sum);
    expect(t.inputBySource).toEqual({ usage: 2, tokenizer: 1 });
    expect(t.inputDivergence).toMatchObject({ samples: 2, usageTokens: 40, tokenizerTokens: 32, biasPct: -20 });
    expect(t.short).toEqual({ stop: 1, length: 1, other: 1 });
    expect(t.timeouts).toEqual({ firstToken: 1, total: 1 });
  });
});
