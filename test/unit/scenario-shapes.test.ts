import { describe, expect, test } from 'vitest';
import { parse, problems, yaml } from './scenario-helpers.js';

const workload = (kind: string, body: string) => yaml({ workload: `    kind: ${kind}\n    model: m\n    body: ${body}` });

describe('request bodies per kind', () => {
  test.each([
    ['predict', '{ instances: [[1, 2]] }'],
    ['predict', '{ inputs: [[1, 2]] }'],
    ['classify', '{ examples: [{ a: 1 }] }'],
    ['regress', '{ signature_name: s, context: { c: 1 }, examples: [] }'],
    ['infer', '{ inputs: [{ name: x, shape: [1], datatype: INT64, data: [1] }] }'],
  ])('%s accepts %s', (kind, body) => {
    expect(parse(workload(kind, body)).scenario.workloads[0].bodies).toHaveLength(1);
  });

  test.each([
    ['predict', '{ rows: [] }', [`s.yaml:9:11  workloads[0].body  a predict body needs an 'instances' or 'inputs' list`]],
    ['predict', '{ instances: [], inputs: [] }', [`s.yaml:9:11  workloads[0].body  a predict body has 'instances' or 'inputs', not both`]],
    ['predict', '{ instances: 5 }', [`s.yaml:9:24  workloads[0].body.instances  expected a list, got number 5`]],
    ['classify', '{ example: [] }', [`s.yaml:9:11  workloads[0].body  a classify body needs an 'examples' list`]],
    [
      'regress',
      '{ examples: {}, context: [], signature_name: 1 }',
      [
        `s.yaml:9:23  workloads[0].body.examples  expected a list, got a mapping`,
        `s.yaml:9:36  workloads[0].body.context  expected a mapping, got a list`,
        `s.yaml:9:56  workloads[0].body.signature_name  expected a string, got number 1`,
      ],
    ],
    ['infer', '{ instances: [] }', [`s.yaml:9:11  workloads[0].body  an infer body needs an 'inputs' list`]],
    [
      'infer',
      '{ inputs: [5, { name: x, data: [] }] }',
      [
        `s.yaml:9:22  workloads[0].body.inputs[0]  expected a mapping, got number 5`,
        `s.yaml:9:25  workloads[0].body.inputs[1].shape  missing required key 'shape'`,
        `s.yaml:9:25  workloads[0].body.inputs[1].datatype  missing required key 'datatype'`,
      ],
    ],
    ['predict', '[1]', [`s.yaml:9:11  workloads[0].body  expected a mapping, got a list`]],
  ])('%s rejects %s', (kind, body, expected) => {
    expect(problems(workload(kind, body))).toEqual(expected);
  });

  test('exactly one of body and bodies', () => {
    expect(problems(yaml({ workload: '    kind: predict\n    model: m' }))).toEqual([`s.yaml:6:5  workloads[0]  a predict workload needs 'body' or 'bodies'`]);
    expect(problems(yaml({ workload: '    kind: predict\n    model: m\n    body: { inputs: [] }\n    bodies: test/fixtures/scenarios/data/bodies.jsonl' }))).toEqual([
      `s.yaml:10:5  workloads[0].bodies  use either 'body' or 'bodies', not both`,
    ]);
  });

  test('keys of the other family are problems', () => {
    const text = yaml({ workload: '    kind: infer\n    model: m\n    body: { inputs: [] }\n    stream: true\n    maxTokens: 5' });
    expect(problems(text)).toEqual([
      `s.yaml:10:5  workloads[0].stream  'stream' applies to chat and completion workloads`,
      `s.yaml:11:5  workloads[0].maxTokens  'maxTokens' applies to chat and completion workloads`,
    ]);
  });

  test('workloads: at least one, each named uniquely, a known kind', () => {
    expect(problems(yaml().replace(/workloads:\n[\s\S]*?load:/, 'workloads: []\nload:'))).toEqual([`s.yaml:5:12  workloads  expected at least one workload`]);
    const text = yaml({ workload: '    kind: predict\n    model: m\n    body: { inputs: [] }\n  - { name: w, kind: predcit, model: m }\n  - { name: w, kind: chat, model: m, dataset: data/nope.jsonl }' });
    expect(problems(text)).toEqual([
      `s.yaml:10:13  workloads[1].name  duplicate workload name 'w' (also workloads[0])`,
      `s.yaml:10:22  workloads[1].kind  expected one of predict | classify | regress | infer | chat | completion | embedding, got 'predcit'`,
      `s.yaml:11:13  workloads[2].name  duplicate workload name 'w' (also workloads[0])`,
      `s.yaml:11:47  workloads[2].dataset  cannot read data/nope.jsonl: no such file`,
    ]);
  });
});

describe('chat and completion workloads', () => {
  const chat = (lines: string) => yaml({ workload: `    kind: chat\n    model: llm\n${lines}` });

  test('prompt lengths: fixed, normal (with default bounds) and uniform; stream defaults to true', () => {
    const { scenario } = parse(chat('    prompt: { inputTokens: { mean: 100, stddev: 10 }, outputTokens: 64, prefixTokens: 8 }'));
    expect(scenario.workloads[0]).toEqual({
      name: 'w',
      kind: 'chat',
      model: 'llm',
      weight: 1,
      bodies: [],
      bodiesSource: '',
      stream: true,
      prompt: {
        inputTokens: { type: 'normal', mean: 100, stddev: 10, min: 1, max: 140 },
        outputTokens: { type: 'fixed', value: 64 },
        prefixTokens: 8,
      },
    });
    const uniform = parse(chat('    prompt: { inputTokens: { min: 10, max: 20 }, outputTokens: { mean: 5, stddev: 1, min: 2, max: 6 } }'));
    expect(uniform.scenario.workloads[0].prompt).toEqual({
      inputTokens: { type: 'uniform', min: 10, max: 20 },
      outputTokens: { type: 'normal', mean: 5, stddev: 1, min: 2, max: 6 },
      prefixTokens: 0,
    });
  });

  test('prompt length problems', () => {
    const text = chat(
      [
        '    prompt:',
        '      inputTokens: { stddev: 3 }',
        '      outputTokens: { min: 10, max: 5 }',
        '  - name: b',
        '    kind: completion',
        '    model: llm',
        '    prompt: { inputTokens: {}, outputTokens: { min: 2 } }',
        '  - name: c',
        '    kind: completion',
        '    model: llm',
        '    prompt: { inputTokens: 0, outputTokens: fast }',
        '  - name: d',
        '    kind: completion',
        '    model: llm',
        '    prompt: { inputTokens: { mean: 10, stddev: 1, min: 50 }, outputTokens: { mean: -1, stddev: 1 } }',
      ].join('\n'),
    );
    expect(problems(text)).toEqual([
      `s.yaml:10:20  workloads[0].prompt.inputTokens.mean  missing required key 'mean'`,
      `s.yaml:11:37  workloads[0].prompt.outputTokens.max  expected max >= min (10), got 5`,
      `s.yaml:15:28  workloads[1].prompt.inputTokens  expected {mean, stddev} or {min, max}, got an empty mapping`,
      `s.yaml:15:46  workloads[1].prompt.outputTokens.max  missing required key 'max'`,
      `s.yaml:19:28  workloads[2].prompt.inputTokens  expected an integer >= 1, got 0`,
      `s.yaml:19:45  workloads[2].prompt.outputTokens  expected an integer >= 1, {mean, stddev} or {min, max}, got 'fast'`,
      `s.yaml:23:56  workloads[3].prompt.inputTokens.min  expected min <= mean + 4 * stddev (14), got 50`,
      `s.yaml:23:84  workloads[3].prompt.outputTokens.mean  expected a number > 0, got -1`,
    ]);
  });

  test('exactly one of prompt and dataset; predict-only keys; token options', () => {
    expect(problems(chat('    stream: false'))).toEqual([`s.yaml:6:5  workloads[0]  a chat workload needs 'prompt' or 'dataset'`]);
    expect(
      problems(chat('    prompt: { inputTokens: 1, outputTokens: 1 }\n    dataset: test/fixtures/scenarios/data/prompts.jsonl\n    body: {}\n    minTokens: 10\n    maxTokens: 5\n    temperature: -1')),
    ).toEqual([
      `s.yaml:10:5  workloads[0].dataset  use either 'prompt' or 'dataset', not both`,
      `s.yaml:11:5  workloads[0].body  'body' applies to predict, classify, regress and infer workloads`,
      `s.yaml:12:16  workloads[0].minTokens  expected minTokens <= maxTokens (5), got 10`,
      `s.yaml:14:18  workloads[0].temperature  expected a number >= 0, got -1`,
    ]);
  });
});

describe('load types', () => {
  test('ramp: stages required, duration is their sum, rps is the start rate (default 0)', () => {
    const { scenario } = parse(yaml({ load: '  type: ramp\n  stages:\n    - { duration: 10s, target: 100 }\n    - { duration: 1m, target: 100 }' }));
    expect(scenario.load).toMatchObject({ type: 'ramp', rps: 0, durationMs: 70_000, stages: [{ durationMs: 10_000, targetRps: 100 }, { durationMs: 60_000, targetRps: 100 }] });
    expect(parse(yaml({ load: '  type: ramp\n  rps: 0\n  stages: [{ duration: 1s, target: 5 }]' })).scenario.load.rps).toBe(0);
    expect(problems(yaml({ load: '  type: ramp\n  duration: 1m\n  rps: -1' }))).toEqual([
      `s.yaml:11:3  load.stages  missing required key 'stages'`,
      `s.yaml:12:3  load.duration  'duration' does not apply to ramp loads; the stages set it`,
      `s.yaml:13:8  load.rps  expected a number >= 0, got -1`,
    ]);
    expect(problems(yaml({ load: '  type: ramp\n  stages: []' }))).toEqual([`s.yaml:12:11  load.stages  expected at least one stage`]);
    expect(problems(yaml({ load: '  type: ramp\n  stages: [{ duration: 0s }]' }))).toEqual([
      `s.yaml:12:12  load.stages[0].target  missing required key 'target'`,
      `s.yaml:12:24  load.stages[0].duration  expected a duration > 0, got '0s'`,
    ]);
  });

  test('concurrency: concurrency required, thinkTime, rps does not apply', () => {
    const { scenario } = parse(yaml({ load: '  type: concurrency\n  concurrency: 8\n  thinkTime: 100ms\n  duration: 10s' }));
    expect(scenario.load).toMatchObject({ type: 'concurrency', rps: 0, concurrency: 8, thinkTimeMs: 100, durationMs: 10_000 });
    expect(problems(yaml({ load: '  type: concurrency\n  rps: 10' }))).toEqual([
      `s.yaml:11:3  load.concurrency  missing required key 'concurrency'`,
      `s.yaml:12:3  load.rps  'rps' applies to constant, poisson and ramp loads`,
    ]);
  });

  test('constant and poisson need rps > 0; type-specific keys elsewhere are problems', () => {
    expect(problems(yaml({ load: '  duration: 1m' }))).toEqual([`s.yaml:11:3  load.rps  missing required key 'rps'`]);
    expect(problems(yaml({ load: '  type: poisson\n  rps: 0' }))).toEqual([`s.yaml:12:8  load.rps  expected a number > 0, got 0`]);
    expect(problems(yaml({ load: '  rps: 5\n  burstiness: 2\n  stages: [{ duration: 1s, target: 1 }]\n  concurrency: 2\n  thinkTime: 1s' }))).toEqual([
      `s.yaml:12:3  load.burstiness  'burstiness' applies to poisson loads`,
      `s.yaml:13:3  load.stages  'stages' applies to ramp loads`,
      `s.yaml:14:3  load.concurrency  'concurrency' applies to concurrency loads`,
      `s.yaml:15:3  load.thinkTime  'thinkTime' applies to concurrency loads`,
    ]);
    expect(parse(yaml({ load: '  type: poisson\n  rps: 5\n  burstiness: 0.25' })).scenario.load).toMatchObject({ type: 'poisson', rps: 5, burstiness: 0.25 });
    expect(problems(yaml({ load: '  type: poisson\n  rps: 5\n  burstiness: 0' }))).toEqual([`s.yaml:13:15  load.burstiness  expected a number > 0, got 0`]);
  });

  test('the load section itself is required', () => {
    expect(problems(yaml().replace(/load:\n {2}rps: 10\n/, ''))).toEqual([`s.yaml:1:1  load  missing required key 'load'`]);
  });
});

describe('output length and token SLOs: keys that would silently disagree', () => {
  const synthetic = ['    kind: chat', '    model: m', '    prompt: { inputTokens: 8, outputTokens: 64 }'];
  const fromDataset = ['    kind: chat', '    model: m', '    dataset: test/fixtures/scenarios/data/prompts.jsonl'];

  test("maxTokens beside prompt.outputTokens is refused at maxTokens; with a dataset it is the max_tokens sent", () => {
    expect(problems(yaml({ workload: [...synthetic, '    maxTokens: 32'].join('\n') }))).toEqual([
      `s.yaml:10:5  workloads[0].maxTokens  'maxTokens' would be ignored: with 'prompt', prompt.outputTokens is the max_tokens sent (a number, {min, max} or {mean, stddev}); 'maxTokens' sets it for 'dataset' prompts`,
    ]);
    expect(parse(yaml({ workload: [...fromDataset, '    maxTokens: 32'].join('\n') })).scenario.workloads[0].maxTokens).toBe(32);
  });

  test('extraBody.max_tokens and max_completion_tokens are refused, pointing at the key that sets the length', () => {
    expect(problems(yaml({ workload: [...synthetic, '    extraBody: { max_tokens: 5, max_completion_tokens: 5, top_p: 0.9 }'].join('\n') }))).toEqual([
      `s.yaml:10:18  workloads[0].extraBody.max_tokens  set the output length with prompt.outputTokens, not extraBody.max_tokens: servebench sends it as max_tokens and counts short and over-long outputs against it`,
      `s.yaml:10:33  workloads[0].extraBody.max_completion_tokens  set the output length with prompt.outputTokens, not extraBody.max_completion_tokens: servebench sends it as max_tokens and counts short and over-long outputs against it`,
    ]);
  });

  test('slo.ttft, slo.tpot and slo.itl are refused beside a non-streamed chat workload, saying what ttft would mean', () => {
    const text = yaml({ workload: [...synthetic, '    stream: false'].join('\n'), top: 'slo: { ttft: 500ms, tpot: 50ms, latency: 2s }' });
    const ps = problems(text);
    expect(ps).toHaveLength(2);
    expect(ps[0]).toBe(
      `s.yaml:13:8  slo.ttft  slo.ttft needs streamed answers, and workload 'w' has stream: false: a non-streamed answer arrives all at once, its first token with its last, so ttft would only repeat the response time; set stream: true, or judge non-streamed answers with slo.latency`,
    );
    expect(ps[1]).toMatch(/^s\.yaml:13:21  slo\.tpot  slo\.tpot needs streamed answers.*with no token times to measure tpot from/);
    // slo.latency alone judges a non-streamed answer; a streamed one takes every SLO
    expect(parse(yaml({ workload: [...synthetic, '    stream: false'].join('\n'), top: 'slo: { latency: 2s }' })).scenario.slo).toEqual({ latencyMs: 2000 });
    expect(parse(yaml({ workload: synthetic.join('\n'), top: 'slo: { ttft: 500ms, tpot: 50ms, itl: 40ms }' })).scenario.slo).toEqual({ ttftMs: 500, tpotMs: 50, itlMs: 40 });
    // predictive workloads have no tokens: the token SLOs do not concern them
    expect(parse(yaml({ top: 'slo: { ttft: 500ms }' })).scenario.slo).toEqual({ ttftMs: 500 });
  });
});
