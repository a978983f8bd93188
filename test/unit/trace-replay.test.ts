import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { blockSeed, parseAzureTimestamp, readTrace, type TraceRecord } from '../../src/workload/trace-reader.js';
import { TraceBuilder, TraceColumns } from '../../src/schedule/trace.js';
import { traceWindow } from '../../src/scenario/trace-load.js';
import { SlotIterator } from '../../src/schedule/plan.js';
import { globalWorkerIndex } from '../../src/schedule/shard.js';
import { TracePrompts } from '../../src/workload/trace-prompts.js';
import { defaultTokenizer, loadTokenizer } from '../../src/workload/tokenizer.js';
import { Template } from '@huggingface/jinja';
import type { ResolvedLoad, ResolvedWorkload, TraceFormat } from '../../src/scenario/types.js';
import { parseScenarioText } from '../../src/workload/scenario.js';
import { problemsOf } from './scenario-helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'servebench-trace-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
}

type Kept = Omit<TraceRecord, 'blockSeeds' | 'blockTokens'> & { blockSeeds: number[]; blockTokens: number[] };

function read(format: TraceFormat, text: string, workloads: string[] = ['a', 'b']) {
  const f = file(`t-${Math.random().toString(36).slice(2)}`, text);
  const records: Kept[] = [];
  const r = readTrace(f, 'trace.jsonl', format, workloads, (x) => records.push({ ...x, blockSeeds: [...x.blockSeeds], blockTokens: [...x.blockTokens] }));
  return { ...r, list: records, messages: r.problems.map((p) => `${p.file}:${p.line}: ${p.message}`) };
}

describe('mooncake traces', () => {
  test('good lines: times, lengths, and 512-token blocks whose equal ids get equal seeds', () => {
    const r = read(
      'mooncake',
      [
        '{"timestamp": 0, "input_length": 1100, "output_length": 50, "hash_ids": [0, 1, 2]}',
        '',
        '{"timestamp": 250, "input_length": 600, "output_length": 20, "hash_ids": [0, 3], "extra": "kept out"}',
        '{"timestamp": 250.5, "input_length": 30, "output_length": 1}',
      ].join('\n'),
    );
    expect(r.messages).toEqual([]);
    expect(r.records).toBe(3);
    expect(r.spanMs).toBe(250.5);
    expect(r.list.map((x) => [x.line, x.timeMs, x.inputTokens, x.outputTokens, x.workload])).toEqual([
      [1, 0, 1100, 50, -1],
      [3, 250, 600, 20, -1],
      [4, 250.5, 30, 1, -1],
    ]);
    // Full blocks of 512, the last one partial.
    expect(r.list[0].blockTokens).toEqual([512, 512, 76]);
    expect(r.list[1].blockTokens).toEqual([512, 88]);
    expect(r.list[0].blockSeeds[0]).toBe(r.list[1].blockSeeds[0]);
    expect(r.list[0].blockSeeds[1]).not.toBe(r.list[1].blockSeeds[1]);
    expect(r.list[2].blockSeeds).toEqual([]);
  });

  test.each([
    ['{"timestamp": 0, "input_length": 10', /^trace\.jsonl:1: line 1: not valid JSON: /],
    ['[1, 2]', /^trace\.jsonl:1: line 1: expected a JSON object, got a list/],
    ['{"input_length": 10, "output_length": 5}', /^trace\.jsonl:1: line 1: timestamp: missing$/],
    ['{"timestamp": -1, "input_length": 10, "output_length": 5}', /^trace\.jsonl:1: line 1: timestamp: expected a number of ms >= 0, got -1$/],
    ['{"timestamp": "0", "input_length": 10, "output_length": 5}', /^trace\.jsonl:1: line 1: timestamp: expected a number of ms >= 0, got '0'$/],
    ['{"timestamp": 0, "input_length": 1.5, "output_length": 5}', /^trace\.jsonl:1: line 1: input_length: expected an integer >= 1, got 1.5$/],
    ['{"timestamp": 0, "input_length": 10}', /^trace\.jsonl:1: line 1: output_length: missing$/],
    ['{"timestamp": 0, "input_length": 10, "output_length": 0}', /^trace\.jsonl:1: line 1: output_length: expected an integer >= 1, got 0$/],
    ['{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": 3}', /^trace\.jsonl:1: line 1: hash_ids: expected a list of integers, got 3$/],
    ['{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": [1, "x"]}', /^trace\.jsonl:1: line 1: hash_ids\[1\]: expected an integer >= 0, got 'x'$/],
    ['{"timestamp": 0, "input_length": 512, "output_length": 5, "hash_ids": [1, 2]}', /^trace\.jsonl:1: line 1: hash_ids: 2 blocks of 512 tokens need input_length > 512, got 512$/],
  ])('bad line %s names the file, the line and the field', (line, want) => {
    const r = read('mooncake', line + '\n');
    expect(r.records).toBe(0);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]).toMatch(want);
  });

  test('a line earlier than the one before is an error at its line; good lines around it are kept', () => {
    const r = read('mooncake', ['{"timestamp": 100, "input_length": 5, "output_length": 5}', '{"timestamp": 300, "input_length": 5, "output_length": 5}', '{"timestamp": 200, "input_length": 5, "output_length": 5}'].join('\n'));
    expect(r.messages).toEqual(["trace.jsonl:3: line 3: timestamp: 100 ms (from the first record) is before the previous line's 200 ms; sort the trace by time"]);
    expect(r.records).toBe(2);
  });

  test('only the first bad lines are listed; all are counted', () => {
    const r = read('mooncake', 'x\n'.repeat(13));
    expect(r.problems).toHaveLength(10);
    expect(r.badLines).toBe(13);
  });

  test('an empty trace is a problem', () => {
    expect(read('mooncake', '\n\n').messages).toEqual(['trace.jsonl:1: trace.jsonl has no requests']);
  });

  test('lines split across read chunks (over 1 MiB) are read whole', () => {
    const line = '{"timestamp": 0, "input_length": 5, "output_length": 5}\n';
    const n = Math.ceil((1 << 20) / line.length) + 10;
    expect(read('mooncake', line.repeat(n)).records).toBe(n);
  });
});

describe('azure traces', () => {
  const head = 'TIMESTAMP,ContextTokens,GeneratedTokens';

  test('date-times with 7 fractional digits, relative to the first row; columns by name', () => {
    expect(parseAzureTimestamp('2023-11-16 18:15:46.6805900')! - parseAzureTimestamp('2023-11-16 18:15:46')!).toBeCloseTo(680.59, 3);
    const r = read('azure', ['ContextTokens,TIMESTAMP,GeneratedTokens', '4808,2023-11-16 18:15:46.6805900,10', '3180,2023-11-16 18:15:50.9951690,0', '110,"2023-11-16 18:15:51.0000000",3'].join('\r\n') + '\r\n');
    expect(r.messages).toEqual([]);
    expect(r.list.map((x) => [x.line, x.inputTokens, x.outputTokens])).toEqual([
      [2, 4808, 10],
      [3, 3180, 1], // nothing generated still asks for one token
      [4, 110, 3],
    ]);
    expect(r.spanMs).toBeCloseTo(51000 - 46680.59, 3);
  });

  test.each([
    [`TIMESTAMP,ContextTokens\n2023-11-16 18:15:46,1`, 'trace.jsonl:1: line 1: GeneratedTokens: missing column in the header (expected TIMESTAMP, ContextTokens, GeneratedTokens)'],
    [`${head}\n16/11/2023 18:15,10,5`, "trace.jsonl:2: line 2: TIMESTAMP: expected a date-time such as 2023-11-16 18:15:46.680, got '16/11/2023 18:15'"],
    [`${head}\n2023-11-16 18:15:46,ten,5`, "trace.jsonl:2: line 2: ContextTokens: expected an integer >= 1, got 'ten'"],
    [`${head}\n2023-11-16 18:15:46,0,5`, "trace.jsonl:2: line 2: ContextTokens: expected an integer >= 1, got '0'"],
    [`${head}\n2023-11-16 18:15:46,10`, 'trace.jsonl:2: line 2: GeneratedTokens: missing (2 columns on this line)'],
  ])('bad CSV %#', (text, want) => {
    expect(read('azure', text).messages).toEqual([want]);
  });
});

describe('servebench traces', () => {
  test('t in ms or as a duration, a workload by name, a shared prefix by id', () => {
    const r = read(
      'servebench',
      ['{"t": 0, "inputTokens": 100, "outputTokens": 10}', '{"t": "1.5s", "inputTokens": 800, "outputTokens": 20, "workload": "b", "prefix": {"id": "sys", "tokens": 600}}', '{"t": 2000, "inputTokens": 700, "outputTokens": 5, "prefix": {"id": "sys", "tokens": 600}}'].join('\n'),
    );
    expect(r.messages).toEqual([]);
    expect(r.list.map((x) => [x.timeMs, x.workload, x.blockTokens])).toEqual([
      [0, -1, []],
      [1500, 1, [600]],
      [2000, -1, [600]],
    ]);
    expect(r.list[1].blockSeeds).toEqual(r.list[2].blockSeeds);
    expect(blockSeed('7')).not.toBe(blockSeed(7));
  });

  test.each([
    ['{"t": 0, "inputTokens": 10, "outputTokens": 5, "input": 3}', 'input: unknown key (known: t, inputTokens, outputTokens, workload, prefix)'],
    ['{"t": "soon", "inputTokens": 10, "outputTokens": 5}', "t: expected ms >= 0 or a duration such as 1.5s, got 'soon'"],
    ['{"t": 0, "outputTokens": 5}', 'inputTokens: missing'],
    ['{"t": 0, "inputTokens": 10, "outputTokens": 5, "workload": "c"}', "workload: expected one of a, b, got 'c'"],
    ['{"t": 0, "inputTokens": 10, "outputTokens": 5, "prefix": {"id": "p", "tokens": 11}}', 'prefix.tokens: expected at most inputTokens (10), got 11'],
    ['{"t": 0, "inputTokens": 10, "outputTokens": 5, "prefix": {"id": "p", "size": 1}}', 'prefix.size: unknown key (known: id, tokens)'],
    ['{"t": 0, "inputTokens": 10, "outputTokens": 5, "prefix": {"id": null, "tokens": 1}}', 'prefix.id: expected a string or a number, got null'],
  ])('bad line %s', (line, want) => {
    expect(read('servebench', `{"t": 0, "inputTokens": 1, "outputTokens": 1}\n${line}\n`).messages).toEqual([`trace.jsonl:2: line 2: ${want}`]);
  });
});

/** Columns of records at the given times (ms as written). */
function columns(times: number[]): TraceColumns {
  const b = new TraceBuilder();
  for (const t of times) b.add(t, 10, 5, -1, [], []);
  return new TraceColumns(b.finish());
}

function traceLoad(over: Partial<ResolvedLoad> & { speed?: number } = {}): ResolvedLoad {
  const { speed = 1, ...rest } = over;
  return {
    type: 'trace', rps: 0, durationMs: 1e9, warmupMs: 0, requests: 0, workers: 1, connections: 1, maxInFlight: 10,
    onSaturation: 'drop', seed: 1, burstiness: 1, stages: [], concurrency: 0, thinkTimeMs: 0,
    trace: { file: '/t', shown: 't', format: 'mooncake', speed, records: 0, spanMs: 0 },
    ...rest,
  };
}

function walk(it: SlotIterator): Array<[number, number, boolean, number]> {
  const out: Array<[number, number, boolean, number]> = [];
  for (let t = it.next(); t >= 0; t = it.next()) out.push([it.index, t, it.warmup, it.measuredIndex]);
  return out;
}

describe('a trace as a plan', () => {
  test('times are relative to the first record and packed into shared memory', () => {
    const c = columns([5000, 5000, 5250, 7000]);
    expect(Array.from(c.timesMs)).toEqual([0, 0, 250, 2000]);
    expect(c.blockStart.length).toBe(5);
    expect(new Float64Array(new TraceBuilder().finish().timesMs).length).toBe(0);
  });

  test('speed scales time: 2.0 sends twice as fast, 0.5 half as fast', () => {
    const c = columns([0, 100, 250, 1000]);
    expect(walk(new SlotIterator(traceLoad(), 0, 1, c)).map((x) => x[1])).toEqual([0, 100, 250, 1000]);
    expect(walk(new SlotIterator(traceLoad({ speed: 2 }), 0, 1, c)).map((x) => x[1])).toEqual([0, 50, 125, 500]);
    expect(walk(new SlotIterator(traceLoad({ speed: 0.5 }), 0, 1, c)).map((x) => x[1])).toEqual([0, 200, 500, 2000]);
  });

  test('warm-up records are sent, not measured; duration cuts the trace', () => {
    const c = columns([0, 100, 200, 300, 400, 500]);
    const got = walk(new SlotIterator(traceLoad({ warmupMs: 150, durationMs: 300 }), 0, 1, c));
    expect(got).toEqual([
      [0, 0, true, -1],
      [1, 100, true, -1],
      [2, 200, false, 0],
      [3, 300, false, 1],
      [4, 400, false, 2],
    ]);
    // Worker 1 of 2 starts at an odd record and still counts measured records from the first one.
    expect(walk(new SlotIterator(traceLoad({ warmupMs: 150, durationMs: 300 }), 1, 2, c))).toEqual([
      [1, 100, true, -1],
      [3, 300, false, 1],
    ]);
  });

  test('load.requests stops after that many measured records', () => {
    expect(walk(new SlotIterator(traceLoad({ requests: 2 }), 0, 1, columns([0, 1, 2, 3]))).map((x) => x[0])).toEqual([0, 1]);
  });

  test('shards × workers take every record exactly once, the same way every time', () => {
    const c = columns(Array.from({ length: 101 }, (_, i) => i * 10));
    const split = () => {
      const seen: number[][] = [];
      for (let shard = 0; shard < 3; shard++) {
        for (let k = 0; k < 2; k++) {
          seen.push(walk(new SlotIterator(traceLoad(), globalWorkerIndex({ index: shard, count: 3 }, k), 6, c)).map((x) => x[0]));
        }
      }
      return seen;
    };
    const a = split();
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    for (const part of a) expect(part.length).toBeGreaterThanOrEqual(16);
    expect(split()).toEqual(a);
  });

  test('the window runs to the last record plus one mean gap; rps is the mean rate', () => {
    expect(traceWindow(11, 10_000, 1, 0)).toEqual({ durationMs: 11_000, rps: 1 });
    expect(traceWindow(11, 10_000, 2, 1000)).toEqual({ durationMs: 4500, rps: 2 });
    expect(traceWindow(1, 0, 1, 0).durationMs).toBeGreaterThan(0);
  });
});

describe('trace prompts', () => {
  const wl = (kind: 'chat' | 'completion'): ResolvedWorkload => ({ name: 'w', kind, model: 'm', weight: 1, bodies: [], bodiesSource: '', stream: true });
  const tokenizer = defaultTokenizer();

  test('equal block ids give equal text; the length is exact under the default tokenizer', () => {
    const p = new TracePrompts(wl('completion'), tmp);
    const seeds = Uint32Array.from([blockSeed(0), blockSeed(1), blockSeed(0), blockSeed(2)]);
    const tokens = Int32Array.from([512, 300, 512, 512]);
    const a = p.item(812, 40, seeds, tokens, 0, 2, 11);
    const b = p.item(1100, 7, seeds, tokens, 2, 4, 12);
    expect([a.inputTokens, a.outputTokens, tokenizer.count(a.prompt!)]).toEqual([812, 40, 812]);
    expect([b.inputTokens, tokenizer.count(b.prompt!)]).toEqual([1100, 1100]);
    const shared = p.item(512, 1, seeds, tokens, 0, 1, 13).prompt!;
    expect(a.prompt!.startsWith(shared)).toBe(true);
    expect(b.prompt!.startsWith(shared)).toBe(true);
    expect(a.prompt!.slice(shared.length, shared.length + 200)).not.toBe(b.prompt!.slice(shared.length, shared.length + 200));
  });

  test('a partial block is the start of the full one; records without blocks differ by their seed', () => {
    const p = new TracePrompts(wl('chat'), tmp);
    const seeds = Uint32Array.from([blockSeed(9)]);
    const full = p.item(512, 1, seeds, Int32Array.from([512]), 0, 1, 1).messages![0].content;
    const part = p.item(100, 1, seeds, Int32Array.from([100]), 0, 1, 1).messages![0].content;
    expect(full.startsWith(part)).toBe(true);
    const none = new Uint32Array(0);
    const x = p.item(64, 1, none, new Int32Array(0), 0, 0, 1);
    const y = p.item(64, 1, none, new Int32Array(0), 0, 0, 2);
    expect(x.messages![0].content).not.toBe(y.messages![0].content);
    expect(tokenizer.count(x.messages![0].content)).toBe(64);
  });
});

describe('trace prompts with a model tokenizer and its chat template', () => {
  const FIX = path.join(import.meta.dirname, '../fixtures/prompts');
  const TEMPLATE = "{% for m in messages %}{{ bos_token + '<|eot_id|>' + m['role'] + '\\n\\n' + m['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|eot_id|>assistant\\n\\n' }}{% endif %}";
  const BOS = '<|begin_of_text|>';
  const llama3 = loadTokenizer(path.join(FIX, 'llama3.tokenizer.json'));

  test('the length is what the server counts: blocks, unique text and the template', () => {
    const dir = path.join(tmp, 'model');
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(FIX, 'llama3.tokenizer.json'), path.join(dir, 'tokenizer.json'));
    writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: { content: BOS }, chat_template: TEMPLATE }));
    const w: ResolvedWorkload = { name: 'w', kind: 'chat', model: 'm', weight: 1, bodies: [], bodiesSource: '', stream: true, tokenizer: dir };
    const p = new TracePrompts(w, tmp);
    const seeds = Uint32Array.from([blockSeed(0), blockSeed(1)]);
    const tokens = Int32Array.from([512, 512]);
    for (const input of [700, 1024, 1500]) {
      const item = p.item(input, 8, seeds, tokens, 0, 2, input);
      const rendered = new Template(TEMPLATE).render({ messages: item.messages!, bos_token: BOS, add_generation_prompt: true });
      expect([item.inputTokens, llama3.count(rendered)]).toEqual([input, input]);
    }
    const plain = new TracePrompts({ ...w, kind: 'completion', tokenizer: path.join(FIX, 'llama3.tokenizer.json') }, tmp).item(900, 8, seeds, tokens, 0, 2, 5);
    expect([plain.inputTokens, llama3.count(plain.prompt!)]).toEqual([900, 900]);
  });
});

describe('trace scenarios', () => {
  const scenario = (load: string, workload = '    kind: chat\n    model: m') => `name: s\ntarget:\n  url: embedded\n  deployment: d\nworkloads:\n  - name: w\n${workload}\nload:\n${load}\n`;
  const at = (text: string) => parseScenarioText(text, path.join(tmp, 's.yaml'), { env: {} });
  file('good.jsonl', '{"timestamp": 1000, "input_length": 20, "output_length": 4}\n{"timestamp": 3000, "input_length": 20, "output_length": 4}\n{"timestamp": 5000, "input_length": 20, "output_length": 4}\n');

  test('resolves the file, format and speed; the run lasts to the last record unless duration cuts it', () => {
    const { scenario: s } = at(scenario('  type: trace\n  file: good.jsonl\n  format: mooncake\n  speed: 2'));
    expect(s.load.trace).toEqual({ file: path.join(tmp, 'good.jsonl'), shown: path.join(tmp, 'good.jsonl'), format: 'mooncake', speed: 2, records: 3, spanMs: 4000 });
    expect(s.load.durationMs).toBe(3000);
    expect(s.load.rps).toBe(1);
    expect(at(scenario('  type: trace\n  file: good.jsonl\n  format: mooncake\n  duration: 1s')).scenario.load.durationMs).toBe(1000);
  });

  test('bad lines fail validation at file:line, with the load.file field', () => {
    const bad = file('bad.jsonl', '{"timestamp": 0, "input_length": 20, "output_length": 4}\n{"timestamp": 10, "input_length": 0, "output_length": 4}\n');
    expect(problemsOf(() => at(scenario('  type: trace\n  file: bad.jsonl\n  format: mooncake')))).toEqual([`${bad}:2:1  load.file  line 2: input_length: expected an integer >= 1, got 0`]);
  });

  test('trace keys belong to trace loads; a trace needs file and format, and chat/completion workloads without prompt', () => {
    const sIn = path.join(tmp, 's.yaml');
    expect(problemsOf(() => at(scenario('  type: constant\n  rps: 1\n  speed: 2', '    kind: chat\n    model: m\n    prompt: { inputTokens: 10, outputTokens: 5 }')))).toEqual([`${sIn}:13:3  load.speed  'speed' applies to trace loads`]);
    const got = problemsOf(() => at(scenario('  type: trace\n  rps: 3', '    kind: chat\n    model: m\n    prompt: { inputTokens: 10, outputTokens: 5 }')));
    expect(got).toEqual([
      `${sIn}:9:5  workloads[0].prompt  'prompt' does not apply with a trace load; each line of the trace gives the request's lengths`,
      `${sIn}:11:3  load.file  missing required key 'file'`,
      `${sIn}:11:3  load.format  missing required key 'format'`,
      `${sIn}:12:3  load.rps  'rps' applies to constant, poisson and ramp loads`,
    ]);
    expect(problemsOf(() => at(scenario('  type: trace\n  file: good.jsonl\n  format: mooncake\nsweep: { rates: [1, 2], stepDuration: 5s }')))).toEqual([
      `${sIn}:13:1  sweep  'sweep' does not apply to a trace load; replay it at another rate with load.speed`,
    ]);
    expect(problemsOf(() => at(scenario('  type: trace\n  file: good.jsonl\n  format: mooncake', '    kind: predict\n    model: m\n    body: { instances: [[1]] }')))).toEqual([
      `${sIn}:7:11  workloads[0].kind  a trace load replays chat and completion requests, got 'predict'`,
    ]);
    expect(problemsOf(() => at(scenario('  type: trace\n  file: good.jsonl\n  format: mooncake', '    kind: chat\n    model: m\n    conversation: { turns: 3 }')))).toEqual([
      `${sIn}:9:5  workloads[0].conversation  'conversation' does not apply with a trace load; each line of the trace is one request`,
    ]);
  });
});
