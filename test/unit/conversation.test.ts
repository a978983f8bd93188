// Conversations (workload `conversation:`): the scenario edge (resolve errors naming the field),
// the dataset's later turns, and the scripts the engine builds each turn's body from.
import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, problems, yaml } from './scenario-helpers.js';
import { parseDataset } from '../../src/workload/dataset.js';
import { ConversationTurns, recordScript } from '../../src/workload/conversation-turns.js';
import { defaultTokenizer } from '../../src/workload/tokenizer.js';
import { chatWorkload } from '../helpers/scenario.js';
import { ConversationRecording } from '../../src/engine/conversation-recording.js';
import { addConversationInterval, conversationSummary, MAX_TURN_BUCKETS } from '../../src/metrics/conversations.js';
import { encode } from '../../src/metrics/hdr.js';

const chat = (extra: string) => yaml({ workload: `    kind: chat\n    model: m\n    prompt: { inputTokens: 16, outputTokens: 8 }\n${extra}` });

describe('scenario: conversation', () => {
  test('resolves turns (a number or {min, max}) and thinkTime in ms', () => {
    expect(parse(chat('    conversation: { turns: 3, thinkTime: 2s }')).scenario.workloads[0].conversation).toEqual({ turnsMin: 3, turnsMax: 3, thinkTimeMs: 2000 });
    expect(parse(chat('    conversation: { turns: { min: 2, max: 5 } }')).scenario.workloads[0].conversation).toEqual({ turnsMin: 2, turnsMax: 5, thinkTimeMs: 0 });
    expect(parse(chat('')).scenario.workloads[0].conversation).toBeUndefined();
  });

  test('errors name the field', () => {
    expect(problems(chat('    conversation: { turns: { min: 4, max: 2 } }'))).toEqual([expect.stringMatching(/workloads\[0\]\.conversation\.turns\.max.*expected max >= min \(4\), got 2/)]);
    expect(problems(chat('    conversation: { turns: 0 }'))).toEqual([expect.stringMatching(/workloads\[0\]\.conversation\.turns.*expected an integer from 1 to 100, got 0/)]);
    expect(problems(chat('    conversation: { turns: 2, thinkTime: 5 }'))).toEqual([expect.stringMatching(/workloads\[0\]\.conversation\.thinkTime.*bare number has no unit/)]);
    expect(problems(chat('    conversation: { turnz: 2 }')).join('\n')).toMatch(/workloads\[0\]\.conversation.*turnz/);
    expect(problems(chat('    conversation: { thinkTime: 1s }')).join('\n')).toMatch(/workloads\[0\]\.conversation\.turns/);
  });

  test('only chat workloads take it', () => {
    const completion = yaml({ workload: '    kind: completion\n    model: m\n    prompt: { inputTokens: 16, outputTokens: 8 }\n    conversation: { turns: 2 }' });
    expect(problems(completion)).toEqual([expect.stringMatching(/workloads\[0\]\.conversation.*'conversation' applies to chat workloads \(this one is completion\)/)]);
    const predict = yaml({ workload: '    kind: predict\n    model: fraud\n    body: { instances: [[1]] }\n    conversation: { turns: 2 }' });
    expect(problems(predict).join('\n')).toMatch(/'conversation' applies to chat workloads \(this one is predict\)/);
  });
});

const shareGpt = JSON.stringify([
  {
    conversations: [
      { from: 'human', value: 'first question' },
      { from: 'gpt', value: 'one two three' },
      { from: 'human', value: 'second question' },
      { from: 'gpt', value: 'four five' },
      { from: 'human', value: 'third question' },
    ],
  },
  { conversations: [{ from: 'human', value: 'alone' }] },
]);

describe('datasets keep their later turns', () => {
  test('ShareGPT: the later human turns with the reply that followed each', () => {
    const { records } = parseDataset(shareGpt, 'd.json');
    expect(records[0].prompt).toBe('first question');
    expect(records[0].completion).toBe('one two three');
    expect(records[0].laterTurns).toEqual([{ prompt: 'second question', reply: 'four five' }, { prompt: 'third question', reply: undefined }]);
    expect(records[1].laterTurns).toBeUndefined();
  });

  test('a record script: ShareGPT turns, JSONL messages split at each user message; the output length from the recorded reply', () => {
    const tok = defaultTokenizer();
    const w = chatWorkload({ prompt: undefined, dataset: 'd.json', conversation: { turnsMin: 1, turnsMax: 10, thinkTimeMs: 0 } });
    const { records } = parseDataset(shareGpt, 'd.json');
    const s = recordScript(records[0], w, tok, 9);
    expect(s.first).toEqual([{ role: 'user', content: 'first question' }]);
    expect(s.firstOutputTokens).toBe(3);
    expect(s.later!.map((t) => [t.text, t.outputTokens])).toEqual([
      ['second question', 2],
      ['third question', 128],
    ]);
    // capped at turnsMax - 1 later turns
    expect(recordScript(records[0], w, tok, 1).later!.map((t) => t.text)).toEqual(['second question']);
    const jsonl = parseDataset(
      JSON.stringify({ messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'q1' }, { role: 'assistant', content: 'a b c d' }, { role: 'user', content: 'q2' }] }),
      'd.jsonl',
    );
    const m = recordScript(jsonl.records[0], w, tok, 9);
    expect(m.first).toEqual([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'q1' }]);
    expect(m.firstOutputTokens).toBe(4);
    expect(m.later!.map((t) => t.text)).toEqual(['q2']);
  });
});

describe('conversation turns', () => {
  test('synthetic: first turns from the prompt distribution, later user messages of its length; turns drawn in [min, max]', () => {
    const w = chatWorkload({ conversation: { turnsMin: 2, turnsMax: 4, thinkTimeMs: 0 } });
    const turns = new ConversationTurns(w, 8, 42);
    expect(turns.scripts).toHaveLength(8);
    const s = turns.nextScriptFor();
    expect(s.first).toHaveLength(1);
    expect(s.firstInputTokens).toBe(16);
    expect(s.later).toBeNull();
    const p = turns.laterTurn(s, 2)!;
    expect(p.inputTokens).toBe(16);
    expect(defaultTokenizer().count(p.text)).toBe(16);
    expect(p.outputTokens).toBe(8);
    const drawn = new Set(Array.from({ length: 200 }, () => turns.drawTurns()));
    expect([...drawn].sort()).toEqual([2, 3, 4]);
  });

  test("a turn's body carries the whole history in order", () => {
    const w = chatWorkload({ conversation: { turnsMin: 2, turnsMax: 2, thinkTimeMs: 0 }, maxTokens: undefined });
    const turns = new ConversationTurns(w, 1, 1);
    const history = [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi there' },
      { role: 'user', content: 'and then?' },
    ];
    const body = JSON.parse(turns.body(history, 5).toString());
    expect(body.messages).toEqual(history);
    expect(body.max_tokens).toBe(5);
    expect(body.stream).toBe(true);
  });

  test('a dataset conversation ends after its last human turn', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conv-'));
    writeFileSync(join(dir, 'd.json'), shareGpt);
    const w = chatWorkload({ prompt: undefined, dataset: 'd.json', conversation: { turnsMin: 5, turnsMax: 5, thinkTimeMs: 0 } });
    const turns = new ConversationTurns(w, 2, 7, dir);
    const lens = turns.scripts.map((s) => s.later!.length).sort();
    expect(lens).toEqual([0, 2]);
    const long = turns.scripts.find((s) => s.later!.length === 2)!;
    expect(turns.laterTurn(long, 3)!.text).toBe('third question');
    expect(turns.laterTurn(long, 4)).toBeNull();
  });
});

describe('per-turn recording and summary', () => {
  test('counts and histograms per turn add up across intervals; turns past the last bucket share it', () => {
    const a = new ConversationRecording();
    a.started = 2;
    a.turnSent(1);
    a.turnSent(1);
    a.turnOk(1, 100_000, 20_000);
    a.turnOk(1, 120_000, 30_000);
    a.turnSent(2);
    a.turnOk(2, 200_000, -1);
    a.finished = 1;
    const jobs: Array<{ into: Record<string, unknown>; key: string; h: Parameters<typeof encode>[0] }> = [];
    const rec = a.take(jobs);
    for (const j of jobs) j.into[j.key] = encode(j.h);
    expect(rec.turns.map((t) => [t.sent, t.ok, typeof t.ttft, typeof t.latency])).toEqual([
      [2, 2, 'string', 'string'],
      [1, 1, 'undefined', 'string'],
    ]);
    // taken: the next interval starts empty
    expect(a.take([])).toEqual({ started: 0, finished: 0, turns: [] });
    a.turnSent(MAX_TURN_BUCKETS + 5);
    const late = a.take([]);
    expect(late.turns).toHaveLength(MAX_TURN_BUCKETS);
    expect(late.turns[MAX_TURN_BUCKETS - 1].sent).toBe(1);

    const acc = addConversationInterval(addConversationInterval(undefined, rec), { started: 1, finished: 1, turns: [{ sent: 1, ok: 0 }] });
    const sum = conversationSummary(acc);
    expect(sum).toMatchObject({ started: 3, finished: 2, unfinished: 1 });
    expect(sum.byTurn[0]).toMatchObject({ turn: 1, sent: 3, ok: 2 });
    expect(sum.byTurn[0].ttft!.count).toBe(2);
    expect(sum.byTurn[0].latency!.p50).toBeGreaterThanOrEqual(99);
    expect(sum.byTurn[0].latency!.p50).toBeLessThanOrEqual(121);
    expect(sum.byTurn[1].ttft).toBeUndefined();
  });
});
