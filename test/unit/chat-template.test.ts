import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Template } from '@huggingface/jinja';
import type { ResolvedWorkload } from '../../src/scenario/types.js';
import { samplePromptItems } from '../../src/workload/prompts.js';
import { loadTokenizer } from '../../src/workload/tokenizer.js';
import { loadChatTemplate } from '../../src/workload/chat-template.js';
import { parseScenarioText } from '../../src/workload/scenario.js';
import { ServebenchError } from '../../src/errors.js';

const FIX = join(import.meta.dirname, '../fixtures/prompts');
// Llama 3's template, written with the special tokens the llama3 fixture knows.
const TEMPLATE =
  "{% for m in messages %}{% set content = '<|eot_id|>' + m['role'] + '\\n\\n' + m['content'] | trim + '<|eot_id|>' %}" +
  '{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}' +
  "{% if add_generation_prompt %}{{ '<|eot_id|>assistant\\n\\n' }}{% endif %}";
const BOS = '<|begin_of_text|>';

/** A model folder: the llama3 fixture's tokenizer.json plus the given config / template files. */
function modelDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-chat-'));
  copyFileSync(join(FIX, 'llama3.tokenizer.json'), join(dir, 'tokenizer.json'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const config = (over: Record<string, unknown> = {}) => JSON.stringify({ bos_token: { content: BOS }, eos_token: '<|eot_id|>', chat_template: TEMPLATE, ...over });

// What the server counts: the template rendered (independently of servebench's code) and tokenized.
const tokenizer = loadTokenizer(join(FIX, 'llama3.tokenizer.json'));
const serverCount = (messages: Array<{ role: string; content: string }>) =>
  tokenizer.count(new Template(TEMPLATE).render({ messages, bos_token: BOS, add_generation_prompt: true }));

function chat(tokenizerPath: string, over: Partial<ResolvedWorkload> = {}): ResolvedWorkload {
  return {
    name: 'assistant',
    kind: 'chat',
    model: 'm',
    weight: 1,
    bodies: [],
    bodiesSource: 'inline',
    stream: false,
    tokenizer: tokenizerPath,
    prompt: { inputTokens: { type: 'uniform', min: 20, max: 400 }, outputTokens: { type: 'fixed', value: 8 }, prefixTokens: 0 },
    ...over,
  };
}

describe('chat template token counts', () => {
  it('a synthetic chat prompt of n tokens is n tokens as the server counts it, template included', () => {
    const dir = modelDir({ 'tokenizer_config.json': config() });
    const items = samplePromptItems(chat(dir, { prompt: { inputTokens: { type: 'fixed', value: 256 }, outputTokens: { type: 'fixed', value: 8 }, prefixTokens: 0 } }), 40, 1);
    for (const p of items) {
      expect(p.inputTokens).toBe(256);
      expect(serverCount(p.messages!)).toBe(256);
      expect(tokenizer.count(p.messages![0].content)).toBeLessThan(256); // the template's own tokens come out of the content
    }
    const drawn = samplePromptItems(chat(dir), 60, 2);
    for (const p of drawn) expect(serverCount(p.messages!)).toBe(p.inputTokens);
    const prefixed = samplePromptItems(chat(dir, { prompt: { inputTokens: { type: 'fixed', value: 100 }, outputTokens: { type: 'fixed', value: 8 }, prefixTokens: 32 } }), 20, 3);
    for (const p of prefixed) {
      expect(p.inputTokens).toBe(132);
      expect(serverCount(p.messages!)).toBe(132);
    }
  });

  it('dataset conversations are counted through the template', () => {
    const dir = modelDir({ 'tokenizer_config.json': config() });
    const items = samplePromptItems(chat(dir, { prompt: undefined, dataset: join(FIX, 'messages.jsonl') }), 10, 4);
    for (const p of items) {
      expect(p.inputTokens).toBe(serverCount(p.messages!));
      expect(p.inputTokens).toBeGreaterThan(p.messages!.reduce((n, m) => n + tokenizer.count(m.content), 0));
    }
  });

  it('chat_template.jinja wins over the config copy; a list of named templates gives "default"', () => {
    const fromFile = loadChatTemplate(modelDir({ 'tokenizer_config.json': config({ chat_template: 'ignored' }), 'chat_template.jinja': TEMPLATE }))!;
    expect(fromFile.source).toMatch(/chat_template\.jinja$/);
    expect(fromFile.render([{ role: 'user', content: ' hi ' }])).toBe(`${BOS}<|eot_id|>user\n\nhi<|eot_id|><|eot_id|>assistant\n\n`);
    const named = loadChatTemplate(modelDir({ 'tokenizer_config.json': config({ chat_template: [{ name: 'tool_use', template: 'x' }, { name: 'default', template: TEMPLATE }] }) }))!;
    expect(named.render([{ role: 'user', content: 'hi' }])).toBe(fromFile.render([{ role: 'user', content: 'hi' }]));
  });

  it('no template: a tokenizer.json file, a folder without one, or a completion workload count the content only', () => {
    const dir = modelDir({ 'tokenizer_config.json': config() });
    const fixed = { inputTokens: { type: 'fixed', value: 64 }, outputTokens: { type: 'fixed', value: 8 }, prefixTokens: 0 } as const;
    for (const w of [chat(join(dir, 'tokenizer.json'), { prompt: fixed }), chat(modelDir({}), { prompt: fixed }), chat(dir, { kind: 'completion', prompt: fixed })]) {
      for (const p of samplePromptItems(w, 5, 5)) expect(tokenizer.count(p.messages?.[0].content ?? p.prompt!)).toBe(64);
    }
    expect(loadChatTemplate(modelDir({ 'tokenizer_config.json': JSON.stringify({ bos_token: BOS }) }))).toBeUndefined();
  });

  it('a template that does not parse or render is E_DATASET naming the file', () => {
    const bad = modelDir({ 'tokenizer_config.json': config({ chat_template: '{% for m in messages %}' }) });
    expect(() => loadChatTemplate(bad, 'models/bad')).toThrow(/^models\/bad\/tokenizer_config\.json chat_template: cannot parse the chat template/);
    const raising = modelDir({ 'chat_template.jinja': "{{ raise_exception('roles must alternate') }}" });
    expect(() => loadChatTemplate(raising, 'models/r')).toThrow("models/r/chat_template.jinja: the chat template fails on one user message (roles must alternate)");
    try {
      loadChatTemplate(raising);
    } catch (e) {
      expect((e as ServebenchError).code).toBe('E_DATASET');
    }
  });
});

describe('the default tokenizer standing in for the model', () => {
  const scenario = (url: string, workload: string) =>
    `name: t\ntarget:\n  url: ${url}\n  project: p\n  deployment: d\nworkloads:\n  - name: chat\n    kind: chat\n    model: llama\n    prompt: { inputTokens: 16, outputTokens: 8 }\n${workload}load:\n  type: constant\n  rps: 1\n  duration: 1s\n`;
  const warningsOf = (text: string) => parseScenarioText(text, join(FIX, 's.yaml'), { env: {} }).warnings;

  it('warns for a chat/completion workload on a real target that names no tokenizer', () => {
    expect(warningsOf(scenario('https://gw.example.com', ''))).toEqual([
      "workload chat: no tokenizer given, so cl100k_base stands in for llama's tokenizer: synthetic prompt lengths (and output counts when the server reports no usage) are approximate; set tokenizer: to the model's folder (tokenizer.json, tokenizer_config.json)",
    ]);
  });

  it('is quiet when a tokenizer is named (even cl100k_base, as a choice) or the target is the embedded mock', () => {
    expect(warningsOf(scenario('https://gw.example.com', '    tokenizer: cl100k_base\n'))).toEqual([]);
    expect(warningsOf(scenario('https://gw.example.com', '    tokenizer: llama3.tokenizer.json\n'))).toEqual([]);
    expect(warningsOf(scenario('embedded', ''))).toEqual([]);
  });
});
