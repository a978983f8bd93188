import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

function servebench(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
}

describe('the built CLI', () => {
  it('runs the quick start against the embedded mock and writes the report set', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    const r = servebench(['run', 'scenarios/quickstart.yaml', '--out', out, '--set', 'load.duration=3s', '--set', 'load.warmup=1s']);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(r.status).toBe(0);
    for (const f of ['summary.json', 'summary.csv', 'timeseries.csv', 'percentiles.csv', 'results.ndjson', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.scenario.name).toBe('quickstart');
    expect(s.totals.sent).toBe(600);
    expect(s.totals.ok).toBe(600);
    expect(s.target.url).toBe('embedded');
    expect(r.stdout).toContain('fraud-predict');
    expect(r.stdout).toContain('report.html');
    // No leftovers of atomic writes.
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('starts node with single-threaded GC from its shebang, and the run records how node ran', () => {
    // Run exactly what the shebang says (`env -S` splits it), as a shell running the bin would.
    const shebang = readFileSync(cli, 'utf8').split('\n')[0];
    expect(shebang).toBe('#!/usr/bin/env -S node --single-threaded-gc');
    const [envCmd, ...envArgs] = shebang.slice(2).split(' ');
    const gcOf = (cmd: string, args: string[]) => {
      const out = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
      const r = spawnSync(cmd, [...args, 'run', 'scenarios/quickstart.yaml', '--out', out, '--quiet', '--set', 'load.duration=1s', '--set', 'load.warmup=0s'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).generator.singleThreadedGc;
    };
    expect(gcOf(envCmd, [...envArgs, cli])).toBe(true);
    expect(gcOf(process.execPath, [cli])).toBe(false);
  });

  it('runs the streamed chat quick start and reports token metrics', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    const r = servebench(['run', 'scenarios/chat-quickstart.yaml', '--out', out, '--quiet', '--set', 'load.duration=3s', '--set', 'load.warmup=0s']);
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.totals.errors).toBe(0);
    expect(s.totals.ok).toBeGreaterThan(5);
    expect(s.metrics.ttft.count).toBe(s.totals.ok);
    // ignoreEos with 64 tokens asked: every stream carries exactly 64 output tokens.
    expect(s.totals.outputTokens).toBe(64 * s.totals.ok);
    expect(s.metrics.itl.mean).toBeGreaterThan(5);
  });

  it('runs the embeddings example: input tokens per second, no token timing rows, the latency model', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    const r = servebench(['run', 'scenarios/embeddings.yaml', '--out', out, '--set', 'load.duration=2s', '--set', 'load.warmup=0s']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.totals).toMatchObject({ ok: 100, errors: 0, outputTokens: 0 });
    // 8 inputs of 32..256 tokens a request
    expect(s.totals.inputTokens / s.totals.ok).toBeGreaterThan(8 * 32 * 0.8);
    expect(s.workloads[0].inputTokensPerS).toBeCloseTo(s.totals.inputTokens / s.durationS, 0);
    expect(s.metrics.ttft).toBeUndefined();
    // the mock's model: 2 ms + 0.005 ms a token, so at least 2 ms + 8 × 32 × 0.005 ms
    expect(s.metrics.serviceTime.p50).toBeGreaterThan(3);
    expect(r.stdout).toMatch(/tokens \d+ in, [\d.]+ in\/s/);
    expect(r.stdout).not.toMatch(/ttft|tpot|out\/s/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('input tokens/s');
  });

  it('runs the closed-loop chat example: the users it names, in flight, and the closed-loop note', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    const r = servebench(['run', 'scenarios/chat-concurrency.yaml', '--out', out, '--quiet', '--set', 'load.duration=3s', '--set', 'load.warmup=1s']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.load.type).toBe('concurrency');
    expect(s.totals.errors).toBe(0);
    expect(s.totals.ok).toBeGreaterThan(16);
    // 8 batch slots serve 16 users: the other 8 wait in the mock's queue, so a request takes
    // longer than its own decoding (32 tokens × 12 ms) and ttft shows the queue.
    expect(s.metrics.latency.p50).toBeGreaterThan(32 * 12);
    expect(s.metrics.latency.p50).toBeCloseTo(s.metrics.serviceTime.p50, 0);
    expect(s.generator.notes.join(' ')).toMatch(/closed loop/i);
  });

  it('validates the real-deployment example once its key is set', () => {
    const r = servebench(['validate', 'scenarios/hopsworks-vllm.yaml'], { HOPSWORKS_API_KEY: 'not-a-real-key' });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('not-a-real-key');
  });

  it('on SIGINT stops, writes every report from what was measured, and exits 130', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    const child = spawn(process.execPath, [cli, 'run', 'scenarios/quickstart.yaml', '--out', out, '--set', 'load.warmup=0s'], { cwd: root });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
      // Interrupt once the first measured second has been reported.
      if (err.includes('[   1s]') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    expect(code).toBe(130);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.interrupted).toBe(true);
    expect(s.totals.sent).toBeGreaterThan(100);
    expect(s.totals.sent).toBe(s.totals.ok + s.totals.errors);
    expect(s.durationS).toBeLessThan(10);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('rebuilds the report set from results.ndjson alone', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    expect(servebench(['run', 'scenarios/quickstart.yaml', '--out', out, '--quiet', '--set', 'load.duration=2s', '--set', 'load.warmup=0s']).status).toBe(0);
    const before = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const r = servebench(['report', out]);
    expect(r.status).toBe(0);
    const after = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(after.totals).toEqual(before.totals);
    expect(after.metrics.latency.p99).toBe(before.metrics.latency.p99);
  });

  it('rejects a bad scenario with exit 2, file:line:col and field, no stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, ['name: bad', 'target:', '  url: embedded', '  deployment: fraud', 'workloads:', '  - name: p', '    kind: predict', '    model: fraud', '    body: { inputs: [[1]] }', 'load:', '  rsp: 10', ''].join('\n'));
    for (const cmd of ['validate', 'run']) {
      const r = servebench([cmd, f]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${f}:11:3`);
      expect(r.stderr).toContain("unknown key 'rsp'; did you mean 'rps'?");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('exits 3 when the target cannot be reached', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    const f = join(dir, 'down.yaml');
    writeFileSync(f, ['name: down', 'target:', '  url: http://127.0.0.1:9', '  deployment: fraud', 'workloads:', '  - name: p', '    kind: predict', '    model: fraud', '    body: { inputs: [[1]] }', 'load:', '  rps: 10', '  duration: 1s', ''].join('\n'));
    const r = servebench(['run', f, '--out', join(dir, 'out')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('cannot reach http://127.0.0.1:9');
  });

  it('names an unset environment variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    const f = join(dir, 'env.yaml');
    writeFileSync(f, ['name: env', 'target:', '  url: embedded', '  deployment: fraud', '  apiKey: ${SB_TEST_UNSET_KEY}', 'workloads:', '  - name: p', '    kind: predict', '    model: fraud', '    body: { inputs: [[1]] }', 'load:', '  rps: 10', ''].join('\n'));
    const r = servebench(['validate', f]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('SB_TEST_UNSET_KEY');
  });
});
