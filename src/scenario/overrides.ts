/**
 * `--set path=value` overrides, applied to the parsed tree before validation so that a bad
 * override is reported like any other problem, at `--set:1:<n>` (n = the entry's 1-based index).
 *
 * Paths: `load.rps`, `workloads[0].weight` or `workloads.0.weight`. Values are YAML scalars or
 * flow collections: `500` is a number, `true` a boolean, `{a: 1}` a mapping, `30s` a string.
 */
import { parseDocument } from 'yaml';
import { formatPath, plural, type Seg } from './messages.js';
import { setPos, type Locator, type ProblemList } from './source.js';
import { isObject } from '../util/values.js';

const TOKEN = /\[(\d+)\]|(^|\.)([^.[\]]+)/g;

export function parseSetPath(s: string): Seg[] | undefined {
  const segs: Seg[] = [];
  let at = 0;
  for (const m of s.matchAll(TOKEN)) {
    if (m.index !== at || (at === 0 && m[2] === '.')) return undefined;
    at += m[0].length;
    if (m[1] !== undefined) segs.push(Number(m[1]));
    else segs.push(/^\d+$/.test(m[3]) ? Number(m[3]) : m[3]);
  }
  return at === s.length && segs.length > 0 ? segs : undefined;
}

function put(container: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  if (Array.isArray(container)) container[key as number] = value;
  else Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}

function get(container: Record<string, unknown> | unknown[], key: string | number): unknown {
  if (Array.isArray(container)) return container[key as number];
  return Object.hasOwn(container, key) ? container[key] : undefined;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (isObject(v)) return 'a mapping';
  return `a ${typeof v}`;
}

/** Returns the new root (a --set on an empty file creates it). */
export function applySets(root: unknown, sets: readonly string[], loc: Locator, problems: ProblemList): unknown {
  sets.forEach((entry, index) => {
    const pos = setPos(index);
    const eq = entry.indexOf('=');
    const rawPath = eq < 0 ? entry.trim() : entry.slice(0, eq).trim();
    const path = parseSetPath(rawPath);
    if (eq < 0 || !path) {
      const shown = /apikey/i.test(entry) ? '' : `, got '${entry}'`;
      problems.atPos(pos, '', `expected path=value (e.g. load.rps=500)${shown}`);
      return;
    }
    const shownPath = formatPath(path);
    const doc = parseDocument(entry.slice(eq + 1), { prettyErrors: false });
    if (doc.errors.length > 0) {
      problems.atPos(pos, shownPath, `the value is not valid YAML: ${doc.errors[0].message}`);
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS() ?? null;
    } catch (e) {
      // An alias (`*x`) with no anchor in the value parses, then fails to resolve.
      problems.atPos(pos, shownPath, `the value is not valid YAML: ${(e as Error).message}`);
      return;
    }

    if (root === undefined || root === null) root = {};
    if (typeof root !== 'object') {
      problems.atPos(pos, shownPath, 'cannot set a field: the scenario is not a mapping');
      return;
    }
    let container = root as Record<string, unknown> | unknown[];
    const done: Seg[] = [];
    for (let j = 0; j < path.length; j++) {
      let key: string | number;
      const seg = path[j];
      if (Array.isArray(container)) {
        if (typeof seg !== 'number') {
          problems.atPos(pos, shownPath, `${formatPath(done)} is a list; use an index, e.g. ${formatPath([...done, 0])}`);
          return;
        }
        if (seg > container.length) {
          problems.atPos(pos, shownPath, `index ${seg} is out of range: ${formatPath(done)} has ${plural(container.length, 'item')}`);
          return;
        }
        key = seg;
      } else {
        key = String(seg);
      }
      done.push(key);
      if (j === path.length - 1) {
        put(container, key, value);
        loc.override(done, pos);
        break;
      }
      let next = get(container, key);
      if (next === undefined || next === null) {
        next = typeof path[j + 1] === 'number' ? [] : {};
        put(container, key, next);
        loc.override(done, pos);
      } else if (typeof next !== 'object') {
        problems.atPos(pos, shownPath, `cannot set ${shownPath}: ${formatPath(done)} is ${describe(next)}, not a mapping or a list`);
        return;
      }
      container = next as Record<string, unknown> | unknown[];
    }
  });
  return root;
}
