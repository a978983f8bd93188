import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { ResolvedWorkload } from '../../src/scenario/types.js';
import { samplePromptItems, type PromptItem } from '../../src/workload/prompts.js';
import { parseDataset } from '../../src/workload/dataset.js';
import { defaultTokenizer } from '../../src/workload/tokenizer.js';
import { ServebenchError } from '../../src/errors.js';

const FIX = join(import.meta.dirname, '../fixtures/prompts');
const tok = defaultTokenizer();

function workload(over: Partial<ResolvedWorkload> = {}): ResolvedWorkload {
  return { name: 'ds', kind: 'chat', model: 'm', weight: 1, bodies: [], bodiesSource: 'inline', stream: false, ...over };
}

function thrown(f: () => unknown): ServebenchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ServebenchError);
    return e as ServebenchError;
  }
  throw new Error('expected a throw');
}

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-ds-'));
  writeFileSync(join(dir, name), text);
  return dir;
}

const PROMPTS = [
  ['Summarize the history of the printing press in two sentences.', 64],
  ['Write a haiku about load testing.', 32],
  ['Explain what a p99 latency is to a product manager.', 128],
  ['List three reasons a server may drop requests under load.', 100],
  ["Translate 'good morning' into French, Spanish and German.", 128],
] as const;

describe('JSONL {prompt} records', () => {
  it('completion: prompt strings, measured input, recorded output_tokens/max_tokens, default 128', () => {
    const items = samplePromptItems(workload({ kind: 'completion', dataset: 'prompts.jsonl' }), 5, 1, FIX);
    expect(items.map((p) => p.prompt).sort()).toEqual(PROMPTS.map(([p]) => p).sort());
    for (const p of items) {
      expect(p.messages).toBeUndefined();
      expect(p.inputTokens).toBe(tok.count(p.prompt!));
      expect(p.outputTokens).toBe(PROMPTS.find(([q]) => q === p.prompt)![1]);
    }
  });

  it('chat: a {prompt} record becomes one user message', () => {
    const items = samplePromptItems(workload({ dataset: 'prompts.jsonl' }), 5, 1, FIX);
    for (const p of items) {
      expect(p.prompt).toBeUndefined();
      expect(p.messages).toHaveLength(1);
      expect(p.messages![0].role).toBe('user');
      expect(p.inputTokens).toBe(tok.count(p.messages![0].content));
    }
  });

  it("the workload's maxTokens, then an outputTokens distribution, win over the record", () => {
    const byMax = samplePromptItems(workload({ dataset: 'prompts.jsonl', maxTokens: 7 }), 5, 1, FIX);
    expect(byMax.map((p) => p.outputTokens)).toEqual([7, 7, 7, 7, 7]);
    const byDist = samplePromptItems(
      workload({
        dataset: 'prompts.jsonl',
        maxTokens: 7,
        prompt: { inputTokens: { type: 'fixed', value: 1 }, outputTokens: { type: 'uniform', min: 300, max: 400 }, prefixTokens: 0 },
      }),
      20,
      1,
      FIX,
    );
    for (const p of byDist) {
      expect(p.outputTokens).toBeGreaterThanOrEqual(300);
      expect(p.outputTokens).toBeLessThanOrEqual(400);
      expect(p.inputTokens).toBe(tok.count(p.messages![0].content)); // the dataset's text, not synthetic
    }
  });

  it('samples without replacement while it can, then cycles, repeatably by seed', () => {
    const w = workload({ kind: 'completion', dataset: 'prompts.jsonl' });
    const items = samplePromptItems(w, 13, 42, FIX);
    const first = items.slice(0, 5).map((p) => p.prompt);
    expect(new Set(first).size).toBe(5);
    for (let i = 5; i < 13; i++) expect(items[i].prompt).toBe(items[i - 5].prompt);
    expect(samplePromptItems(w, 13, 42, FIX)).toEqual(items);
    const orders = new Set([1, 2, 3, 4, 5, 6].map((seed) => samplePromptItems(w, 5, seed, FIX).map((p) => p.prompt).join('|')));
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe('JSONL {messages} records', () => {
  it('chat: the messages as given; inputTokens sums their contents', () => {
    const items = samplePromptItems(workload({ dataset: 'messages.jsonl' }), 3, 1, FIX);
    const capital = items.find((p) => p.messages![0].role === 'system')!;
    expect(capital.messages).toEqual([
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'What is the capital of France?' },
    ]);
    expect(capital.inputTokens).toBe(tok.count('You are a terse assistant.') + tok.count('What is the capital of France?'));
    expect(capital.outputTokens).toBe(16);
    expect(items.find((p) => p.messages!.length === 3)!.outputTokens).toBe(48);
    expect(items.find((p) => p.messages!.length === 1)!.outputTokens).toBe(128);
  });

  it('completion: the contents joined into one prompt string', () => {
    const items = samplePromptItems(workload({ kind: 'completion', dataset: 'messages.jsonl' }), 3, 1, FIX);
    const joke = items.find((p) => p.prompt!.includes('joke'))!;
    expect(joke.prompt).toBe('Hello\nHi! How can I help?\nTell me a joke about queues.');
    expect(joke.inputTokens).toBe(tok.count(joke.prompt!));
    expect(joke.messages).toBeUndefined();
  });

  it('items do not share message objects with the cached dataset', () => {
    const w = workload({ dataset: 'messages.jsonl' });
    const [a] = samplePromptItems(w, 1, 1, FIX);
    a.messages![0].content = 'changed';
    const [b] = samplePromptItems(w, 1, 1, FIX);
    expect(b.messages![0].content).not.toBe('changed');
  });
});

describe('ShareGPT JSON', () => {
  const byText = (items: PromptItem[], needle: string) => items.find((p) => p.messages![0].content.includes(needle))!;

  it('first human turn is the prompt; the following gpt turn sets outputTokens', () => {
    const items = samplePromptItems(workload({ dataset: 'sharegpt.json' }), 3, 1, FIX);
    expect(items).toHaveLength(3);
    const rev = byText(items, 'reverse a list');
    expect(rev.messages).toEqual([{ role: 'user', content: 'How do I reverse a list in Python?' }]);
    expect(rev.outputTokens).toBe(tok.count('Use the slice syntax: my_list[::-1], or call my_list.reverse() to reverse it in place.'));
    expect(rev.inputTokens).toBe(tok.count('How do I reverse a list in Python?'));
    // No reply recorded: the default.
    expect(byText(items, 'prime number').outputTokens).toBe(128);
    // role/content variant.
    expect(byText(items, 'HTTP 503').outputTokens).toBe(tok.count('Service Unavailable: the server cannot handle the request right now.'));
    // The conversation without a human turn was skipped: only 3 distinct prompts.
    expect(new Set(samplePromptItems(workload({ dataset: 'sharegpt.json' }), 9, 2, FIX).map((p) => p.messages![0].content)).size).toBe(3);
  });

  it('a bad element names the line it starts on', () => {
    const text = '[\n  {"conversations": [{"from": "human", "value": "ok"}]},\n  {"conversations": [{"from": "human", "value": "x"}]},\n  {"convos": []}\n]\n';
    expect(() => parseDataset(text, 'data/sg.json')).toThrow('data/sg.json:4: expected {prompt} or {messages}');
  });

  it('broken JSON names the line of the syntax error', () => {
    const text = '[\n  {"prompt": "a"},\n  {"prompt": "b",,}\n]\n';
    expect(() => parseDataset(text, 'data/sg.json')).toThrow(/^data\/sg\.json:3: not valid JSON \(/);
  });

  it('a JSON document that is not an array is refused', () => {
    expect(() => parseDataset('{\n "prompt": "x"\n}\n', 'd.json', '.json')).toThrow('d.json:1: expected a JSON array of records, or JSONL');
  });
});

describe('dataset errors', () => {
  it('a broken JSONL file names every bad line with file:line', () => {
    const e = thrown(() => samplePromptItems(workload({ dataset: 'broken.jsonl' }), 1, 1, FIX));
    expect(e.code).toBe('E_DATASET');
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('broken.jsonl:3: expected {prompt} or {messages}');
    expect(lines[1]).toMatch(/^broken\.jsonl:7: not valid JSON \(.+\)$/);
    expect(lines[2]).toBe('broken.jsonl:8: messages[0] needs a string role and a string content');
    expect(lines[3]).toBe('broken.jsonl:9: output_tokens must be a positive integer');
    expect(e.problems.map((p) => [p.file, p.line])).toEqual([
      ['broken.jsonl', 3],
      ['broken.jsonl', 7],
      ['broken.jsonl', 8],
      ['broken.jsonl', 9],
    ]);
  });

  it('paths are named as the scenario wrote them', () => {
    const dir = tmpFile('prompts.jsonl', '{"prompt": "a"}\n{"prompt": "b"}\n{"prompt": "c"}\n{"prompt": "d"}\n{"prompt": "e"}\n{"prompt": "f"}\n{oops}\n');
    const sub = join(dir, '..');
    const rel = `${dir.slice(sub.length + 1)}/prompts.jsonl`;
    expect(() => samplePromptItems(workload({ dataset: rel }), 1, 1, sub)).toThrow(new RegExp(`^${rel}:7: not valid JSON \\(`));
  });

  it('a missing file is E_DATASET naming it', () => {
    const e = thrown(() => samplePromptItems(workload({ dataset: 'data/missing.jsonl' }), 1, 1, FIX));
    expect(e.code).toBe('E_DATASET');
    expect(e.message).toMatch(/^data\/missing\.jsonl: cannot read dataset \(ENOENT/);
    expect(e.hint).toContain(join(FIX, 'data/missing.jsonl'));
  });

  it('an empty file, or one with nothing usable, is E_DATASET', () => {
    const dir = tmpFile('empty.jsonl', '\n\n');
    expect(() => samplePromptItems(workload({ dataset: 'empty.jsonl' }), 1, 1, dir)).toThrow('empty.jsonl: the dataset is empty');
    writeFileSync(join(dir, 'nohuman.json'), '[{"conversations": [{"from": "gpt", "value": "hi"}]}]');
    expect(() => samplePromptItems(workload({ dataset: 'nohuman.json' }), 1, 1, dir)).toThrow(
      'nohuman.json: no usable prompts (1 conversations without a human turn)',
    );
  });

  it('a file edited between runs is read again', () => {
    const dir = tmpFile('p.jsonl', '{"prompt": "first version"}\n');
    const w = workload({ kind: 'completion', dataset: 'p.jsonl' });
    expect(samplePromptItems(w, 1, 1, dir)[0].prompt).toBe('first version');
    writeFileSync(join(dir, 'p.jsonl'), '{"prompt": "second version, longer"}\n');
    expect(samplePromptItems(w, 1, 1, dir)[0].prompt).toBe('second version, longer');
  });
});
