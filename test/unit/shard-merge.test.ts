import { describe, expect, it } from 'vitest';
import { SlotIterator } from '../../src/schedule/plan.js';
import { globalWorkerIndex, parseShardId, shardDirSuffix } from '../../src/schedule/shard.js';
import { scenarioFingerprint } from '../../src/scenario/fingerprint.js';
import { mergeShardRecords, type ShardResults } from '../../src/metrics/merge.js';
import { buildSummary } from '../../src/metrics/summary.js';
import type { RunRecord, StartRecord, IntervalRecord } from '../../src/metrics/records.js';
import type { ResolvedLoad } from '../../src/scenario/types.js';
import { ServebenchError } from '../../src/errors.js';
import { load, predictWorkload, scenario } from '../helpers/scenario.js';
import { sampleRecords } from '../helpers/sample-summary.js';

/** Every slot (index, offset, warm-up) a worker of a one-process run of the plan would send. */
function slotsOf(l: ResolvedLoad, worker: number, workers: number): string[] {
  const it = new SlotIterator(l, worker, workers);
  const out: string[] = [];
  for (let t = it.next(); t >= 0; t = it.next()) out.push(`${it.index}@${t.toFixed(6)}${it.warmup ? 'w' : ''}`);
  return out;
}

describe('shards split one plan', () => {
  const plans: Array<[string, ResolvedLoad]> = [
    ['constant', load({ rps: 97, durationMs: 2000, warmupMs: 300 })],
    ['poisson', load({ type: 'poisson', rps: 150, durationMs: 2000, warmupMs: 250, seed: 7 })],
    ['ramp', load({ type: 'ramp', rps: 10, durationMs: 2000, warmupMs: 500, stages: [{ durationMs: 1000, targetRps: 200 }, { durationMs: 1000, targetRps: 50 }] })],
    ['count mode', load({ rps: 300, durationMs: 60_000, warmupMs: 100, requests: 257 })],
  ];
  for (const [name, l] of plans) {
    it(`merged arrivals of 3 shards × 2 workers are exactly the ${name} plan`, () => {
      const plan = slotsOf(l, 0, 1);
      expect(plan.length).toBeGreaterThan(100);
      const merged: string[] = [];
      for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) merged.push(...slotsOf(l, globalWorkerIndex({ index: i, count: 3 }, k), 2 * 3));
      const byIndex = (s: string) => Number(s.split('@')[0]);
      merged.sort((a, b) => byIndex(a) - byIndex(b));
      expect(merged).toEqual(plan);
    });
  }

  it('parses shard ids and names shard folders', () => {
    expect(parseShardId('2/3')).toEqual({ index: 2, count: 3 });
    expect(() => parseShardId('3/3')).toThrow(ServebenchError);
    expect(shardDirSuffix({ index: 1, count: 3 })).toBe('-shard-1of3');
    expect(shardDirSuffix({ index: 0, count: 1 })).toBe('');
    expect(shardDirSuffix(undefined)).toBe('');
  });
});

describe('scenario fingerprint', () => {
  const base = scenario();
  it('ignores the API key and where the files sit', () => {
    const moved = { ...base, file: '/elsewhere/s.yaml', target: { ...base.target, apiKey: 'another-key', tls: { ...base.target.tls, caFile: '/x/ca.pem' } } };
    expect(scenarioFingerprint(moved)).toBe(scenarioFingerprint(base));
    // Key order does not matter either.
    const reordered = Object.fromEntries(Object.entries(base).reverse()) as typeof base;
    expect(Object.keys(reordered)[0]).not.toBe(Object.keys(base)[0]);
    expect(scenarioFingerprint(reordered)).toBe(scenarioFingerprint(base));
  });
  it('changes with anything that changes the test', () => {
    const fp = scenarioFingerprint(base);
    expect(scenarioFingerprint(scenario({ load: { rps: 101 } }))).not.toBe(fp);
    expect(scenarioFingerprint(scenario({ target: { url: 'http://127.0.0.1:2' } }))).not.toBe(fp);
    expect(scenarioFingerprint(scenario({ workloads: [predictWorkload({ bodies: [{ inputs: [[1, 3]] }] })] }))).not.toBe(fp);
    expect(scenarioFingerprint({ ...base, thresholds: ['latency.p99 < 1s'] })).not.toBe(fp);
    expect(scenarioFingerprint(base)).not.toContain(base.target.apiKey);
  });
});

/** Shard i of n of a synthetic run: the sample records relabelled, measured start moved by `offsetMs`. */
function shard(i: number, n: number, opts: { offsetMs?: number; fingerprint?: string; seed?: number } = {}): ShardResults {
  const id = `${i}/${n}`;
  const records = sampleRecords({ seconds: 5, workers: 1, seed: opts.seed ?? 100 + i }).map((r): RunRecord => {
    if (r.type === 'start') {
      const run = { ...r.run, shard: id, scenarioFingerprint: opts.fingerprint ?? 'f'.repeat(64), measureStartEpochMs: r.run.measureStartEpochMs + (opts.offsetMs ?? 0), load: { ...r.run.load, targetRps: 30 } };
      return { ...r, run } satisfies StartRecord;
    }
    if (r.type === 'interval' || r.type === 'end') return { ...r, shard: id };
    return r;
  });
  return { dir: `/results/shard-${i}`, records };
}

function errorOf(f: () => unknown): ServebenchError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ServebenchError);
    return err as ServebenchError;
  }
  throw new Error('expected a ServebenchError');
}

describe('mergeShardRecords', () => {
  it('sums the shards: totals, target rate, and every interval', () => {
    const parts = [shard(0, 3), shard(1, 3), shard(2, 3)];
    const merged = buildSummary(mergeShardRecords(parts));
    const alone = parts.map((p) => buildSummary(p.records));
    expect(merged.totals.sent).toBe(alone.reduce((s, x) => s + x.totals.sent, 0));
    expect(merged.totals.errors).toBe(alone.reduce((s, x) => s + x.totals.errors, 0));
    expect(merged.metrics.latency!.count).toBe(alone.reduce((s, x) => s + x.metrics.latency!.count, 0));
    expect(merged.load.targetRps).toBe(90);
    expect(merged.shards).toEqual(['0/3', '1/3', '2/3']);
    expect(merged.merge).toMatchObject({ shardCount: 3, missing: [], partial: false });
    const sec2 = (s: typeof merged) => s.timeseries.filter((r) => r.second === 2).reduce((a, r) => a + r.sent, 0);
    expect(sec2(merged)).toBe(alone.reduce((a, x) => a + sec2(x), 0));
  });

  it('aligns shards on wall-clock seconds of the earliest measured start', () => {
    const late = mergeShardRecords([shard(0, 2), shard(1, 2, { offsetMs: 2004 })]);
    const intervalsOf = (sh: string) => late.filter((r): r is IntervalRecord => r.type === 'interval' && r.shard === sh).map((r) => r.index);
    expect(Math.min(...intervalsOf('0/2'))).toBe(0);
    expect(Math.min(...intervalsOf('1/2'))).toBe(2);
    // A few ms apart (one --start-at): no shift.
    const together = mergeShardRecords([shard(0, 2), shard(1, 2, { offsetMs: 7 })]);
    expect(together.filter((r): r is IntervalRecord => r.type === 'interval' && r.shard === '1/2').map((r) => r.index)).toEqual(
      shard(1, 2).records.filter((r): r is IntervalRecord => r.type === 'interval').map((r) => r.index),
    );
    const s = buildSummary(late);
    expect(s.merge!.sources.find((x) => x.shard === '1/2')).toMatchObject({ offsetMs: 2004, shiftS: 2 });
    expect(Math.max(...s.timeseries.map((r) => r.second))).toBe(6);
  });

  it('refuses a missing shard and names it, unless partial is allowed', () => {
    const parts = [shard(0, 3), shard(2, 3)];
    const err = errorOf(() => mergeShardRecords(parts));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe('incomplete set of shards: missing shard 1/3 (have 2 of 3)');
    expect(err.hint).toContain('--allow-partial');
    const s = buildSummary(mergeShardRecords(parts, { allowPartial: true }));
    expect(s.merge).toMatchObject({ partial: true, missing: ['1/3'], shards: ['0/3', '2/3'] });
    expect(s.load.targetRps).toBe(60);
    expect(s.generator.warnings.join('\n')).toContain('partial merge: 2 of 3 shards; missing 1/3');
  });

  it('refuses duplicated shards, different splits, and different scenarios', () => {
    expect(errorOf(() => mergeShardRecords([shard(0, 2), shard(1, 2), shard(1, 2, { seed: 9 })], { allowPartial: true })).message).toMatch(/^shard 1\/2 is given 2 times/);
    expect(errorOf(() => mergeShardRecords([shard(0, 2), shard(1, 3)])).message).toMatch(/split the plan in different ways/);
    const other = errorOf(() => mergeShardRecords([shard(0, 2), shard(1, 2, { fingerprint: 'a'.repeat(64) })]));
    expect(other.message).toMatch(/^these results come from different scenarios/);
    expect(other.message).toContain('/results/shard-1');
    expect(other.exitCode).toBe(2);
  });

  it('refuses an already merged run and results without a fingerprint', () => {
    const merged = mergeShardRecords([shard(0, 1)]);
    expect(errorOf(() => mergeShardRecords([{ dir: '/m', records: merged }])).message).toContain('already merged');
    const old = shard(0, 1);
    const noFp = old.records.map((r) => (r.type === 'start' ? { ...r, run: { ...r.run, scenarioFingerprint: undefined } } : r));
    expect(errorOf(() => mergeShardRecords([{ dir: '/old', records: noFp }])).message).toContain('no scenario fingerprint');
  });
});
