/**
 * The scenario's `compare:` key: checks that relate its fields (run from checkScenario, so every
 * problem is listed with the others) and its resolution into variant labels.
 */
import { parseSetPath } from './overrides.js';
import { formatPath, type Seg } from './messages.js';
import type { ScenarioParsed } from './schema.js';
import type { ProblemList } from './source.js';
import type { ResolvedCompare } from './types.js';
import { isObject } from '../util/values.js';

type Obj = Record<string, unknown>;

/** Keys a variant may not set: they decide what the comparison itself is. */
const FORBIDDEN = /^(name|compare|load\.duration|load\.requests|load\.type|load\.stages)(\.|\[|$)/;

export function checkCompare(raw: Obj, problems: ProblemList): void {
  const c = raw.compare;
  if (!isObject(c)) return;
  const at: Seg[] = ['compare'];
  const hasRouting = Object.hasOwn(c, 'routing');
  const hasSet = Object.hasOwn(c, 'set');
  if (hasRouting && hasSet) problems.add([...at, 'set'], 'key', `use either 'routing' or 'set', not both`);
  else if (!hasRouting && !hasSet) problems.add(at, 'value', `compare needs 'routing: [path, host]' or 'set: {<key>: [a, b]}'`);
  let variants = 0;
  if (hasRouting && Array.isArray(c.routing)) {
    variants = c.routing.length;
    if (new Set(c.routing).size !== c.routing.length) problems.add([...at, 'routing'], 'value', 'expected different routing modes, got a repeated one');
  }
  if (hasSet && isObject(c.set)) {
    const keys = Object.keys(c.set);
    if (keys.length !== 1) problems.add([...at, 'set'], 'value', `expected exactly one key to vary, got ${keys.length}`);
    for (const k of keys) {
      if (!parseSetPath(k)) problems.add([...at, 'set', k], 'key', `'${k}' is not a field path like target.url or workloads[0].model`);
      else if (FORBIDDEN.test(k)) problems.add([...at, 'set', k], 'key', `'${k}' cannot vary within one run; compare two runs with servebench compare instead`);
      const vals = c.set[k];
      if (Array.isArray(vals)) {
        variants = vals.length;
        if (new Set(vals.map((v) => JSON.stringify(v))).size !== vals.length) problems.add([...at, 'set', k], 'value', 'expected different values, got a repeated one');
      }
    }
  }
  if (typeof c.rounds === 'number' && Number.isSafeInteger(c.rounds) && variants >= 2 && c.rounds % variants !== 0) {
    problems.add([...at, 'rounds'], 'value', `expected a multiple of the ${variants} variants (each variant runs as often), got ${c.rounds}`);
  }
  const load = raw.load;
  if (isObject(load)) {
    if (load.type === 'ramp') problems.add([...at], 'key', `compare needs a load that is the same in every round (constant, poisson or concurrency), not ramp`);
    if (typeof load.requests === 'number' && load.requests > 0) problems.add([...at], 'key', `compare splits load.duration into rounds; it does not work with load.requests`);
  }
}

/** A variant's name: the value itself when it is a short plain word, else v1, v2, …. */
function label(v: unknown, i: number): string {
  const s = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  const clean = s.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return clean && clean.length <= 40 ? clean : `v${i + 1}`;
}

export function resolveCompare(c: NonNullable<ScenarioParsed['compare']>): ResolvedCompare {
  const key = c.routing ? 'target.routing' : Object.keys(c.set!)[0];
  const values = c.routing ? [...c.routing] : [...c.set![key]];
  let labels = values.map(label);
  if (new Set(labels).size !== labels.length) labels = labels.map((l, i) => `v${i + 1}-${l}`);
  return { key: formatPath(parseSetPath(key)!), values, labels, rounds: c.rounds };
}

