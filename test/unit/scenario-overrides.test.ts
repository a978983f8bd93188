import { describe, expect, test } from 'vitest';
import { ServebenchError } from '../../src/errors.js';
import { loadScenario } from '../../src/workload/scenario.js';
import { parseSetPath } from '../../src/scenario/overrides.js';
import { FIXTURES, parse, problems, problemsOf, yaml } from './scenario-helpers.js';

describe('${VAR} substitution', () => {
  test('a set variable is substituted inside any string value', () => {
    const text = yaml({ target: '  apiKey: ${KEY}\n  project: proj-${TEAM}' });
    const { scenario, warnings } = parse(text, { env: { KEY: 'k-123', TEAM: 'fraud' } });
    expect(scenario.target.apiKey).toBe('k-123');
    expect(scenario.target.project).toBe('proj-fraud');
    expect(warnings).toEqual([]);
  });

  test('an unset variable is a problem at the field that references it, reported once', () => {
    expect(problems(yaml({ target: '  apiKey: ${HOPSWORKS_API_KEY}\n  project: ${A}-${B}' }), { env: { B: 'x' } })).toEqual([
      `s.yaml:5:11  target.apiKey  environment variable HOPSWORKS_API_KEY is not set`,
      `s.yaml:6:12  target.project  environment variable A is not set`,
    ]);
  });

  test('${VAR:-default} uses the default when unset or empty; $${ is a literal ${', () => {
    const text = yaml({ target: '  project: ${P:-test}\n  knativeDomain: ${D:-example.com}', workload: '    kind: predict\n    model: "$${not-a-var}"\n    body: { instances: [["${X:-1}"]] }' });
    const { scenario } = parse(text, { env: { D: '' } });
    expect(scenario.target.project).toBe('test');
    expect(scenario.target.knativeDomain).toBe('example.com');
    expect(scenario.workloads[0].model).toBe('${not-a-var}');
    expect(scenario.workloads[0].bodies).toEqual([{ instances: [['1']] }]);
    expect(parse(text, { env: { P: 'prod' } }).scenario.target.project).toBe('prod');
  });

  test('a value that is one reference fills a number or boolean field', () => {
    const text = yaml({ load: '  rps: ${RATE}\n  workers: ${WORKERS:-2}', target: '  tls: { insecure: "${INSECURE}" }' });
    const { scenario } = parse(text, { env: { RATE: '500', INSECURE: 'false' } });
    expect(scenario.load.rps).toBe(500);
    expect(scenario.load.workers).toBe(2);
    expect(scenario.target.tls.insecure).toBe(false);
    expect(problems(text, { env: { RATE: 'lots', INSECURE: 'false' } })).toEqual([`s.yaml:12:8  load.rps  expected a number > 0, got 'lots'`]);
    // A string field keeps a numeric value as a string.
    expect(parse(yaml({ target: '  apiKey: ${KEY}' }), { env: { KEY: '12345' } }).scenario.target.apiKey).toBe('12345');
  });

  test('a malformed reference is a problem', () => {
    expect(problems(yaml({ target: '  project: ${bad-name}' }))).toEqual([
      `s.yaml:5:12  target.project  bad environment reference '\${bad-name}'; write \${NAME}, \${NAME:-default}, or $\${ for a literal '\${'`,
    ]);
  });

  test('substitution happens after parsing: a value cannot inject keys', () => {
    const { scenario } = parse(yaml({ target: '  project: ${P}' }), { env: { P: 'x\nrouting: host' } });
    expect(scenario.target.project).toBe('x\nrouting: host');
    expect(scenario.target.routing).toBe('path');
  });

  test('process.env is the default environment', () => {
    process.env.SERVEBENCH_TEST_PROJECT = 'from-process';
    try {
      expect(loadScenario(`${FIXTURES}/minimal.yaml`, { sets: ['target.project=${SERVEBENCH_TEST_PROJECT}'] }).scenario.target.project).toBe('from-process');
    } finally {
      delete process.env.SERVEBENCH_TEST_PROJECT;
    }
  });
});

describe('--set overrides', () => {
  test('path forms', () => {
    expect(parseSetPath('load.rps')).toEqual(['load', 'rps']);
    expect(parseSetPath('workloads[0].weight')).toEqual(['workloads', 0, 'weight']);
    expect(parseSetPath('workloads.0.weight')).toEqual(['workloads', 0, 'weight']);
    expect(parseSetPath('a..b')).toBeUndefined();
    expect(parseSetPath('.a')).toBeUndefined();
    expect(parseSetPath('a[x]')).toBeUndefined();
    expect(parseSetPath('')).toBeUndefined();
  });

  test('numbers, booleans, strings, mappings; both index forms', () => {
    const { scenario } = parse(yaml(), {
      sets: [
        'load.rps=500',
        'target.routing=host',
        'workloads[0].weight=3',
        'workloads.0.model=other',
        'target.tls.insecure=true',
        'load.duration=2m',
        'workloads[0].body={inputs: [[1, 2]]}',
      ],
    });
    expect(scenario.load.rps).toBe(500);
    expect(scenario.load.durationMs).toBe(120_000);
    expect(scenario.target.routing).toBe('host');
    expect(scenario.target.tls.insecure).toBe(true);
    expect(scenario.workloads[0]).toMatchObject({ weight: 3, model: 'other', bodies: [{ inputs: [[1, 2]] }] });
  });

  test('a set can append a list item and create mappings; later sets win', () => {
    const { scenario } = parse(yaml(), {
      sets: ['workloads[1]={name: v, kind: infer, model: m}', 'workloads[1].body.inputs=[]', 'load.rps=1', 'load.rps=2'],
    });
    expect(scenario.workloads.map((w) => w.name)).toEqual(['w', 'v']);
    expect(scenario.workloads[1].bodies).toEqual([{ inputs: [] }]);
    expect(scenario.load.rps).toBe(2);
  });

  test('bad overrides are reported at --set:1:<index>', () => {
    expect(
      problems(yaml(), {
        sets: ['load.rps=x', 'load.rsp=5', 'target.routing=hots', 'workloads[0].weight=-1', 'target.tls.insecure=yes', 'target.client=http2'],
      }),
    ).toEqual([
      `--set:1:1  load.rps  expected a number > 0, got 'x'`,
      `--set:1:2  load.rsp  unknown key 'rsp'; did you mean 'rps'?`,
      `--set:1:3  target.routing  expected one of path | host, got 'hots'`,
      `--set:1:4  workloads[0].weight  expected a number > 0, got -1`,
      `--set:1:5  target.tls.insecure  expected a boolean, got string 'yes'`,
      `--set:1:6  target.client  expected one of undici | lean, got 'http2'`,
    ]);
  });

  test('malformed entries and paths that cannot be set', () => {
    expect(
      problems(yaml(), { sets: ['load.rps', 'load..rps=1', 'workloads[5].weight=1', 'workloads.w.weight=1', 'load.rps.x=1', 'load.rps=[1'] }),
    ).toEqual([
      `--set:1:1  (root)  expected path=value (e.g. load.rps=500), got 'load.rps'`,
      `--set:1:2  (root)  expected path=value (e.g. load.rps=500), got 'load..rps=1'`,
      `--set:1:3  workloads[5].weight  index 5 is out of range: workloads has 1 item`,
      `--set:1:4  workloads.w.weight  workloads is a list; use an index, e.g. workloads[0]`,
      `--set:1:5  load.rps.x  cannot set load.rps.x: load.rps is a number, not a mapping or a list`,
      `--set:1:6  load.rps  the value is not valid YAML: Flow sequence must end with a ]`,
    ]);
  });

  test('file problems and --set problems are listed together, the file first', () => {
    expect(problems(yaml({ load: '  rps: 10\n  workers: 0' }), { sets: ['load.type=steady'] })).toEqual([
      `s.yaml:12:12  load.workers  expected an integer from 1 to 64, got 0`,
      `--set:1:1  load.type  expected one of constant | poisson | ramp | concurrency | trace, got 'steady'`,
    ]);
  });

  test('an override replaces a bad value in the file', () => {
    expect(parse(yaml({ load: '  rps: fast' }), { sets: ['load.rps=10'] }).scenario.load.rps).toBe(10);
  });
});

describe('warnings, and the API key never leaking', () => {
  const SECRET = 'sk-very-secret-1234';

  test('tls.insecure: true warns', () => {
    expect(parse(yaml({ target: '  tls: { insecure: true }' })).warnings).toEqual(['TLS certificate verification is off (target.tls.insecure: true)']);
  });

  test('a literal apiKey warns, without its value', () => {
    const { scenario, warnings } = parse(yaml({ target: `  apiKey: ${SECRET}` }));
    expect(scenario.target.apiKey).toBe(SECRET);
    expect(warnings).toEqual(['target.apiKey is written literally in s.yaml; prefer apiKey: ${HOPSWORKS_API_KEY} or apiKeyFile']);
    expect(parse(yaml(), { sets: [`target.apiKey=${SECRET}`] }).warnings).toEqual([
      'target.apiKey is written literally in --set; prefer apiKey: ${HOPSWORKS_API_KEY} or apiKeyFile',
    ]);
    expect(parse(yaml({ target: '  apiKey: ${K}' }), { env: { K: SECRET } }).warnings).toEqual([]);
  });

  test('problems about the key, and problems elsewhere, do not contain it', () => {
    const cases: [string, string[]][] = [
      [yaml({ target: `  apiKey: ${SECRET}\n  apiKeyFile: data/api-key.txt` }), []],
      [yaml({ target: `  apiKey: ['${SECRET}']` }), []],
      [yaml({ target: `  apiKey: "\${${SECRET}"` }), []],
      [yaml({ target: `  apiKey: ${SECRET}`, load: `  rps: ${SECRET}` }), []],
      [yaml(), [`target.apiKey=${SECRET}`, `target.apiKey.x=${SECRET}`, `target.apikey:${SECRET}`]],
    ];
    for (const [text, sets] of cases) {
      let err: unknown;
      try {
        parse(text, { sets, env: { K: SECRET } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ServebenchError);
      const e = err as ServebenchError;
      const all = JSON.stringify({ message: e.message, hint: e.hint, problems: e.problems });
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain('very-secret');
    }
    expect(problems(yaml({ target: `  apiKey: 12345678` }))).toEqual([`s.yaml:5:11  target.apiKey  expected a string, got number`]);
    expect(problems(yaml({ target: `  apiKey: ''` }))).toEqual([`s.yaml:5:11  target.apiKey  expected a non-empty string`]);
  });

  test('a key read from apiKeyFile never appears either', () => {
    const f = `${FIXTURES}/full.yaml`;
    // A message that would echo the key (here, as a bad routing value) has it masked.
    expect(problemsOf(() => loadScenario(f, { env: {}, sets: ['target.routing=hw-secret-key-123'] }))).toEqual([
      `--set:1:1  target.routing  expected one of path | host, got '***'`,
    ]);
  });
});
