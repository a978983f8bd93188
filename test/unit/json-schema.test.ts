import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../src/scenario/json-schema.js';

const root = join(import.meta.dirname, '..', '..');
const SHIPPED = join(root, 'schema', 'scenario.schema.json');
const SCENARIOS = readdirSync(join(root, 'scenarios')).filter((f) => f.endsWith('.yaml'));
const FIRST_LINE = '# yaml-language-server: $schema=../schema/scenario.schema.json';

const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(SHIPPED, 'utf8')));

const VALID = {
  name: 'ok',
  target: { url: 'https://gw.example.com', deployment: 'fraud', apiKey: '${HOPSWORKS_API_KEY}', timeout: '5s', retry: { on: [503, 'reset'], backoff: '50ms' } },
  workloads: [{ name: 'w', kind: 'predict', model: 'fraud', body: { inputs: [[1, 2]] } }],
  load: { rps: '${RATE}', duration: '30s', warmup: 0 },
  sweep: { precision: '5%' },
};

describe('the scenario JSON Schema', () => {
  it('is shipped as generated from the zod schema (run `servebench schema > schema/scenario.schema.json` after changing schema.ts)', () => {
    expect(readFileSync(SHIPPED, 'utf8')).toBe(scenarioJsonSchemaText());
  });

  it('`servebench schema` prints it', () => {
    const r = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'schema'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(scenarioJsonSchemaText());
  });

  it.each(SCENARIOS)('scenarios/%s starts with the schema line and validates', (f) => {
    const text = readFileSync(join(root, 'scenarios', f), 'utf8');
    expect(text.split('\n')[0]).toBe(FIRST_LINE);
    const ok = validate(parse(text));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('accepts durations with units, percentages, ${VAR} for numbers, and retry classes', () => {
    expect(validate(VALID), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each<[string, (s: any) => void, string]>([
    ['an unknown key', (s) => (s.load.rsp = 5), 'additionalProperties'],
    ['a kind that does not exist', (s) => (s.workloads[0].kind = 'embeddings'), 'enum'],
    ['a bare-number duration', (s) => (s.load.duration = 30), '/load/duration'],
    ['a duration without a unit', (s) => (s.target.timeout = '30'), '/target/timeout'],
    ['a bare-number percentage', (s) => (s.sweep.precision = 0.05), '/sweep/precision'],
    ['a retry status out of range', (s) => (s.target.retry.on = [200]), '/target/retry/on/0'],
    ['a missing deployment', (s) => delete s.target.deployment, 'deployment'],
    ['a string where a number goes', (s) => (s.load.workers = 'many'), '/load/workers'],
  ])('refuses %s', (_, breakIt, where) => {
    const s = structuredClone(VALID);
    breakIt(s);
    expect(validate(s)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain(where);
  });

  it('leaves no field unexplained: a {} (anything) appears only where the scenario takes free-form data', () => {
    const empty: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (Object.keys(n).length === 0) empty.push(at);
      for (const [k, v] of Object.entries(n)) if (k !== 'default' && k !== 'const') walk(v, `${at}/${k}`);
    };
    walk(scenarioJsonSchema(), '');
    // body, extraBody, mock: any JSON object; compare.set: a list of any values for the key it names.
    expect(empty.filter((p) => !/\/additionalProperties$|\/compare\/properties\/set\/additionalProperties\/items$/.test(p))).toEqual([]);
  });
});
