/**
 * The mock config's validation toolkit: typed field checks that collect every problem with its
 * dotted path, and unknown keys reported with the closest known key.
 */

export interface MockConfigProblem {
  /** Dotted field path, e.g. `llm.decodeMsPerToken` or `deployments[0].project`. */
  path: string;
  message: string;
}

/** Thrown by mockConfigFrom: the message names every bad field; `problems` has them one by one. */
export class MockConfigError extends Error {
  readonly problems: readonly MockConfigProblem[];
  constructor(problems: MockConfigProblem[]) {
    super(
      problems.length === 1
        ? `invalid mock config: ${fmt(problems[0])}`
        : `invalid mock config (${problems.length} problems):\n${problems.map((p) => `  ${fmt(p)}`).join('\n')}`,
    );
    this.name = 'MockConfigError';
    this.problems = problems;
  }
}

function fmt(p: MockConfigProblem): string {
  return `${p.path || '(root)'}: ${p.message}`;
}

export type Obj = Record<string, unknown>;

/** Collects every problem of a config, each with its field path. */
export class Checker {
  readonly problems: MockConfigProblem[] = [];

  fail(path: string, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }

  /** A plain object with only the known keys; unknown keys are reported with a suggestion. */
  object(v: unknown, path: string, keys: readonly string[]): Obj | undefined {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return this.fail(path, `expected an object, got ${describe(v)}`);
    }
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) {
        const near = closest(k, keys);
        this.fail(join(path, k), `unknown key${near ? ` (did you mean "${near}"?)` : ''}`);
      }
    }
    return v as Obj;
  }

  number(
    v: unknown,
    path: string,
    opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
  ): number | undefined {
    const kind = opts.integer ? 'an integer' : 'a number';
    const range =
      opts.min !== undefined && opts.max !== undefined
        ? ` in ${opts.min}..${opts.max}`
        : opts.min !== undefined
          ? opts.exclusiveMin
            ? ` > ${opts.min}`
            : ` >= ${opts.min}`
          : '';
    // A share is a fraction: say so, or `errorRate: 5` (meant as 5 %) reads as merely out of range.
    const share = opts.min === 0 && opts.max === 1 ? ' (a fraction: 0.05 is 5%)' : '';
    const bad = (): undefined => this.fail(path, `expected ${kind}${range}${share}, got ${describe(v)}`);
    if (typeof v !== 'number' || !Number.isFinite(v)) return bad();
    if (opts.integer && !Number.isInteger(v)) return bad();
    if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) return bad();
    if (opts.max !== undefined && v > opts.max) return bad();
    return v;
  }

  string(v: unknown, path: string, nonEmpty = true): string | undefined {
    if (typeof v !== 'string' || (nonEmpty && v.length === 0)) {
      return this.fail(path, `expected a${nonEmpty ? ' non-empty' : ''} string, got ${describe(v)}`);
    }
    return v;
  }

  boolean(v: unknown, path: string): boolean | undefined {
    if (typeof v !== 'boolean') return this.fail(path, `expected true or false, got ${describe(v)}`);
    return v;
  }

  stringArray(v: unknown, path: string): string[] | undefined {
    if (!Array.isArray(v)) return this.fail(path, `expected an array of strings, got ${describe(v)}`);
    const out: string[] = [];
    v.forEach((s, i) => {
      const r = this.string(s, `${path}[${i}]`);
      if (r !== undefined) out.push(r);
    });
    return out;
  }

  oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T | undefined {
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
      return this.fail(path, `expected one of ${options.map((o) => `"${o}"`).join(', ')}, got ${describe(v)}`);
    }
    return v as T;
  }
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

function closest(key: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const k = key.toLowerCase();
  for (const o of options) {
    const d = levenshtein(k, o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
