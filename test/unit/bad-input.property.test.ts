/**
 * Bad input, generated: malformed scenarios, units, durations, threshold-like strings, overrides
 * and JSONL files go through the loader (and the CLI's validate). Whatever comes in, the outcome
 * is a resolved scenario or a ServebenchError with an exit-2 code whose problems name the field
 * (and, inside a JSONL file, the file and line); nothing else is ever thrown.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ServebenchError } from '../../src/errors.js';
import { loadScenario, parseScenarioText } from '../../src/workload/scenario.js';
import { parseDurationMs } from '../../src/scenario/units.js';
import { MAX_RPS_PER_WORKER } from '../../src/scenario/bounds.js';
import { cmdValidate } from '../../src/cli/validate.js';
import { printError, type Out } from '../../src/cli/out.js';

const tmp = mkdtempSync(join(tmpdir(), 'sb-prop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const RUNS = { numRuns: 150, seed: 20261127 };

type Json = Record<string, unknown>;
function base(): Json {
  return {
    name: 'prop',
    target: { url: 'http://127.0.0.1:8080', deployment: 'fraud', timeout: '5s', tls: { insecure: false } },
    workloads: [{ name: 'w', kind: 'predict', model: 'm', weight: 1, body: { inputs: [[1, 2]] } }],
    load: { type: 'constant', rps: 10, duration: '1s', workers: 1 },
    slo: { latency: '1s' },
    thresholds: ['latency.p99 < 250ms'],
  };
}

/** The leaves and objects a mutation may hit, as key paths. */
const PATHS: ReadonlyArray<ReadonlyArray<string | number>> = [
  ['name'],
  ['target'],
  ['target', 'url'],
  ['target', 'deployment'],
  ['target', 'timeout'],
  ['target', 'connectTimeout'],
  ['target', 'firstByteTimeout'],
  ['target', 'maxResponseBytes'],
  ['target', 'retry'],
  ['target', 'tls'],
  ['target', 'tls', 'insecure'],
  ['target', 'routing'],
  ['workloads'],
  ['workloads', 0],
  ['workloads', 0, 'kind'],
  ['workloads', 0, 'weight'],
  ['workloads', 0, 'body'],
  ['workloads', 0, 'stream'],
  ['load'],
  ['load', 'type'],
  ['load', 'rps'],
  ['load', 'duration'],
  ['load', 'workers'],
  ['load', 'maxInFlight'],
  ['slo', 'latency'],
  ['thresholds'],
  ['thresholds', 0],
];

function fieldName(p: ReadonlyArray<string | number>): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function setAt(root: Json, p: ReadonlyArray<string | number>, v: unknown): void {
  let cur = root as Record<string | number, unknown>;
  for (const seg of p.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  cur[p[p.length - 1]] = v;
}

/** Runs the loader on text; returns the error (or null on success) and fails on anything not ours. */
function outcome(text: string, file = '', sets: string[] = []): ServebenchError | null {
  try {
    parseScenarioText(text, file, { env: {}, sets });
    return null;
  } catch (e) {
    if (!(e instanceof ServebenchError)) throw new Error(`not a ServebenchError: ${String((e as Error)?.stack ?? e)}`);
    return e;
  }
}

/** The checks every refusal passes: exit 2, located problems, no stack in the message. */
function wellFormed(e: ServebenchError): void {
  expect(['E_SCENARIO', 'E_DATASET']).toContain(e.code);
  expect(e.exitCode).toBe(2);
  expect(e.problems.length).toBeGreaterThan(0);
  for (const p of e.problems) {
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.message.length).toBeGreaterThan(0);
    expect(p.message).not.toMatch(/\n\s+at /);
  }
}

const junk = fc.oneof(
  fc.anything({ maxDepth: 2, withNullPrototype: false }),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.constantFrom('', ' ', '${', '$${X}', '${UNSET_VAR}', '-1', '0', 'NaN', 'Infinity', '1e999', '10 rps', '5 s', '5sec', '-5s', '2h', 'null', '~', '[]', '{}'),
);

describe('malformed scenarios (generated)', () => {
  it('a junk value at any field is refused at that field, or accepted; nothing else is thrown', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), junk, (p, v) => {
        const root = base();
        setAt(root, p, v);
        const e = outcome(JSON.stringify(root), 'prop.json');
        if (e === null) return;
        wellFormed(e);
        const field = fieldName(p);
        // The problem is at the field, inside it, or (a missing key) at its parent.
        expect(e.problems.some((q) => q.path === field || q.path.startsWith(field) || field.startsWith(q.path))).toBe(true);
      }),
      RUNS,
    );
  });

  it('unknown keys anywhere are refused by name', () => {
    const objects: ReadonlyArray<ReadonlyArray<string | number>> = [[], ['target'], ['target', 'tls'], ['workloads', 0], ['load'], ['slo']];
    fc.assert(
      fc.property(fc.constantFrom(...objects), fc.string({ minLength: 1, maxLength: 12 }).filter((k) => /^[A-Za-z_]\w*$/.test(k)), junk, (p, key, v) => {
        const root = base();
        const obj = p.reduce<Record<string | number, unknown>>((o, seg) => o[seg] as Record<string | number, unknown>, root);
        if (Object.hasOwn(obj, key)) return;
        obj[key] = v;
        const e = outcome(JSON.stringify(root), 'prop.json');
        if (e === null) return; // the key happened to be a valid optional one
        wellFormed(e);
        expect(e.problems.some((q) => q.path.endsWith(key))).toBe(true);
      }),
      RUNS,
    );
  });

  it('any text at all is a scenario or an E_SCENARIO, never a crash', () => {
    const yamlish = fc.stringMatching(/^[a-z:{}\[\]\-,'"\n #&*!|>%@`0-9.]*$/, { maxLength: 80 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), yamlish, fc.string({ unit: 'binary', maxLength: 100 })), (text) => {
        const e = outcome(text, 'junk.yaml');
        if (e !== null) wellFormed(e);
      }),
      RUNS,
    );
  });

  it('--set overrides of any shape are refused with a located problem', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (set) => {
        const e = outcome(JSON.stringify(base()), 'prop.json', [set]);
        if (e !== null) wellFormed(e);
      }),
      RUNS,
    );
  });
});

describe('units and durations (generated)', () => {
  const unit = fc.constantFrom('ms', 's', 'm', 'h', 'us', 'µs', '', ' s', 'sec', 'min', 'S', 'MS', 'd', 'ns', '%', 'rps');
  const amount = fc.oneof(fc.integer({ min: -1000, max: 100000 }).map(String), fc.double({ noNaN: false }).map(String), fc.constantFrom('1.5', '.5', '5.', '1e3', '0x10', '1_000'));

  for (const field of [['load', 'duration'], ['target', 'timeout'], ['slo', 'latency'], ['load', 'warmup'], ['target', 'firstByteTimeout']] as const) {
    it(`${field.join('.')}: a value is taken exactly when it parses as a duration; otherwise the field is named`, () => {
      fc.assert(
        fc.property(amount, unit, (a, u) => {
          const v = `${a}${u}`;
          const root = base();
          setAt(root, field, v);
          const e = outcome(JSON.stringify(root), 'prop.json');
          const ms = parseDurationMs(v);
          const positiveOnly = field[1] !== 'warmup';
          const valid = ms !== undefined && (!positiveOnly || ms > 0);
          if (valid) expect(e).toBeNull();
          else {
            expect(e).not.toBeNull();
            wellFormed(e!);
            expect(e!.problems.map((q) => q.path)).toContain(field.join('.'));
          }
        }),
        RUNS,
      );
    });
  }

  it('rates: anything but a number > 0 and within one worker\'s bound at load.rps is refused at load.rps', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.boolean()), (v) => {
        const root = base();
        setAt(root, ['load', 'rps'], v);
        const e = outcome(JSON.stringify(root), 'prop.json');
        const valid = typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= MAX_RPS_PER_WORKER;
        if (valid) expect(e).toBeNull();
        else {
          expect(e).not.toBeNull();
          wellFormed(e!);
          expect(e!.problems.map((q) => q.path)).toContain('load.rps');
        }
      }),
      RUNS,
    );
  });

  it('threshold-like strings never crash the loader; a refusal names thresholds[i]', () => {
    const metric = fc.constantFrom('latency.p99', 'errors.rate', 'ttft.p50', 'goodput', 'x', '', 'latency.p');
    const op = fc.constantFrom('<', '<=', '>', '==', '!=', '=<', '', '<<');
    const val = fc.oneof(fc.constantFrom('250ms', '1%', '1s', 'abc', '', '-1', '1e9', '5 ms'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.oneof(fc.tuple(metric, op, val).map(([m, o, v]) => `${m} ${o} ${v}`), fc.string({ maxLength: 20 }), fc.anything({ maxDepth: 1 })), (th) => {
        const root = base();
        root.thresholds = [th];
        const e = outcome(JSON.stringify(root), 'prop.json');
        if (e === null) return;
        wellFormed(e);
        expect(e.problems.some((q) => q.path.startsWith('thresholds'))).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('JSONL files (generated)', () => {
  const goodPrompt = fc.string({ minLength: 1, maxLength: 20 }).map((s) => JSON.stringify({ prompt: s }));
  const goodBody = fc.array(fc.integer(), { minLength: 1, maxLength: 3 }).map((a) => JSON.stringify({ inputs: [a] }));
  const notJson = fc.oneof(fc.constantFrom('{', '{"prompt": ', 'prompt: x', "{'prompt': 'x'}", '{"prompt": "x"},', 'undefined', '[1,'), fc.string({ minLength: 1, maxLength: 10 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return s.trim() !== '';
    }
  }));
  let n = 0;

  function scenarioWith(kind: 'chat' | 'predict', file: string): string {
    const w = kind === 'chat' ? { name: 'w', kind, model: 'm', dataset: file } : { name: 'w', kind, model: 'm', bodies: file };
    return JSON.stringify({ ...base(), workloads: [w] });
  }

  for (const kind of ['chat', 'predict'] as const) {
    it(`${kind}: a broken line is refused naming the file and its line; clean files load`, () => {
      fc.assert(
        fc.property(fc.array(kind === 'chat' ? goodPrompt : goodBody, { minLength: 1, maxLength: 8 }), fc.option(fc.tuple(fc.nat(), notJson), { nil: undefined }), (good, bad) => {
          const lines = [...good];
          let badLine = -1;
          if (bad) {
            const at = bad[0] % (lines.length + 1);
            lines.splice(at, 0, bad[1].replace(/\n/g, ' '));
            badLine = at + 1;
          }
          const name = `d${n++}.jsonl`;
          writeFileSync(join(tmp, name), lines.join('\n') + '\n');
          const file = join(tmp, `s${n}.json`);
          writeFileSync(file, scenarioWith(kind, name));
          let err: unknown = null;
          try {
            loadScenario(file, { env: {} });
          } catch (e) {
            err = e;
          }
          if (badLine < 0) {
            expect(err).toBeNull();
            return;
          }
          expect(err).toBeInstanceOf(ServebenchError);
          const e = err as ServebenchError;
          wellFormed(e);
          const field = kind === 'chat' ? 'workloads[0].dataset' : 'workloads[0].bodies';
          // A file whose first line opens a JSON array is read as one JSON document: the line is
          // where that document breaks, wherever the generated bad line went.
          const wholeJson = kind === 'chat' && lines[0].trim().startsWith('[');
          expect(e.problems).toContainEqual(expect.objectContaining({ file: join(tmp, name), line: wholeJson ? expect.any(Number) : badLine, path: field }));
        }),
        { numRuns: 60, seed: 20261127 },
      );
    });
  }
});

describe("the CLI's validate", () => {
  function capture(): Out & { text(): string } {
    const lines: string[] = [];
    return { out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false, text: () => lines.join('\n') };
  }

  it('prints every problem with file:line:col and field, exits 2, and shows no stack', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATHS.filter((p) => p.length > 1)), junk, (p, v) => {
        const root = base();
        setAt(root, p, v);
        const file = join(tmp, 'v.json');
        writeFileSync(file, JSON.stringify(root, null, 2));
        const o = capture();
        let code: number;
        try {
          code = cmdValidate(file, [], o);
        } catch (e) {
          code = printError(e, false, o);
        }
        if (code === 0) return;
        expect(code).toBe(2);
        const text = o.text();
        expect(text).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+  \\S`));
        expect(text).not.toMatch(/\n\s+at /);
        expect(text).not.toContain('this is a bug');
      }),
      { numRuns: 80, seed: 20261127 },
    );
  });
});
