import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

/** A scenario against the embedded mock whose service time is a fixed 20 ms. */
function scenarioWith(thresholds: string[], duration = '2s'): { file: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sb-thr-'));
  const file = join(dir, 'thr.yaml');
  writeFileSync(
    file,
    [
      'name: thr',
      'target:',
      '  url: embedded',
      '  deployment: fraud',
      '  mock: { serviceTime: 20, slots: 64 }',
      'workloads:',
      '  - name: p',
      '    kind: predict',
      '    model: fraud',
      '    body: { inputs: [[1]] }',
      'load:',
      '  rps: 50',
      `  duration: ${duration}`,
      'thresholds:',
      ...thresholds.map((t) => `  - ${t}`),
      '',
    ].join('\n'),
  );
  return { file, out: join(dir, 'out') };
}

function run(file: string, out: string) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [cli, 'run', file, '--out', out, '--quiet'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { ...r, elapsedMs: Date.now() - started, summary: existsSync(join(out, 'summary.json')) ? JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) : null };
}

describe('thresholds decide the exit code', () => {
  it('all pass: exit 0, each result in summary.json and on the console', () => {
    const { file, out } = scenarioWith(['"latency.p50 > 15ms"', '"latency.p50 < 1s"', '"errors.rate < 1%"', '"load.achievedRps >= 0.9*target"']);
    const r = run(file, out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.summary.thresholds.map((t: { ok: boolean }) => t.ok)).toEqual([true, true, true, true]);
    expect(r.summary.thresholds[0].value).toBeGreaterThanOrEqual(19.9);
    expect(r.stdout).toMatch(/PASS\s+latency\.p50 > 15ms/);
  });

  it('one fails: exit 1 after every report is written', () => {
    const { file, out } = scenarioWith(['"latency.p50 < 5ms"', '"errors.rate < 1%"']);
    const r = run(file, out);
    expect(r.status).toBe(1);
    expect(r.summary.thresholds.map((t: { ok: boolean }) => t.ok)).toEqual([false, true]);
    expect(r.summary.thresholds[0].message).toMatch(/^\d+(\.\d+)? is not < 5$/);
    expect(r.stdout).toMatch(/FAIL\s+latency\.p50 < 5ms/);
    for (const f of ['summary.csv', 'report.html', 'results.ndjson']) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('abortOnFail stops the run early once its delay has passed, and exits 1', () => {
    const { file, out } = scenarioWith(['{ expr: "latency.p50 < 5ms", abortOnFail: true, delayAbortEval: 1s }'], '60s');
    const r = run(file, out);
    expect(r.status).toBe(1);
    expect(r.elapsedMs).toBeLessThan(30_000);
    expect(r.stderr).toContain(`threshold 'latency.p50 < 5ms' failed`);
    expect(r.summary.stopReason).toMatch(/abortOnFail stopped the run/);
    expect(r.summary.durationS).toBeLessThan(20);
    expect(r.summary.totals.sent).toBe(r.summary.totals.ok + r.summary.totals.errors);
    expect(r.stdout).toContain('stopped early');
  });

  it('a malformed threshold is exit 2 naming file, line and what is wrong; nothing runs', () => {
    const { file, out } = scenarioWith(['"latency.p99 < 250ms"', '"latency.p99 <"']);
    const r = run(file, out);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:16:5  thresholds[1]  threshold 'latency.p99 <': the left side is not <metric>.<stat>`);
    expect(existsSync(out)).toBe(false);
  });
});
