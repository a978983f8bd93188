import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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
