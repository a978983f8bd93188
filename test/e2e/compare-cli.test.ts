import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { syntheticRecords } from '../helpers/synthetic-run.js';
import { descendants, parseXml } from '../helpers/xml.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

function servebench(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

describe('servebench compare, the built CLI', () => {
  it('exits 2 with a message and no stack on usage errors', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-cmp-'));
    const missing = servebench(['compare', join(out, 'nope'), join(out, 'nope2')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/error: .*nope does not exist/);
    expect(missing.stderr).not.toMatch(/at .*\.js:\d+/);
    const oneArg = servebench(['compare', out]);
    expect(oneArg.status).toBe(2);
    const badTol = servebench(['compare', out, out, '--tolerance', 'lots']);
    expect(badTol.status).toBe(2);
    expect(badTol.stderr).toMatch(/tolerance 'lots'/);
  });

  it('compares a run with itself: every verdict same, exit 0', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-cmp-'));
    const run = servebench(['run', 'scenarios/quickstart.yaml', '--out', join(out, 'run'), '--quiet', '--set', 'load.duration=3s', '--set', 'load.warmup=0s']);
    expect(run.status).toBe(0);
    const r = servebench(['compare', join(out, 'run'), join(out, 'run', 'summary.json'), '--out', join(out, 'cmp'), '--markdown', join(out, 'cmp.md')]);
    expect(r.stderr).toBe(`markdown: ${join(out, 'cmp.md')}\n`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/0 regression\(s\), 0 improvement\(s\)/);
  });
});

describe('a gate never widens silently', () => {
  it('refuses --tolerance 10 with the fix, and 10% catches a +70% slower candidate', () => {
    // Synthetic run folders (results.ndjson, summary rebuilt by `servebench report`): a live pair of
    // runs on a shared machine is noisier than the 70 % this checks.
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-tol-'));
    for (const [name, medianMs, seed] of [['a', 20, 1], ['b', 34, 2]] as const) {
      mkdirSync(join(out, name));
      writeFileSync(join(out, name, 'results.ndjson'), syntheticRecords({ seconds: 10, medianMs, seed }).map((r) => JSON.stringify(r)).join('\n') + '\n');
      expect(servebench(['report', join(out, name)]).status).toBe(0);
    }
    for (const args of [['--tolerance', '10'], ['--tolerance-for', 'latency.p50=10']]) {
      const bare = servebench(['compare', join(out, 'a'), join(out, 'b'), '--out', join(out, 'cmp-bare'), ...args]);
      expect(bare.status).toBe(2);
      expect(bare.stderr).toMatch(/'10': 10 has no '%'/);
      expect(bare.stderr).toMatch(/^hint: write 10%$/m);
      expect(bare.stdout).toBe('');
      expect(existsSync(join(out, 'cmp-bare'))).toBe(false);
    }
    const ok = servebench(['compare', join(out, 'a'), join(out, 'b'), '--out', join(out, 'cmp'), '--tolerance', '10%']);
    expect(ok.status).toBe(1);
    expect(ok.stdout).toMatch(/tolerance ±10%/);
    expect(ok.stdout).toMatch(/latency\.p50 .* REGRESSION/);
    const c = JSON.parse(readFileSync(join(out, 'cmp', 'compare.json'), 'utf8'));
    expect(c.tolerance.default).toBe(0.1);
    const p50 = c.metrics.find((m: { metric: string; stat: string }) => m.metric === 'latency' && m.stat === 'p50');
    expect(p50.relativeChange).toBeGreaterThan(0.6);
    expect(p50.verdict).toBe('regression');
  });

  it('refuses --start-at in epoch seconds', () => {
    const r = servebench(['run', 'scenarios/quickstart.yaml', '--start-at', '1700000000', '--shard', '0/2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/hint: write 1700000000000/);
  });
});

describe('CI outputs of servebench run', () => {
  it('writes one JUnit case per threshold, failing the failed ones, and exits 1', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-junit-'));
    const junit = join(out, 'junit.xml');
    const md = join(out, 'summary.md');
    const r = servebench([
      'run', 'scenarios/quickstart.yaml', '--out', join(out, 'run'), '--quiet', '--junit', junit, '--markdown', md,
      '--set', 'load.duration=2s', '--set', 'load.warmup=0s',
      '--set', 'thresholds=["errors.rate < 1%", "latency.p50 < 1us"]',
    ]);
    expect(r.status).toBe(1);
    const doc = parseXml(readFileSync(junit, 'utf8'));
    const cases = descendants(doc, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['errors.rate < 1%', 'latency.p50 < 1us']);
    expect(cases.map((c) => c.children.some((x) => x.name === 'failure'))).toEqual([false, true]);
    expect(readFileSync(md, 'utf8')).toMatch(/:x: 1 of 2 thresholds failed/);
  });
});
