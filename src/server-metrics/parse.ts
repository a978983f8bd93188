/**
 * The Prometheus text exposition format (version 0.0.4, which vLLM's prometheus_client, Envoy's
 * /stats/prometheus and Knative's queue-proxy all serve) parsed into metric families.
 *
 * Written here rather than taken from npm: the one parser there (parse-prometheus-text-format)
 * has not been released since 2019, ships no types, and drops sample timestamps and `_created`.
 * The grammar is small: `# HELP`/`# TYPE` lines, then `name{label="value",…} value [timestamp]`.
 */

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name: `x_bucket`, `x_sum`, `x_count`, `x_total`, or the family name. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs?: number;
}

export interface Family {
  readonly name: string;
  readonly type: FamilyType;
  readonly help: string;
  readonly samples: Sample[];
}

export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const TYPES = new Set<FamilyType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** Suffixes a sample of a typed family may carry after the family's name. */
const SUFFIXES: Record<FamilyType, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['_sum', '_count', '_created'],
  untyped: [],
};

/** Parses a whole exposition; throws ExpositionError naming the line of the first bad one. */
export function parseExposition(text: string): Family[] {
  const families = new Map<string, { name: string; type: FamilyType; help: string; samples: Sample[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  /** The family a sample name belongs to: its own, or a typed family it is a suffix of. */
  const belongs = (f: { name: string; type: FamilyType }, sampleName: string) => {
    if (!sampleName.startsWith(f.name)) return false;
    const rest = sampleName.slice(f.name.length);
    return rest === '' || SUFFIXES[f.type].includes(rest);
  };
  /** The family of the last # line: samples follow their declaration, so this is nearly always it. */
  let current: ReturnType<typeof family> | undefined;
  const owner = (sampleName: string) => {
    if (current && belongs(current, sampleName)) return current;
    if (families.has(sampleName) && families.get(sampleName)!.type !== 'histogram' && families.get(sampleName)!.type !== 'summary') return family(sampleName);
    for (const f of families.values()) if (belongs(f, sampleName)) return f;
    return family(sampleName);
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      // prometheus_client declares a counter `x` as TYPE `x_total`… or as `x`: keep the name given.
      const f = family(m[2]);
      current = f;
      if (m[1] === 'HELP') f.help = unescapeHelp(m[3]);
      else {
        const t = m[3].trim() as FamilyType;
        if (!TYPES.has(t)) throw new ExpositionError(i + 1, `unknown metric type '${m[3].trim()}' of ${m[2]}`);
        f.type = t;
      }
      continue;
    }
    const s = parseSampleLine(line, i + 1);
    owner(s.name).samples.push(s);
  }
  return [...families.values()].filter((f) => f.samples.length > 0);
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseSampleLine(line: string, lineNo: number): Sample {
  const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nm) throw new ExpositionError(lineNo, `expected a metric name, got '${line.slice(0, 40)}'`);
  const name = nm[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ' || line[pos] === ',') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(pos));
      if (!ln) throw new ExpositionError(lineNo, `expected a label name in ${name}{…}`);
      pos += ln[0].length;
      while (line[pos] === ' ') pos++;
      if (line[pos] !== '=' || line[pos + 1] !== '"') throw new ExpositionError(lineNo, `expected ="…" after label ${ln[0]} of ${name}`);
      pos += 2;
      let v = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new ExpositionError(lineNo, `unterminated value of label ${ln[0]} of ${name}`);
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos++];
          v += e === 'n' ? '\n' : e;
        } else v += c;
      }
      labels[ln[0]] = v;
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  if (rest[0] === undefined || rest[0] === '') throw new ExpositionError(lineNo, `no value for ${name}`);
  const value = parseValue(rest[0]);
  if (value === undefined) throw new ExpositionError(lineNo, `expected a number as the value of ${name}, got '${rest[0]}'`);
  const ts = rest[1] !== undefined ? Number(rest[1]) : undefined;
  return { name, labels, value, ...(ts !== undefined && Number.isFinite(ts) ? { timestampMs: ts } : {}) };
}

/** Go's ParseFloat, which Prometheus uses, takes NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(s: string): number | undefined {
  const l = s.toLowerCase();
  if (l === '+inf' || l === 'inf') return Infinity;
  if (l === '-inf') return -Infinity;
  if (l === 'nan') return NaN;
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}
