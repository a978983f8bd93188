import { describe, expect, it } from 'vitest';
import { variantScenarios } from '../../src/workload/scenario.js';
import { roundPlan } from '../../src/compare/rounds.js';
import { parse, problems, yaml } from './scenario-helpers.js';

describe('the scenario compare key', () => {
  it('resolves routing variants, first one the baseline', () => {
    const text = yaml({ load: '  rps: 10\n  duration: 12s', top: 'compare: { routing: [path, host], rounds: 6 }' });
    const { scenario } = parse(text);
    expect(scenario.compare).toEqual({ key: 'target.routing', values: ['path', 'host'], labels: ['path', 'host'], rounds: 6 });
    const vs = variantScenarios(scenario, text, 's.yaml', { env: {} });
    expect(vs.map((v) => v.target.routing)).toEqual(['path', 'host']);
  });

  it('resolves a set of any one key, applied like --set, with labels fit for folder names', () => {
    const text = yaml({ target: '  mock: { serviceTime: 5 }', top: 'compare:\n  set: { "target.mock.serviceTime": [5, 8] }' });
    const { scenario } = parse(text);
    expect(scenario.compare?.rounds).toBe(6);
    expect(scenario.compare?.labels).toEqual(['5', '8']);
    const vs = variantScenarios(scenario, text, 's.yaml', { env: {} });
    expect(vs.map((v) => v.target.mock?.serviceTime)).toEqual([5, 8]);
    const urls = parse(yaml({ top: 'compare:\n  set: { target.url: ["http://gw-a.example:8080", "http://gw-b.example:8080"] }' })).scenario.compare;
    expect(urls?.labels).toEqual(['gw-a.example-8080', 'gw-b.example-8080']);
    // The two HTTP clients, run in alternating rounds like any other key.
    const clients = yaml({ top: 'compare:\n  set: { target.client: [undici, lean] }' });
    const vc = variantScenarios(parse(clients).scenario, clients, 's.yaml', { env: {} });
    expect(vc.map((v) => v.target.client)).toEqual(['undici', 'lean']);
  });

  it('lists every problem of a bad compare key at file:line:col', () => {
    expect(problems(yaml({ top: 'compare: { routing: [path, host], set: { load.rps: [1, 2] }, rounds: 5 }' }))).toEqual([
      `s.yaml:12:35  compare.set  use either 'routing' or 'set', not both`,
      's.yaml:12:70  compare.rounds  expected a multiple of the 2 variants (each variant runs as often), got 5',
    ]);
    expect(problems(yaml({ top: 'compare: { routing: [path] }' }))).toEqual(['s.yaml:12:21  compare.routing  expected at least two routing modes']);
    expect(problems(yaml({ top: 'compare: { rounds: 4 }' }))).toEqual([`s.yaml:12:10  compare  compare needs 'routing: [path, host]' or 'set: {<key>: [a, b]}'`]);
    expect(problems(yaml({ top: 'compare: { set: { load.duration: [1s, 2s] } }' }))[0]).toMatch(/compare\.set\["load\.duration"\]  'load.duration' cannot vary within one run/);
    expect(problems(yaml({ top: 'compare: { routing: [path, host], round: 4 }' }))[0]).toMatch(/compare\.round  unknown key 'round'.*rounds/);
  });

  it('reports a variant that does not validate under its own name', () => {
    const text = yaml({ top: 'compare: { set: { load.rps: [10, -1] } }' });
    const { scenario } = parse(text);
    expect(() => variantScenarios(scenario, text, 's.yaml', { env: {} })).toThrow(/compare variant '.*' \(load\.rps: -1\): s\.yaml: 1 problem/);
  });

  it('cuts the duration into whole-second rounds that alternate, warming up fully only once per variant', () => {
    const { scenario } = parse(yaml({ load: '  rps: 10\n  duration: 13s\n  warmup: 3s', top: 'compare: { routing: [path, host], rounds: 4 }' }));
    const plan = roundPlan(scenario.compare!, scenario);
    expect(plan.roundMs).toBe(3000);
    expect(plan.order).toEqual([0, 1, 0, 1]);
    expect(plan.warmupMs).toEqual([3000, 3000, 1000, 1000]);
  });
});
