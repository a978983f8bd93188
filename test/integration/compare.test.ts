/**
 * Comparisons of real runs against the embedded mock. Runs are short (3 s) and the mock's service
 * time is fixed and large next to the generator's own overhead and a busy machine's hiccups
 * (50 ms), so that the 20 % slower mock is a 10 ms change the noise cannot hide, while two runs of one configuration
 * differ by noise only: any regression verdict between those is a false alarm, and a bug.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScenario } from '../../src/cli/run.js';
import type { Out } from '../../src/cli/out.js';
import { cmdCompare } from '../../src/cli/compare.js';
import { scenario } from '../helpers/scenario.js';
import { descendants, parseXml } from '../helpers/xml.js';
import type { Comparison } from '../../src/compare/types.js';

function quiet(): Out & { text: string[] } {
  const text: string[] = [];
  return { out: (l) => text.push(l), err: (l) => text.push(l), tty: false, text };
}

const root = mkdtempSync(join(tmpdir(), 'sb-compare-'));

async function run(name: string, serviceMs: number): Promise<string> {
  const dir = join(root, name);
  const s = scenario({
    name,
    target: { url: 'embedded', embedded: true, mock: { serviceTime: { type: 'fixed', ms: serviceMs } } },
    load: { rps: 50, durationMs: 3000, warmupMs: 500 },
  });
  const code = await runScenario(s, { out: dir, quiet: true }, quiet());
  expect(code).toBe(0);
  return dir;
}

function compare(a: string, b: string, name: string, extra: { junit?: string; markdown?: string } = {}): { code: number; c: Comparison } {
  const out = join(root, name);
  const code = cmdCompare(a, b, { out, ...extra }, quiet());
  return { code, c: JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as Comparison };
}

describe('servebench compare on runs against the embedded mock', () => {
  let baseline = '';

  it('gives no regression for repeated runs of one configuration', async () => {
    baseline = await run('base', 50);
    for (let i = 0; i < 3; i++) {
      const again = await run(`same-${i}`, 50);
      const { code, c } = compare(baseline, again, `cmp-same-${i}`);
      const alarms = c.metrics.filter((m) => m.verdict === 'regression').map((m) => `${m.workload} ${m.metric}.${m.stat} ${m.change} ${JSON.stringify(m.ci)}`);
      expect(alarms, `repeat ${i}`).toEqual([]);
      expect(code).toBe(0);
      expect(c.method.name).toBe('block-bootstrap');
    }
  }, 120_000);

  it('finds a 20 % slower mock a regression, exits 1, and writes JUnit and Markdown for CI', async () => {
    const slow = await run('slow', 60);
    const junit = join(root, 'slow.xml');
    const markdown = join(root, 'slow.md');
    const { code, c } = compare(baseline, slow, 'cmp-slow', { junit, markdown });
    expect(code).toBe(1);
    const p50 = c.metrics.find((m) => m.workload === 'all' && m.metric === 'serviceTime' && m.stat === 'p50')!;
    expect(p50.verdict).toBe('regression');
    expect(p50.relativeChange!).toBeGreaterThan(0.1);
    expect(p50.relativeChange!).toBeLessThan(0.5);
    for (const f of ['compare.json', 'compare.csv', 'compare.html']) expect(existsSync(join(root, 'cmp-slow', f)), f).toBe(true);
    const doc = parseXml(readFileSync(junit, 'utf8'));
    const failing = descendants(doc, 'testcase').filter((t) => t.children.some((x) => x.name === 'failure'));
    expect(failing.length).toBe(c.regressions);
    expect(failing.map((t) => t.attrs.name)).toContain('all serviceTime.p50');
    expect(readFileSync(markdown, 'utf8')).toContain(':x: regression');
  }, 60_000);

  it('falls back to the tolerance alone when only summary.json is given', () => {
    const copy = join(root, 'summary-only');
    rmSync(copy, { recursive: true, force: true });
    writeFileSync(join(root, 'base-summary.json'), readFileSync(join(baseline, 'summary.json')));
    const { code, c } = compare(join(root, 'base-summary.json'), join(root, 'slow', 'summary.json'), 'cmp-summary-only');
    expect(c.method.name).toBe('tolerance-only');
    expect(c.warnings[0]).toMatch(/tolerance only/);
    expect(code).toBe(1);
  });
});

describe('routing comparison in one run', () => {
  it('alternates the modes in rounds and finds the latency the mock adds to host routing, with its sign', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-routing-'));
    const file = join(dir, 'routing.yaml');
    writeFileSync(
      file,
      [
        'name: routing',
        'target:',
        '  url: embedded',
        '  deployment: fraud',
        '  mock: { serviceTime: { type: fixed, ms: 10 }, faults: { routingDelayMs: { host: 20 } } }',
        'workloads:',
        '  - { name: w, kind: predict, model: fraud, body: { instances: [[1]] } }',
        'load: { rps: 100, duration: 12s, warmup: 500ms }',
        'compare: { routing: [path, host], rounds: 6 }',
      ].join('\n'),
    );
    const { cmdRun } = await import('../../src/cli/run.js');
    const out = join(dir, 'out');
    const o = quiet();
    const junit = join(dir, 'junit.xml');
    const code = await cmdRun(file, { out, quiet: false, junit }, o);
    expect(o.text.filter((l) => /^round \d\/6: target\.routing = "(path|host)"/.test(l)).map((l) => l.replace(/ \(.*$/, ''))).toEqual(
      [1, 2, 3, 4, 5, 6].map((i) => `round ${i}/6: target.routing = "${i % 2 ? 'path' : 'host'}"`),
    );
    const c = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as Comparison;
    expect(c.kind).toBe('variants');
    expect([c.baseline.label, c.candidate.label]).toEqual(['path', 'host']);
    const p50 = c.metrics.find((m) => m.workload === 'all' && m.metric === 'serviceTime' && m.stat === 'p50')!;
    // The mock adds 20 ms to host routing (service time 10 ms): the change has that sign and about that size.
    expect(p50.change).toBeGreaterThan(12);
    expect(p50.change).toBeLessThan(30);
    expect(p50.ratio!).toBeGreaterThan(1.8);
    expect(p50.ci!.ratio![0]).toBeGreaterThan(1);
    expect(p50.verdict).toBe('regression');
    expect(code).toBe(1);
    // The whole run and each variant have their report set; the variants' summaries say which mode.
    const whole = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const path = JSON.parse(readFileSync(join(out, 'variants', 'path', 'summary.json'), 'utf8'));
    const host = JSON.parse(readFileSync(join(out, 'variants', 'host', 'summary.json'), 'utf8'));
    expect([path.target.routing, host.target.routing]).toEqual(['path', 'host']);
    // …and the whole run's says it alternated them, in its header too.
    expect(whole.target.routing).toBe('alternated path/host');
    expect(whole.variants).toEqual({ key: 'target.routing', labels: ['path', 'host'], rounds: 6, roundS: 2 });
    expect(path.variants).toBeUndefined();
    expect(o.text.join('\n')).toMatch(/^servebench .* \(alternated path\/host routing\)/m);
    expect(path.totals.sent + host.totals.sent).toBe(whole.totals.sent);
    expect(whole.totals.sent).toBe(1200);
    expect(existsSync(join(out, 'compare.html'))).toBe(true);
    const cases = descendants(parseXml(readFileSync(junit, 'utf8')), 'testcase');
    expect(cases.length).toBe(c.metrics.length);
  }, 90_000);
});
