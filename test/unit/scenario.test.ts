import { describe, expect, test } from 'vitest';
import * as path from 'node:path';
import { formatProblem, ServebenchError } from '../../src/errors.js';
import { loadScenario, parseScenarioText } from '../../src/workload/scenario.js';
import { closest, unknownKeyMessage } from '../../src/scenario/messages.js';
import { FIXTURES, parse, problems, problemsOf, yaml } from './scenario-helpers.js';

const F = (name: string) => `${FIXTURES}/${name}`;
const abs = (name: string) => path.resolve(FIXTURES, name);

describe('defaults', () => {
  test('a minimal scenario resolves to the full default object', () => {
    const { scenario, warnings } = loadScenario(F('minimal.yaml'), { env: {} });
    expect(warnings).toEqual([]);
    expect(scenario).toEqual({
      name: 'minimal',
      file: abs('minimal.yaml'),
      target: {
        url: 'embedded',
        embedded: true,
        project: 'test',
        deployment: 'fraud',
        routing: 'path',
        client: 'undici',
        knativeDomain: 'hopsworks.ai',
        tls: { insecure: false },
        timeoutMs: 30_000,
        connectTimeoutMs: 10_000,
      },
      workloads: [
        {
          name: 'fraud-predict',
          kind: 'predict',
          model: 'fraud',
          weight: 1,
          bodies: [{ instances: [[1, 2]] }],
          bodiesSource: 'inline',
          stream: false,
        },
      ],
      load: {
        type: 'constant',
        rps: 50,
        durationMs: 30_000,
        warmupMs: 0,
        requests: 0,
        workers: 1,
        connections: 64,
        maxInFlight: 1000,
        onSaturation: 'drop',
        seed: 1,
        burstiness: 1,
        stages: [],
        concurrency: 0,
        thinkTimeMs: 0,
      },
      slo: {},
      thresholds: [],
      abortOnFail: [],
    });
  });

  test('the resolved scenario is frozen all the way down', () => {
    const { scenario } = loadScenario(F('minimal.yaml'), { env: {} });
    expect(Object.isFrozen(scenario)).toBe(true);
    expect(Object.isFrozen(scenario.load.stages)).toBe(true);
    expect(Object.isFrozen(scenario.workloads[0].bodies[0])).toBe(true);
  });

  test('a JSON scenario loads with the same parser; the url loses its trailing slash', () => {
    const { scenario } = loadScenario(F('minimal.json'), { env: {} });
    expect(scenario.name).toBe('minimal-json');
    expect(scenario.target).toMatchObject({ url: 'https://gateway.example.com:8443', embedded: false });
    expect(scenario.workloads[0].bodies).toEqual([{ inputs: [[1, 2]] }]);
  });

  test('every key set explicitly resolves as written', () => {
    const { scenario, warnings } = loadScenario(F('full.yaml'), { env: {} });
    expect(warnings).toEqual([]);
    expect(scenario.target).toEqual({
      url: 'https://gateway.example.com:8443',
      embedded: false,
      project: 'my_project',
      deployment: 'fraud',
      routing: 'host',
      client: 'lean',
      knativeDomain: 'cluster.example.com',
      apiKey: 'hw-secret-key-123',
      tls: { caFile: abs('data/ca.pem'), ca: '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n', insecure: false },
      timeoutMs: 120_000,
      connectTimeoutMs: 1500,
    });
    expect(scenario.workloads.map((w) => [w.name, w.kind, w.weight, w.bodiesSource, w.bodies.length, w.stream])).toEqual([
      ['fraud-predict', 'predict', 3, 'inline', 1, false],
      ['fraud-file', 'predict', 1, `${FIXTURES}/data/bodies.jsonl`, 2, false],
      ['scores', 'classify', 0.5, 'inline', 1, false],
      ['tensor', 'infer', 1, 'inline', 1, false],
      ['assistant', 'chat', 1, '', 0, true],
      ['sharegpt', 'completion', 1, '', 0, true],
    ]);
    expect(scenario.workloads[0].bodies[0]).toEqual({ inputs: [[4641025220953719, 4920355418495856]] });
    expect(scenario.workloads[1].bodies).toEqual([{ inputs: [[1, 2]] }, { inputs: [[3, 4]] }]);
    expect(scenario.workloads[4]).toEqual({
      name: 'assistant',
      kind: 'chat',
      model: 'my-llm',
      weight: 1,
      bodies: [],
      bodiesSource: '',
      stream: true,
      prompt: {
        inputTokens: { type: 'normal', mean: 256, stddev: 32, min: 1, max: 384 },
        outputTokens: { type: 'uniform', min: 64, max: 128 },
        prefixTokens: 100,
      },
      minTokens: 16,
      ignoreEos: true,
      temperature: 0.7,
      seed: 42,
      extraBody: { top_p: 0.9 },
      tokenizer: abs('data/tokenizer.json'),
    });
    expect(scenario.workloads[5].dataset).toBe(abs('data/prompts.jsonl'));
    expect(scenario.workloads[5].maxTokens).toBe(256);
    expect(scenario.load).toEqual({
      type: 'poisson',
      rps: 200,
      durationMs: 120_000,
      warmupMs: 5000,
      requests: 1000,
      workers: 4,
      connections: 128,
      maxInFlight: 500,
      onSaturation: 'queue',
      seed: 7,
      burstiness: 0.5,
      stages: [],
      concurrency: 0,
      thinkTimeMs: 0,
    });
    expect(scenario.slo).toEqual({ ttftMs: 500, tpotMs: 50, itlMs: 40, latencyMs: 1000 });
    expect(scenario.thresholds).toEqual(['latency.p99 < 250ms', 'errors.rate < 1%']);
  });

  test('inline text has no file; its relative paths are relative to the working directory', () => {
    const { scenario } = parseScenarioText(yaml(), '', { env: {} });
    expect(scenario.file).toBe('');
  });
});

describe('problems are all listed, located and worded', () => {
  test('a YAML file with several errors', () => {
    const f = F('errors.yaml');
    expect(problemsOf(() => loadScenario(f, { env: {} }))).toEqual([
      `${f}:3:3  target.deployment  missing required key 'deployment'`,
      `${f}:4:12  target.routing  expected one of path | host, got 'hots'`,
      `${f}:5:12  target.timeout  expected a duration like 250ms, 30s or 2m, got 'fast'`,
      `${f}:11:11  workloads[1].name  duplicate workload name 'a' (also workloads[0])`,
      `${f}:14:5  workloads[1].body  'body' applies to predict, classify, regress and infer workloads`,
      `${f}:17:3  load.rsp  unknown key 'rsp'; did you mean 'rps'?`,
      `${f}:18:12  load.workers  expected an integer from 1 to 64, got 100`,
      `${f}:19:9  load.seed  expected an integer, got string 'abc'`,
      `${f}:20:3  load.zzz  unknown key 'zzz'; expected one of: type, rps, duration, warmup, requests, workers, connections, maxInFlight, onSaturation, seed, burstiness, stages, concurrency, thinkTime, file, format, speed`,
    ]);
  });

  test('the error names the file and the count, with code E_SCENARIO and exit code 2', () => {
    const f = F('errors.yaml');
    let err: unknown;
    try {
      loadScenario(f, { env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ServebenchError);
    expect((err as ServebenchError).message).toBe(`${f}: 9 problems`);
    expect((err as ServebenchError).exitCode).toBe(2);
  });

  test('a JSON syntax error is located by line and column', () => {
    const f = F('errors.json');
    expect(problemsOf(() => loadScenario(f, { env: {} }))).toEqual([
      `${f}:3:33  (root)  invalid JSON: Expected ',' or '}' after property value`,
    ]);
  });

  test('a .json scenario is strict JSON: a trailing comma or a comment is an error at file:line:col', () => {
    const json = (t: string) => {
      try {
        parseScenarioText(t, 's.json', { env: {} });
        return [];
      } catch (e) {
        return problemsOf(() => {
          throw e;
        });
      }
    };
    const good = [
      '{',
      '  "name": "s",',
      '  "target": { "url": "embedded", "deployment": "fraud" },',
      '  "workloads": [',
      '    { "name": "w", "kind": "predict", "model": "m", "body": { "instances": [[1]] } }',
      '  ],',
      '  "load": { "rps": 1, "duration": "1s" }',
      '}',
    ].join('\n');
    expect(json(good)).toEqual([]);
    // The same text as YAML is fine: only the .json name makes it strict.
    const comma = good.replace('"fraud"', '"fraud",');
    expect(parseScenarioText(comma, 's.yaml', { env: {} }).scenario.target.deployment).toBe('fraud');
    expect(json(comma)).toEqual([`s.json:3:55  (root)  invalid JSON: trailing comma before '}'`]);
    expect(json(good.replace('} }\n  ]', '} },\n  ]'))).toEqual([`s.json:5:85  (root)  invalid JSON: trailing comma before ']'`]);
    expect(json(good.replace('{\n  "name"', '{\n  // a comment\n  "name"'))).toEqual([`s.json:2:3  (root)  invalid JSON: Expected property name or '}'`]);
    // A comma inside a string is no trailing comma.
    expect(json(good.replace('"w"', '"w,]"'))).toEqual([]);
    expect(json(good.replace('[[1]]', '[[1, ""], ["a\\",]"]]'))).toEqual([]);
  });

  test('a YAML syntax error is located by line and column', () => {
    expect(problems('name: s\ntarget: {url: embedded\nload: 1\n')).toEqual([
      `s.yaml:3:1  (root)  Flow map in block collection must be sufficiently indented and end with a }`,
    ]);
    expect(problems('name: s\nname: t\n')).toEqual([`s.yaml:2:1  (root)  Map keys must be unique`]);
  });

  test('missing required keys are reported at the mapping that lacks them', () => {
    expect(problems('name: s\ntarget:\n  url: embedded\n')).toEqual([
      `s.yaml:1:1  workloads  missing required key 'workloads'`,
      `s.yaml:1:1  load  missing required key 'load'`,
      `s.yaml:3:3  target.deployment  missing required key 'deployment'`,
    ]);
    expect(problems(yaml({ workload: '    kind: predict\n    body: { instances: [] }' }))).toEqual([
      `s.yaml:6:5  workloads[0].model  missing required key 'model'`,
    ]);
  });

  test('an empty file, and values of the wrong type', () => {
    expect(problems('')).toEqual([`s.yaml:1:1  (root)  the scenario is empty; expected a mapping with name, target, workloads and load`]);
    expect(problems('- a\n')).toEqual([`s.yaml:1:1  (root)  expected a mapping, got a list`]);
    expect(problems(yaml({ top: 'slo: fast\nthresholds: ["", 5]' }))).toEqual([
      `s.yaml:12:6  slo  expected a mapping, got string 'fast'`,
      `s.yaml:13:14  thresholds[0]  expected a non-empty string, got ''`,
      `s.yaml:13:18  thresholds[1]  expected an expression like 'latency.p99 < 250ms' or { expr, abortOnFail, delayAbortEval }, got number 5`,
    ]);
    expect(problems(yaml({ target: '  tls: { insecure: "yes" }' }))).toEqual([
      `s.yaml:5:20  target.tls.insecure  expected a boolean, got string 'yes'`,
    ]);
  });

  test('names, urls, durations and numbers', () => {
    const text = [
      'name: my scenario',
      'target:',
      '  url: https://gw.example.com/v1/project',
      '  deployment: fraud',
      '  connectTimeout: 0s',
      'workloads:',
      '  - { name: w, kind: predict, model: m, weight: -5, body: { instances: [] } }',
      'load: { rps: 10, duration: -1s, warmup: 1d, workers: 0.5, connections: 0 }',
      'slo: { ttft: 10 }',
    ].join('\n');
    expect(problems(text)).toEqual([
      `s.yaml:1:7  name  expected a name of letters, digits, '.', '_' and '-', got 'my scenario'`,
      `s.yaml:3:8  target.url  expected 'embedded' or http(s)://host[:port] with no path, got 'https://gw.example.com/v1/project'`,
      `s.yaml:5:19  target.connectTimeout  expected a duration > 0, got '0s'`,
      `s.yaml:7:49  workloads[0].weight  expected a number > 0, got -5`,
      `s.yaml:8:28  load.duration  expected a duration like 250ms, 30s or 2m, got '-1s'`,
      `s.yaml:8:41  load.warmup  expected a duration like 250ms, 30s or 2m, got '1d'`,
      `s.yaml:8:54  load.workers  expected an integer from 1 to 64, got 0.5`,
      `s.yaml:8:72  load.connections  expected an integer >= 1, got 0`,
      `s.yaml:9:14  slo.ttft  expected a duration like 250ms, 30s or 2m, got 10: a bare number has no unit; write 10ms or 10s`,
    ]);
    expect(parse(yaml({ top: 'slo: { ttft: 10ms, latency: 1.5s }' })).scenario.slo).toEqual({ ttftMs: 10, latencyMs: 1500 });
  });

  test('urls: origins only, trailing slash stripped', () => {
    const url = (u: string) => parse(yaml().replace('url: embedded', `url: ${u}`)).scenario.target.url;
    expect(url('http://localhost:8080/')).toBe('http://localhost:8080');
    expect(url('https://gw.example.com')).toBe('https://gw.example.com');
    for (const bad of ['ftp://gw', 'gw.example.com', 'https://gw/?x=1', 'https://gw/#a']) {
      expect(problems(yaml().replace('url: embedded', `url: '${bad}'`))).toEqual([
        `s.yaml:3:8  target.url  expected 'embedded' or http(s)://host[:port] with no path, got '${bad}'`,
      ]);
    }
  });

  test('mock options are passed through, only for the embedded target', () => {
    expect(parse(yaml({ target: '  mock: { latency: 5ms, errorRate: 0.1 }' })).scenario.target.mock).toEqual({ latency: '5ms', errorRate: 0.1 });
    expect(problems(yaml({ target: '  mock: { latency: 5ms }' }).replace('url: embedded', 'url: https://gw'))).toEqual([
      `s.yaml:5:3  target.mock  'mock' applies only when url is 'embedded'`,
    ]);
  });

  test('unknown keys inside nested mappings, lists and distributions get suggestions', () => {
    const text = yaml({
      target: '  tls: { insecrue: true }\n  Routing: host',
      workload: [
        '    kind: chat',
        '    model: m',
        '    max_tokens: 5',
        '    prompt: { inputTokens: { mean: 5, stdev: 1 }, outputTokens: 5, shared: 3 }',
      ].join('\n'),
      load: '  type: ramp\n  stages: [{ duration: 10s, targt: 5 }]',
    });
    expect(problems(text)).toEqual([
      `s.yaml:5:10  target.tls.insecrue  unknown key 'insecrue'; did you mean 'insecure'?`,
      `s.yaml:6:3  target.Routing  unknown key 'Routing'; did you mean 'routing'?`,
      `s.yaml:11:5  workloads[0].max_tokens  unknown key 'max_tokens'; did you mean 'maxTokens'?`,
      `s.yaml:12:39  workloads[0].prompt.inputTokens.stdev  unknown key 'stdev'; did you mean 'stddev'?`,
      `s.yaml:12:68  workloads[0].prompt.shared  unknown key 'shared'; expected one of: inputTokens, outputTokens, prefixTokens, prefix`,
      `s.yaml:15:29  load.stages[0].targt  unknown key 'targt'; did you mean 'target'?`,
    ]);
  });

  test('the suggestion rule: Levenshtein distance within max(2, len/3)', () => {
    expect(unknownKeyMessage('rsp', ['type', 'rps'])).toBe(`unknown key 'rsp'; did you mean 'rps'?`);
    expect(unknownKeyMessage('zzz', ['a', 'b', 'c'])).toBe(`unknown key 'zzz'; expected one of: a, b, c`);
    expect(closest('deploymnt', ['url', 'deployment'])).toBe('deployment');
    expect(closest('connectionz', ['connections'])).toBe('connections');
    expect(closest('xyz', ['rps'])).toBeUndefined();
  });

  test('anchors, aliases and << merge keys work, with positions from where the value is written', () => {
    const text = [
      'name: s',
      'x-predict: &predict { kind: predict, model: fraud, weight: 2, body: { instances: [[1]] } }',
      'target: { url: embedded, deployment: fraud }',
      'workloads:',
      '  - { <<: *predict, name: a }',
      '  - { <<: *predict, name: b, weight: 5 }',
      'load: { rps: 10 }',
    ].join('\n');
    // x-predict is not a scenario key: the anchor has to live somewhere the schema allows.
    expect(problems(text)).toEqual([`s.yaml:2:1  x-predict  unknown key 'x-predict'; expected one of: name, target, workloads, load, slo, thresholds, compare, sweep, server, output`]);
    const good = [
      'name: s',
      'target: { url: embedded, deployment: fraud }',
      'workloads:',
      '  - &first { name: a, kind: predict, model: fraud, weight: 2, body: { instances: [[1]] } }',
      '  - { <<: *first, name: b, weight: 0 }',
      'load: { rps: 10 }',
    ].join('\n');
    expect(problems(good)).toEqual([`s.yaml:5:36  workloads[1].weight  expected a number > 0, got 0`]);
    const { scenario } = parse(good.replace('weight: 0', 'weight: 5'));
    expect(scenario.workloads.map((w) => [w.name, w.kind, w.weight])).toEqual([
      ['a', 'predict', 2],
      ['b', 'predict', 5],
    ]);
  });

  test('alias problems, and alias bombs are stopped', () => {
    expect(problems('name: *nope\n')).toEqual([`s.yaml:1:7  name  alias *nope has no anchor &nope before it`]);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [n, p] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd']]) bomb.push(`${n}: &${n} [${Array(10).fill(`*${p}`).join(', ')}]`);
    expect(problems(bomb.join('\n'))).toEqual([`s.yaml:1:1  (root)  more than 1000 alias expansions; is this an alias bomb?`]);
  });

  test('YAML warnings (an unknown tag) are returned as warnings', () => {
    expect(parse(yaml({ target: '  project: !custom proj' })).warnings).toEqual(['s.yaml:5:12  Unresolved tag: !custom']);
  });

  test('a missing file is E_FILE', () => {
    const f = F('does-not-exist.yaml');
    expect(() => loadScenario(f)).toThrow(new ServebenchError('E_FILE', `cannot read scenario ${f}: no such file`));
    try {
      loadScenario(FIXTURES);
    } catch (e) {
      expect((e as ServebenchError).code).toBe('E_FILE');
      expect((e as ServebenchError).message).toBe(`cannot read scenario ${FIXTURES}: it is a directory`);
    }
  });

  test('formatProblem prints file:line:col  path  message', () => {
    expect(formatProblem({ file: 'a.yaml', line: 2, col: 3, path: 'load.rps', message: 'm' })).toBe('a.yaml:2:3  load.rps  m');
  });
});
