import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initWebAssembly } from 'hdr-histogram-js';
import { addEncoded, newAccumulator, statsOf } from '../../src/metrics/hdr.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const RPS = 60;
const DURATION_S = 2;

function servebench(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

/** Runs one shard as its own process (as a pod of the Indexed Job would). */
function runShard(scenarioFile: string, shard: string, startAt: number, out: string, extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cli, 'run', scenarioFile, '--shard', shard, '--start-at', String(startAt), '--out', out, '--quiet', ...extra], { cwd: root });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  child.stdout.resume();
  return new Promise((res) => child.on('exit', (code) => res({ code, stderr })));
}

const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

describe('three shard processes merged into one run', () => {
  let server: TestServer;
  let work: string;
  let scenarioFile: string;
  const shardDir = (i: number) => join(work, `shard-${i}`);

  beforeAll(async () => {
    server = await startTestServer({ delayMs: (n) => 1 + (n % 7) });
    work = mkdtempSync(join(tmpdir(), 'sb-shards-'));
    scenarioFile = join(work, 'sharded.yaml');
    writeFileSync(
      scenarioFile,
      [
        'name: sharded',
        `target: { url: "${server.url}", project: test, deployment: fraud, routing: path, apiKey: shard-test-key-0123 }`,
        'workloads:',
        '  - { name: fraud-predict, kind: predict, model: fraud, body: { inputs: [[1, 2]] } }',
        `load: { type: constant, rps: ${RPS}, duration: ${DURATION_S}s, warmup: 0s, workers: 1, connections: 8 }`,
        // Passes only on the whole plan: each shard alone fails it, the merged run passes.
        `thresholds: ["totals.sent >= ${RPS * DURATION_S}", "errors.rate < 1%"]`,
        '',
      ].join('\n'),
    );
    // One common start far enough ahead for three Node processes to boot on a busy 2-core machine.
    const startAt = Date.now() + 6000;
    const runs = await Promise.all([0, 1, 2].map((i) => runShard(scenarioFile, `${i}/3`, startAt, shardDir(i))));
    // Exit 1: a third of the plan fails `totals.sent >= plan` on its own.
    for (const r of runs) expect(r.code, r.stderr).toBe(1);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('sends the plan exactly once across shards, and merge counts what the server received', async () => {
    const out = join(work, 'merged');
    const r = servebench(['merge', shardDir(0), shardDir(1), shardDir(2), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['summary.json', 'summary.csv', 'timeseries.csv', 'results.ndjson', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
    const s = summaryOf(out);
    expect(s.totals.sent).toBe(RPS * DURATION_S);
    expect(server.count).toBe(s.totals.sent);
    expect(s.totals.ok).toBe(s.totals.sent);
    expect(s.shards).toEqual(['0/3', '1/3', '2/3']);
    expect(s.merge).toMatchObject({ shardCount: 3, partial: false, missing: [] });
    expect(s.load.targetRps).toBe(RPS);
    // Thresholds are evaluated on the merged run, not taken from the shards.
    expect(s.thresholds.map((t: { ok: boolean }) => t.ok)).toEqual([true, true]);
    expect(s.thresholds[0].value).toBe(RPS * DURATION_S);
    // Each shard ran its own third of the slots.
    const parts = [0, 1, 2].map((i) => summaryOf(shardDir(i)));
    expect(parts.map((p) => p.shards)).toEqual([['0/3'], ['1/3'], ['2/3']]);
    expect(parts.reduce((a, p) => a + p.totals.sent, 0)).toBe(s.totals.sent);
    for (const p of parts) expect(p.totals.sent).toBe(RPS * DURATION_S / 3);
    for (const p of parts) expect(p.thresholds[0]).toMatchObject({ ok: false, value: RPS * DURATION_S / 3 });

    // Merged percentiles are those of the shards' own histograms merged by hand.
    await initWebAssembly();
    for (const m of ['latency', 'serviceTime', 'scheduleLag'] as const) {
      const acc = newAccumulator();
      for (const p of parts) addEncoded(acc, p.metrics[m].hdr);
      const byHand = statsOf(acc, 1e-3);
      expect(s.metrics[m].count).toBe(byHand.count);
      for (const k of ['p50', 'p90', 'p99', 'p999', 'max', 'min'] as const) expect(s.metrics[m][k], `${m}.${k}`).toBe(byHand[k]);
    }
    // Time series rows hold all three shards' requests of each second.
    const rows = s.timeseries.filter((x: { workload: string }) => x.workload === 'fraud-predict');
    expect(rows.reduce((a: number, x: { sent: number }) => a + x.sent, 0)).toBe(s.totals.sent);
    // One --start-at: the shards' seconds are the same seconds, so each merged row is their sum.
    type Row = { workload: string; second: number; sent: number; ok: number };
    const sumAt = (sec: number, k: 'sent' | 'ok') => parts.reduce((a, p) => a + p.timeseries.filter((x: Row) => x.second === sec).reduce((b: number, x: Row) => b + x[k], 0), 0);
    for (const row of rows as Row[]) {
      expect(row.sent, `second ${row.second}`).toBe(sumAt(row.second, 'sent'));
      expect(row.ok, `second ${row.second}`).toBe(sumAt(row.second, 'ok'));
    }

    // `servebench report` rebuilds the merged run from its merged results.ndjson.
    const again = servebench(['report', out]);
    expect(again.status, again.stderr).toBe(0);
    const rebuilt = summaryOf(out);
    expect(rebuilt.totals).toEqual(s.totals);
    expect(rebuilt.merge).toEqual(s.merge);
    expect(rebuilt.metrics.latency.p99).toBe(s.metrics.latency.p99);
    expect(readFileSync(join(out, 'results.ndjson'), 'utf8')).not.toContain('shard-test-key-0123');
  });

  it('refuses a missing shard and names it (exit 2)', () => {
    const r = servebench(['merge', shardDir(0), shardDir(2), '--out', join(work, 'refused')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error: incomplete set of shards: missing shard 1/3 (have 2 of 3)');
    expect(r.stderr).toContain('--allow-partial');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(join(work, 'refused', 'summary.json'))).toBe(false);
  });

  it('with --allow-partial merges what is there and says it is partial', () => {
    const out = join(work, 'partial');
    const junit = join(work, 'partial.junit.xml');
    const r = servebench(['merge', shardDir(0), shardDir(2), '--out', out, '--allow-partial', '--junit', junit]);
    // Two thirds of the plan: `totals.sent >= plan` fails on the merged result, so exit 1.
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+totals\.sent >= 120/);
    // The CI outputs of `run` serve a merge too: the failed threshold is a failed test case.
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testcase [^>]*name="totals\.sent &gt;= 120"[^>]*>\s*<failure/);
    expect(r.stdout).toContain('PARTIAL: missing 1/3');
    const s = summaryOf(out);
    expect(s.merge).toMatchObject({ partial: true, missing: ['1/3'], shards: ['0/3', '2/3'] });
    expect(s.totals.sent).toBe(summaryOf(shardDir(0)).totals.sent + summaryOf(shardDir(2)).totals.sent);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('data-banner="partial"');
    expect(html).toContain('missing shard 1/3');
  });

  it('refuses results of a different scenario (exit 2)', async () => {
    const other = join(work, 'other-1');
    const r = await runShard(scenarioFile, '1/3', Date.now() + 5000, other, ['--set', `load.rps=${RPS + 3}`]);
    expect(r.code, r.stderr).toBe(1);
    expect(existsSync(join(other, 'results.ndjson'))).toBe(true);
    const m = servebench(['merge', shardDir(0), other, shardDir(2), '--out', join(work, 'mixed')]);
    expect(m.status).toBe(2);
    expect(m.stderr).toContain('error: these results come from different scenarios and cannot be merged');
    expect(m.stderr).toContain(other);
  });
});
