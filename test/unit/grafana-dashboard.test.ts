/**
 * deploy/grafana/servebench-live.json against Grafana's own dashboard schema: the `Dashboard`
 * type of @grafana/schema (generated from Grafana's CUE schema). The JSON is put into a TypeScript
 * object literal with `satisfies Dashboard` and type-checked in memory, so a wrong type, a value
 * outside an enum or an unknown key anywhere in it is an error, as it would be in Grafana's code.
 * And every metric its PromQL names must be one `--metrics-port` serves (src/live/metrics.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { LiveMetrics } from '../../src/live/metrics.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DASHBOARD = join(ROOT, 'deploy/grafana/servebench-live.json');

interface Dash {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ type: string; query?: string | { query: string } }> };
  [k: string]: unknown;
}

/** Type errors of `json satisfies Dashboard`, as text (none: the dashboard fits the schema). */
function schemaErrors(json: unknown): string[] {
  // A virtual file inside the repository, so '@grafana/schema' resolves from node_modules.
  const file = join(ROOT, 'test/unit/__grafana_dashboard_check__.ts');
  const source = `import type { Dashboard } from '@grafana/schema';\nexport const dashboard = ${JSON.stringify(json, null, 2)} satisfies Dashboard;\n`;
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError) => (resolve(name) === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, onError));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => {
      const where = d.file && d.start !== undefined ? `${d.file.fileName === file ? 'dashboard' : d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
    });
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression (or a Grafana `label_values(metric, label)`) reads. */
export function promqlMetrics(expr: string): string[] {
  const x = expr
    .replace(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)[^,)]*,\s*\w+\s*\)/g, ' $1 ')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const out: string[] = [];
  for (const m of x.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = x[m.index - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue; // the exponent of 1e-9
    if (KEYWORDS.has(m[0].toLowerCase()) || x.slice(m.index + m[0].length).trimStart().startsWith('(')) continue; // a function
    out.push(m[0]);
  }
  return out;
}

/** Every sample name servebench's live registry serves: histogram and summary families with their suffixes. */
async function servedNames(): Promise<Set<string>> {
  const live = new LiveMetrics();
  const names = new Set<string>();
  for (const m of await live.registry.getMetricsAsJSON()) {
    names.add(m.name);
    const type = String(m.type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

describe('the Grafana dashboard against Grafana\'s schema (@grafana/schema)', () => {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dash;

  it('is a valid Dashboard', { timeout: 60_000 }, () => {
    expect(schemaErrors(dash)).toEqual([]);
  });

  it('would fail on an unknown key, a wrong type or a value outside an enum', { timeout: 120_000 }, () => {
    // One fault at a time: TypeScript reports an object literal's first fault, not every one.
    const faults: Array<[(d: Dash) => void, RegExp]> = [
      [(d) => (d.refreshEvery = '5s'), /refreshEvery.*does not exist in type 'Dashboard'/],
      [(d) => ((d.panels[0] as Record<string, unknown>).gridPos = { x: 0, y: 0, w: 'wide', h: 4 }), /Type 'string' is not assignable to type 'number'/],
      [(d) => (d.graphTooltip = 7), /Type '7' is not assignable to type 'DashboardCursorSync/],
    ];
    for (const [fault, message] of faults) {
      const bad = structuredClone(dash);
      fault(bad);
      expect(schemaErrors(bad).join('\n')).toMatch(message);
    }
  });

  it('queries only metrics servebench --metrics-port serves', async () => {
    const served = await servedNames();
    const variables = dash.templating.list.filter((v) => v.type === 'query').map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? '')));
    expect(variables).toEqual(['label_values(servebench_run_info, job)']);
    const exprs = [...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...variables];
    const used = new Set(exprs.flatMap(promqlMetrics));
    expect(used.size).toBeGreaterThanOrEqual(10);
    for (const name of used) expect(served, `${name} is not served by --metrics-port`).toContain(name);
  });

  it('reads metric names out of PromQL, not label names, functions or numbers', () => {
    expect(promqlMetrics('sum by (workload, status) (rate(a_total{job=~"$job",status!="ok"}[$__rate_interval])) / clamp_min(sum(rate(b_total[1m])), 1e-9)')).toEqual(['a_total', 'b_total']);
    expect(promqlMetrics('label_values(servebench_run_info, job)')).toEqual(['servebench_run_info']);
    expect(promqlMetrics('up == 1 and on (job) vllm:num_requests_waiting offset 5m')).toEqual(['up', 'vllm:num_requests_waiting']);
  });
});
