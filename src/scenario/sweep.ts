/**
 * The `sweep:` key: the rules that relate its fields (which keys each mode takes, exactly one
 * source of values, from < to, parseable `until` expressions) and its resolution. Like
 * checkScenario, `checkSweep` looks only at values of the right type and leaves type errors to zod,
 * so every problem is listed in one run.
 */
import { ServebenchError } from '../errors.js';
import { parseThreshold } from './threshold-grammar.js';
import type { Seg } from './messages.js';
import type { ScenarioParsed } from './schema.js';
import type { ProblemList } from './source.js';
import type { ResolvedSweep } from './types.js';
import { isObject, round3 } from '../util/values.js';

type Obj = Record<string, unknown>;

const has = (o: Obj, k: string) => Object.hasOwn(o, k);

export function checkSweep(raw: unknown, load: unknown, workloadNames: readonly string[], problems: ProblemList): void {
  if (!isObject(raw)) return;
  const at: Seg[] = ['sweep'];
  const mode = has(raw, 'mode') ? raw.mode : 'ladder';
  const only = (key: string, m: string) => {
    if (mode !== m && (mode === 'ladder' || mode === 'search') && has(raw, key)) problems.add([...at, key], 'key', `'${key}' applies to ${m} sweeps`);
  };
  only('precision', 'search');
  only('maxSteps', 'search');
  only('rates', 'ladder');
  only('steps', 'ladder');
  only('spacing', 'ladder');
  only('stopEarly', 'ladder');
  if (mode === 'search' && Array.isArray(raw.concurrency)) problems.add([...at, 'concurrency'], 'key', `'concurrency' lists apply to ladder sweeps; search with over: concurrency, from and to`);

  if (has(raw, 'rates') && has(raw, 'concurrency')) problems.add([...at, 'concurrency'], 'key', `use either 'rates' or 'concurrency', not both`);
  if (has(raw, 'rates') && raw.over === 'concurrency') problems.add([...at, 'rates'], 'key', `'rates' does not go with over: concurrency; list 'concurrency' values instead`);
  if (has(raw, 'concurrency') && raw.over === 'rate') problems.add([...at, 'concurrency'], 'key', `'concurrency' does not go with over: rate; list 'rates' instead`);
  const list = has(raw, 'rates') || has(raw, 'concurrency');
  const range = has(raw, 'from') || has(raw, 'to') || has(raw, 'steps');
  if (mode === 'ladder') {
    if (list && range) problems.add([...at, has(raw, 'from') ? 'from' : has(raw, 'to') ? 'to' : 'steps'], 'key', `use either a list ('rates' or 'concurrency') or from/to/steps, not both`);
    else if (!list && !range) problems.add(at, 'value', `a ladder sweep needs 'rates', 'concurrency' or from/to/steps`);
    else if (range) for (const k of ['from', 'to', 'steps']) if (!has(raw, k)) problems.missing([...at, k]);
  } else if (mode === 'search') {
    for (const k of ['from', 'to']) if (!has(raw, k)) problems.missing([...at, k]);
    if (!Array.isArray(raw.until) || raw.until.length === 0) problems.add(has(raw, 'until') ? [...at, 'until'] : at, 'value', `a search sweep needs 'until': the conditions whose largest passing rate it finds`);
  }
  if (typeof raw.from === 'number' && typeof raw.to === 'number' && raw.from >= raw.to) {
    problems.add([...at, 'to'], 'value', `expected a number > from (${raw.from}), got ${raw.to}`);
  }
  const over = raw.over === 'concurrency' || has(raw, 'concurrency') ? 'concurrency' : 'rate';
  if (over === 'concurrency') {
    for (const k of ['from', 'to']) {
      if (typeof raw[k] === 'number' && !Number.isInteger(raw[k])) problems.add([...at, k], 'value', `expected an integer (a number of concurrent streams), got ${raw[k]}`);
    }
  } else if (isObject(load) && load.type === 'ramp') {
    problems.add([...at], 'value', `a rate sweep sets load.rps per step; it does not apply to a ramp load (use type constant or poisson)`);
  }

  // Parsed now, as thresholds are: a malformed condition is a scenario error at its line.
  if (Array.isArray(raw.until)) {
    raw.until.forEach((u, i) => {
      if (typeof u !== 'string' || u === '') return;
      try {
        const p = parseThreshold(u);
        if (p.workload !== undefined && !workloadNames.includes(p.workload)) {
          problems.add([...at, 'until', i], 'value', `threshold '${p.expr}': no workload named '${p.workload}' (workloads: ${workloadNames.join(', ')})`);
        }
      } catch (e) {
        if (!(e instanceof ServebenchError)) throw e;
        problems.add([...at, 'until', i], 'value', e.hint ? `${e.message} (${e.hint})` : e.message);
      }
    });
  }
}

/** The ladder's values: ascending, without repeats (integers for concurrency). */
export function ladderValues(from: number, to: number, steps: number, spacing: 'linear' | 'geometric', integer: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const f = i / (steps - 1);
    let v = spacing === 'geometric' ? from * Math.pow(to / from, f) : from + (to - from) * f;
    v = integer ? Math.round(v) : round3(v);
    if (out.length === 0 || v > out[out.length - 1]) out.push(v);
  }
  return out;
}

export function resolveSweep(d: NonNullable<ScenarioParsed['sweep']>): ResolvedSweep {
  const over = d.over ?? (d.concurrency ? 'concurrency' : 'rate');
  const integer = over === 'concurrency';
  let values: number[] = [];
  if (d.mode === 'ladder') {
    if (d.rates) values = [...new Set(d.rates)].sort((a, b) => a - b);
    else if (d.concurrency) values = [...new Set(d.concurrency)].sort((a, b) => a - b);
    else values = ladderValues(d.from!, d.to!, d.steps!, d.spacing, integer);
  }
  return {
    mode: d.mode,
    over,
    values,
    from: d.from ?? values[0],
    to: d.to ?? values[values.length - 1],
    stepDurationMs: d.stepDuration,
    warmupMs: d.warmup,
    precision: d.precision,
    stability: d.stability,
    maxRepeats: d.maxRepeats,
    maxSteps: d.maxSteps,
    stopEarly: d.stopEarly,
    until: d.until,
  };
}
