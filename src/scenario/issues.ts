/**
 * zod issues → located problems. zod reports one issue for all unknown keys of an object and
 * reports a missing key as a type error on `undefined`; here each unknown key becomes its own
 * problem at the key (with a suggestion) and a missing key is reported at its parent mapping.
 */
import type * as z from 'zod';
import type { Seg } from './messages.js';
import { keysAt } from './schema.js';
import type { ProblemList } from './source.js';

type Issue = z.core.$ZodIssue;

function valueAt(root: unknown, path: readonly Seg[]): { found: boolean; value: unknown } {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return { found: false, value: undefined };
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return { found: true, value: cur };
}

function isMissingKey(root: unknown, path: readonly Seg[]): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(root, path.slice(0, -1));
  return parent.found && parent.value !== null && typeof parent.value === 'object' && !Array.isArray(parent.value) && !Object.hasOwn(parent.value, path[path.length - 1]);
}

export function reportZodIssues(issues: readonly Issue[], root: unknown, problems: ProblemList): void {
  const visit = (iss: Issue, base: readonly Seg[]): void => {
    const path: Seg[] = [...base, ...iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (iss.code === 'unrecognized_keys') {
      const known = keysAt(path);
      for (const k of iss.keys) problems.unknown([...path, k], known);
      return;
    }
    if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      // Report the inner problems of the one alternative whose type matched (a mapping given
      // where a number or a mapping is allowed); otherwise the union's own message.
      const matched = iss.errors.filter((errs) => !errs.some((e) => e.code === 'invalid_type' && e.path.length === 0));
      if (matched.length === 1) {
        for (const e of matched[0]) visit(e, path);
        return;
      }
    }
    if (isMissingKey(root, path)) {
      problems.missing(path);
      return;
    }
    problems.add(path, 'value', iss.message);
  };
  for (const iss of issues) visit(iss, []);
}
