/**
 * `${VAR}` substitution in string values. It runs on the parsed tree, never on the text: a value
 * containing YAML syntax stays one string and positions stay those of the file.
 *
 *   ${VAR}            the variable; a problem when it is not set
 *   ${VAR:-default}   the default when VAR is unset or empty (as in sh)
 *   $${               a literal '${'
 *
 * A value that is exactly one reference, at a field that takes a number or a boolean, is typed
 * (`rps: ${RATE}` with RATE=500 gives 500): the environment only has strings.
 */
import { formatPath, type Seg } from './messages.js';
import { scalarTypesAt } from './schema.js';
import type { ProblemList } from './source.js';

const REF = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

export type Env = Readonly<Record<string, string | undefined>>;

export interface Substituted {
  /** Paths (formatted) whose value used at least one reference. */
  readonly fromEnv: ReadonlySet<string>;
}

/** The secret's path: its bad references are reported without echoing the value. */
const SECRET = 'target.apiKey';

export function substituteEnv(root: unknown, env: Env, problems: ProblemList): Substituted {
  const fromEnv = new Set<string>();

  const one = (s: string, path: Seg[]): unknown => {
    if (!s.includes('${')) return s;
    let used = false;
    let whole = false;
    let failed = false;
    const out = s.replace(REF, (m: string, inner: string | undefined, offset: number) => {
      if (m === '$${') return '${';
      const ref = inner === undefined ? undefined : NAME.exec(inner);
      if (!ref) {
        const shown = formatPath(path) === SECRET ? '' : ` '${m}'`;
        problems.add(path, 'value', `bad environment reference${shown}; write \${NAME}, \${NAME:-default}, or $\${ for a literal '\${'`);
        failed = true;
        return m;
      }
      used = true;
      whole = offset === 0 && m.length === s.length;
      const [, name, fallback] = ref;
      const value = env[name];
      if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
      if (value === undefined) {
        problems.add(path, 'value', `environment variable ${name} is not set`);
        failed = true;
        return '';
      }
      return value;
    });
    if (failed) problems.silence(path);
    if (!used) return out;
    fromEnv.add(formatPath(path));
    if (whole) {
      const types = scalarTypesAt(path);
      if (types.has('number') && NUMBER.test(out.trim())) return Number(out);
      if (types.has('boolean') && (out === 'true' || out === 'false')) return out === 'true';
    }
    return out;
  };

  const walk = (v: unknown, path: Seg[]): unknown => {
    if (typeof v === 'string') return one(v, path);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i], [...path, i]);
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = walk(o[k], [...path, k]);
    }
    return v;
  };

  walk(root, []);
  return { fromEnv };
}

