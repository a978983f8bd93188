/**
 * The wording of scenario problems, in one place so tests can pin it and every part of the loader
 * phrases values the same way: `got 'fast'` for a value check, `got string 'abc'` when the type is
 * what is wrong and the expectation names a bare type.
 */

export type Seg = string | number;
export type Path = readonly Seg[];

const MAX_SHOWN = 40;

function quote(s: string): string {
  const one = s.replace(/\r?\n/g, '\\n');
  return `'${one.length > MAX_SHOWN ? `${one.slice(0, MAX_SHOWN)}…` : one}'`;
}

/** The value itself, as a user would recognise it in the file. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** The value with its type, for type mismatches: `string 'abc'`, `number 5`, `a mapping`. */
export function showTyped(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${show(v)}`;
  return show(v);
}

/** The type of a value without the value itself (for secrets). */
export function typeName(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `workloads[0].prompt.inputTokens`; '' for the root. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The closest known key, compared case-insensitively, when it is close enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(key.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = levenshtein(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return bestD <= limit ? best : undefined;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = closest(key, known);
  if (near !== undefined) return `unknown key '${key}'; did you mean '${near}'?`;
  return `unknown key '${key}'; expected one of: ${known.join(', ')}`;
}

export function missingKeyMessage(key: Seg): string {
  return `missing required key '${key}'`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
