import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadScenario, parseScenarioText } from '../../src/workload/scenario.js';
import { FIXTURES, problemsOf, yaml } from './scenario-helpers.js';

/** Inline text that behaves as if it were a file in the fixtures folder (relative paths resolve there). */
const IN = `${FIXTURES}/inline.yaml`;
const at = (text: string) => parseScenarioText(text, IN, { env: {} });
const problemsAt = (text: string) => problemsOf(() => at(text));

const tmp = mkdtempSync(path.join(tmpdir(), 'servebench-scenario-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('JSONL bodies', () => {
  test('one body per non-empty line, in order', () => {
    const { scenario } = at(yaml({ workload: '    kind: predict\n    model: m\n    bodies: data/bodies.jsonl' }));
    expect(scenario.workloads[0].bodies).toEqual([{ inputs: [[1, 2]] }, { inputs: [[3, 4]] }]);
    expect(scenario.workloads[0].bodiesSource).toBe(`${FIXTURES}/data/bodies.jsonl`);
  });

  test('bad lines are reported at their line in the JSONL file; a missing file at the field', () => {
    const f = `${FIXTURES}/bad-bodies.yaml`;
    const jsonl = `${FIXTURES}/data/broken.jsonl`;
    const got = problemsOf(() => loadScenario(f, { env: {} }));
    expect(got).toHaveLength(4);
    expect(got.slice(0, 2)).toEqual([
      `${jsonl}:4:1  workloads[0].bodies  line 4: expected a JSON object, got a list`,
      `${jsonl}:6:1  workloads[0].bodies  line 6: a predict body needs an 'instances' or 'inputs' list`,
    ]);
    // The reason is Node's JSON.parse message.
    expect(got[2]).toMatch(new RegExp(`^${jsonl}:7:1  workloads\\[0\\]\\.bodies  line 7 is not valid JSON: \\S`));
    expect(got[3]).toBe(`${f}:11:13  workloads[1].bodies  cannot read ${FIXTURES}/data/nope.jsonl: no such file`);
  });

  test('an empty file has no bodies; more than 10 bad lines are counted, not listed', () => {
    writeFileSync(path.join(tmp, 'empty.jsonl'), '\n  \n');
    writeFileSync(path.join(tmp, 'bad.jsonl'), 'x\n'.repeat(13));
    const text = yaml({ workload: '    kind: predict\n    model: m\n    bodies: empty.jsonl\n  - { name: v, kind: predict, model: m, bodies: bad.jsonl }' });
    const got = problemsOf(() => parseScenarioText(text, path.join(tmp, 's.yaml'), { env: {} }));
    const shown = (n: string) => path.join(tmp, n);
    expect(got[0]).toBe(`${shown('s.yaml')}:9:13  workloads[0].bodies  ${shown('empty.jsonl')} has no bodies`);
    expect(got.slice(1, 11).map((p) => p.split('  ')[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `${shown('bad.jsonl')}:${n}:1`));
    expect(got[11]).toBe(`${shown('s.yaml')}:10:49  workloads[1].bodies  ${shown('bad.jsonl')} has 3 more bad lines`);
    expect(got).toHaveLength(12);
  });

  test('JSONL bodies are checked against the workload kind', () => {
    writeFileSync(path.join(tmp, 'infer.jsonl'), '{"inputs": [{"name": "a", "shape": [1], "datatype": "FP32", "data": [1]}]}\n{"inputs": [{"name": "a"}]}\n');
    const text = yaml({ workload: '    kind: infer\n    model: m\n    bodies: infer.jsonl' });
    const file = path.join(tmp, 's.yaml');
    expect(problemsOf(() => parseScenarioText(text, file, { env: {} }))).toEqual([
      `${path.join(tmp, 'infer.jsonl')}:2:1  workloads[0].bodies  line 2: inputs[0]: missing required key 'shape'`,
      `${path.join(tmp, 'infer.jsonl')}:2:1  workloads[0].bodies  line 2: inputs[0]: missing required key 'datatype'`,
      `${path.join(tmp, 'infer.jsonl')}:2:1  workloads[0].bodies  line 2: inputs[0]: missing required key 'data'`,
    ]);
  });
});

describe('files named by the scenario', () => {
  test('dataset and tokenizer must exist; they resolve to absolute paths', () => {
    const gen = (extra: string) => yaml({ workload: `    kind: chat\n    model: llm\n${extra}` });
    expect(at(gen('    dataset: data/prompts.jsonl')).scenario.workloads[0].dataset).toBe(path.resolve(FIXTURES, 'data/prompts.jsonl'));
    expect(problemsAt(gen('    dataset: data/missing.jsonl\n    tokenizer: .'))).toEqual([
      `${IN}:9:14  workloads[0].dataset  cannot read ${FIXTURES}/data/missing.jsonl: no such file`,
      `${IN}:10:16  workloads[0].tokenizer  cannot read ${FIXTURES}: it is not a file (nor a folder with tokenizer.json)`,
    ]);
  });

  test('tokenizer: a model folder holding tokenizer.json, or a built-in encoding by name', () => {
    const gen = (extra: string) => yaml({ workload: `    kind: chat\n    model: llm\n    dataset: data/prompts.jsonl\n${extra}` });
    expect(at(gen('    tokenizer: data')).scenario.workloads[0].tokenizer).toBe(path.resolve(FIXTURES, 'data'));
    expect(at(gen('    tokenizer: o200k_base')).scenario.workloads[0].tokenizer).toBe('o200k_base');
    expect(problemsAt(gen('    tokenizer: o300k_base'))).toEqual([`${IN}:10:16  workloads[0].tokenizer  cannot read ${FIXTURES}/o300k_base: no such file`]);
  });

  test('apiKeyFile: read and trimmed; both apiKey and apiKeyFile is a problem; unreadable or empty is a problem', () => {
    expect(at(yaml({ target: '  apiKeyFile: data/api-key.txt' })).scenario.target.apiKey).toBe('hw-secret-key-123');
    writeFileSync(path.join(tmp, 'blank.txt'), ' \n');
    const file = path.join(tmp, 's.yaml');
    expect(problemsOf(() => parseScenarioText(yaml({ target: '  apiKeyFile: blank.txt' }), file, { env: {} }))).toEqual([
      `${file}:5:15  target.apiKeyFile  ${path.join(tmp, 'blank.txt')} is empty`,
    ]);
    expect(problemsAt(yaml({ target: '  apiKey: ${K}\n  apiKeyFile: nope.txt' }).replace('${K}', 'abc'))).toEqual([
      `${IN}:6:3  target.apiKeyFile  use either 'apiKey' or 'apiKeyFile', not both`,
      `${IN}:6:15  target.apiKeyFile  cannot read ${FIXTURES}/nope.txt: no such file`,
    ]);
  });

  test('tls.caFile: contents read into ca; unreadable or not PEM is a problem at the field', () => {
    const { scenario } = at(yaml({ target: '  tls: { caFile: data/ca.pem }' }));
    expect(scenario.target.tls).toEqual({ caFile: path.resolve(FIXTURES, 'data/ca.pem'), ca: '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n', insecure: false });
    expect(problemsAt(yaml({ target: '  tls: { caFile: data/nope.pem }' }))).toEqual([
      `${IN}:5:18  target.tls.caFile  cannot read ${FIXTURES}/data/nope.pem: no such file`,
    ]);
    expect(problemsAt(yaml({ target: '  tls: { caFile: data/api-key.txt }' }))).toEqual([
      `${IN}:5:18  target.tls.caFile  ${FIXTURES}/data/api-key.txt is not a PEM file (no -----BEGIN line)`,
    ]);
  });

  test.skipIf(process.getuid?.() === 0)('a file without read permission', () => {
    const f = path.join(tmp, 'locked.pem');
    writeFileSync(f, '-----BEGIN CERTIFICATE-----\n');
    chmodSync(f, 0o000);
    expect(problemsOf(() => parseScenarioText(yaml({ target: '  tls: { caFile: locked.pem }' }), path.join(tmp, 's.yaml'), { env: {} }))).toEqual([
      `${path.join(tmp, 's.yaml')}:5:18  target.tls.caFile  cannot read ${f}: permission denied`,
    ]);
  });
});
