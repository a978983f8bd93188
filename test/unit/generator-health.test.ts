import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../src/metrics/summary.js';
import { encode, newRecorder } from '../../src/metrics/hdr.js';
import { CLOSED_LOOP_NOTE, LEAN_CLIENT_HINT, PARALLEL_GC_HINT, SCHEDULE_LAG_BOUND_MS } from '../../src/metrics/health.js';
import { htmlReport } from '../../src/report/html.js';
import { summaryText } from '../../src/report/console.js';
import type { IntervalRecord, RunRecord, StartRecord } from '../../src/metrics/records.js';
import { sampleRecords } from '../helpers/sample-summary.js';

/** An encoded histogram holding `n` copies of `us`. */
function lagOf(us: number, n: number): string {
  const h = newRecorder();
  h.recordValueWithCount(us, n);
  const b64 = encode(h);
  h.destroy();
  return b64;
}

describe('generator health per worker', () => {
  it('keeps each worker’s event-loop lag apart, and the merged figure is their sum', () => {
    const s = buildSummary(sampleRecords({ workers: 2, seconds: 10 }));
    const ws = s.generator.workers!;
    expect(ws.map((w) => w.worker)).toEqual([0, 1]);
    expect(ws[0].eventLoopLagMs.count + ws[1].eventLoopLagMs.count).toBe(s.generator.eventLoopLagMs.count);
    for (const w of ws) {
      expect(w.elu).toBeGreaterThanOrEqual(0);
      expect(w.maxElu).toBeLessThanOrEqual(1);
      expect(w.maxElu).toBeGreaterThanOrEqual(w.elu);
    }
  });

  it('shows one overloaded worker that the merged p99 would hide', () => {
    const recs = sampleRecords({ workers: 4, seconds: 10 }).map((r) => {
      if (r.type !== 'interval') return r;
      const busy = r.worker === 3;
      return { ...r, health: { ...r.health, loopLagUs: busy ? lagOf(40_000, 20) : lagOf(300, 100), elu: busy ? 0.99 : 0.3 } } as IntervalRecord;
    });
    const s = buildSummary(recs);
    const ws = s.generator.workers!;
    expect(ws[3].eventLoopLagMs.p50).toBeGreaterThan(39);
    expect(ws[3].elu).toBeCloseTo(0.99, 2);
    for (const w of ws.slice(0, 3)) expect(w.eventLoopLagMs.p99).toBeLessThan(1);
    // The merged median is a healthy worker's: only the per-worker view names the busy one.
    expect(s.generator.eventLoopLagMs.p50).toBeLessThan(1);
    expect(htmlReport.render(s)).toContain('data-field="generator-workers"');
  });

  it('tells how many requests each worker had in flight at its busiest second, in the summary, console and report', () => {
    const recs = sampleRecords({ workers: 2, seconds: 6 }).map((r) => {
      if (r.type !== 'interval') return r;
      // Worker 1 follows 860 requests in its fourth second (two workloads' worth), worker 0 at most 40.
      const n = r.worker === 1 && r.index === 3 ? 430 : 20;
      return { ...r, workloads: r.workloads.map((w) => ({ ...w, inFlight: n })) } as IntervalRecord;
    });
    const wls = recs.find((r) => r.type === 'interval')!.workloads.length;
    const s = buildSummary(recs);
    const ws = s.generator.workers!;
    expect(ws[0].peakInFlight).toBe(20 * wls);
    expect(ws[1].peakInFlight).toBe(430 * wls);
    expect(s.generator.peakInFlightPerWorker).toBe(430 * wls);
    expect(summaryText(s, false)).toMatch(new RegExp(`up to ${430 * wls} (requests|streams) in flight per worker`));
    expect(htmlReport.render(s)).toContain(`up to ${(430 * wls).toLocaleString('en-US')} in flight per worker`);
  });

  it('states the schedule-lag bound it applies', () => {
    const s = buildSummary(sampleRecords({ seconds: 5 }));
    expect(s.generator.scheduleLagBoundMs).toBe(SCHEDULE_LAG_BOUND_MS);
  });
});

describe('closed-loop note', () => {
  const asConcurrency = (recs: RunRecord[]): RunRecord[] =>
    recs.map((r) => (r.type === 'start' ? ({ ...r, run: { ...r.run, load: { ...r.run.load, type: 'concurrency', targetRps: 0, concurrency: 16 } } } as StartRecord) : r));

  it('is carried by the summary, the console text and the HTML report of a concurrency run only', () => {
    const closed = buildSummary(asConcurrency(sampleRecords({ seconds: 5 })));
    expect(closed.generator.notes).toEqual([CLOSED_LOOP_NOTE]);
    expect(summaryText(closed, false)).toContain(`note: ${CLOSED_LOOP_NOTE}`);
    expect(htmlReport.render(closed)).toContain('data-banner="note"');
    // No target rate: the rate-based saturation checks do not fire.
    expect(closed.generator.warnings.join('\n')).not.toMatch(/under target|planned slots/);

    const open = buildSummary(sampleRecords({ seconds: 5 }));
    expect(open.generator.notes).toEqual([]);
    expect(htmlReport.render(open)).not.toContain('data-banner="note"');
  });
});

describe('the HTTP client', () => {
  const withClient = (recs: RunRecord[], client: 'undici' | 'lean'): RunRecord[] =>
    recs.map((r) => (r.type === 'start' ? ({ ...r, run: { ...r.run, target: { ...r.run.target, client } } } as StartRecord) : r));

  it('is in the summary, and the console text and the HTML report name the lean one only', () => {
    const lean = buildSummary(withClient(sampleRecords({ seconds: 3 }), 'lean'));
    expect(lean.target.client).toBe('lean');
    expect(summaryText(lean, false)).toContain('routing, lean HTTP client)');
    expect(htmlReport.render(lean)).toMatch(/data-field="target">[^<]*<b>[^<]*<\/b> · \w+ routing · lean HTTP client · project/);
    const undici = buildSummary(withClient(sampleRecords({ seconds: 3 }), 'undici'));
    expect(undici.target.client).toBe('undici');
    expect(summaryText(undici, false)).not.toContain('lean HTTP client');
    expect(htmlReport.render(undici)).not.toContain('lean HTTP client');
  });

  it('points a busy generator on undici to the lean client, and only then', () => {
    // The sample's seconds 30-36 are a generator that fell behind, past the schedule-lag bound over 60 s.
    const lagWarning = (s: ReturnType<typeof buildSummary>) => s.generator.warnings.find((w) => w.startsWith('generator busy')) ?? '';
    const busyUndici = buildSummary(withClient(sampleRecords({ seconds: 60 }), 'undici'));
    expect(lagWarning(busyUndici)).toMatch(/event loop was busy 9\d(\.\d)? %/);
    expect(lagWarning(busyUndici)).toContain(LEAN_CLIENT_HINT);
    const busyLean = buildSummary(withClient(sampleRecords({ seconds: 60 }), 'lean'));
    expect(lagWarning(busyLean)).toMatch(/generator busy/);
    expect(busyLean.generator.warnings.join('\n')).not.toContain('target.client');
    expect(buildSummary(withClient(sampleRecords({ seconds: 5 }), 'undici')).generator.warnings.join('\n')).not.toContain('target.client');
  });
});

describe('workers beyond the cores', () => {
  const withCores = (recs: RunRecord[], workers: number, cores: number | undefined): RunRecord[] =>
    recs.map((r) => (r.type === 'start' ? ({ ...r, run: { ...r.run, cores, load: { ...r.run.load, workers } } } as StartRecord) : r));

  it('warns when a run had more workers than cores to run them on, and only then', () => {
    const over = buildSummary(withCores(sampleRecords({ workers: 2, seconds: 3 }), 2, 1));
    expect(over.generator.warnings.join('\n')).toMatch(/load\.workers 2 is more than the 1 CPU core this process may use/);
    const fits = buildSummary(withCores(sampleRecords({ workers: 2, seconds: 3 }), 2, 2));
    expect(fits.generator.warnings.join('\n')).not.toMatch(/CPU core/);
    // Files written before the field existed say nothing about cores: no warning either.
    const old = buildSummary(withCores(sampleRecords({ workers: 2, seconds: 3 }), 2, undefined));
    expect(old.generator.warnings.join('\n')).not.toMatch(/CPU core/);
  });
});

describe('a busy generator without single-threaded GC', () => {
  const withGc = (recs: RunRecord[], singleThreadedGc: boolean | undefined): RunRecord[] =>
    recs.map((r) => (r.type === 'start' ? ({ ...r, run: { ...r.run, singleThreadedGc } } as StartRecord) : r));

  it('names the missing flag in the schedule-lag warning, and only when the flag was missing', () => {
    // The sample's seconds 30-36 are a generator that fell behind (lag 6-26 ms), past the bound over 60 s.
    const without = buildSummary(withGc(sampleRecords({ seconds: 60 }), false));
    const lagWarning = without.generator.warnings.find((w) => w.startsWith('generator busy'));
    expect(lagWarning).toMatch(/generator busy/);
    expect(lagWarning).toContain(PARALLEL_GC_HINT);
    for (const flag of [true, undefined]) {
      const w = buildSummary(withGc(sampleRecords({ seconds: 60 }), flag)).generator.warnings.join('\n');
      expect(w).toMatch(/generator busy/);
      expect(w).not.toContain('--single-threaded-gc');
    }
    // A healthy run carries no hint whatever its flags.
    expect(buildSummary(withGc(sampleRecords({ seconds: 5 }), false)).generator.warnings.join('\n')).not.toContain('--single-threaded-gc');
  });
});

describe('a worker\'s start-up', () => {
  /** A 10 s sample with the given warm-up, whose second `lateSecond` has every request 80 ms late (and dispatched 20 ms late) on a busy event loop. */
  const lateIn = (lateSecond: number, warmupMs: number): RunRecord[] =>
    sampleRecords({ seconds: 10 }).map((r) => {
      if (r.type === 'start') return { ...r, run: { ...r.run, load: { ...r.run.load, warmupMs } } } as StartRecord;
      if (r.type !== 'interval' || r.index !== lateSecond) return r;
      return {
        ...r,
        workloads: r.workloads.map((w) => ({ ...w, hist: { ...w.hist, scheduleLag: lagOf(80_000, 500) } })),
        health: { ...r.health, dispatchLagUs: lagOf(20_000, 500), elu: 0.97 },
      } as IntervalRecord;
    });
  const lagWarning = (s: ReturnType<typeof buildSummary>) => s.generator.warnings.find((w) => w.startsWith('schedule lag p99')) ?? '';

  it('is named as the cause when the lag was all in the first measured second of a run without enough warm-up', () => {
    const cold = buildSummary(lateIn(0, 0));
    expect(cold.generator.saturated).toBe(true);
    expect(cold.generator.scheduleLagP99Ms).toBeGreaterThan(70);
    const w = lagWarning(cold);
    expect(w).toMatch(/because of the first measured second alone \(p99 [\d.]+ ms after it\)/);
    expect(Number(/p99 ([\d.]+) ms after it/.exec(w)![1])).toBeLessThanOrEqual(SCHEDULE_LAG_BOUND_MS);
    expect(w).toContain('the run had no warm-up; a load.warmup of 2s keeps the start-up out of the measured window');
    // Neither the connections nor a generator that stays behind: one warning names the start-up.
    expect(w).not.toMatch(/free connection|generator busy/);
    expect(cold.generator.warnings.join('\n')).not.toMatch(/dispatch lag/);
    expect(lagWarning(buildSummary(lateIn(0, 1000)))).toContain('load.warmup (1 s) was too short to cover it');
  });

  it('is not named when the lag came later, or after a warm-up long enough to cover the start-up', () => {
    for (const s of [buildSummary(lateIn(5, 0)), buildSummary(lateIn(0, 5000))]) {
      expect(s.generator.saturated).toBe(true);
      expect(s.generator.warnings.join('\n')).toMatch(/generator busy: \d+ of \d+ sends went out over 5 ms late \(dispatch lag p99 20[.\d]* ms, schedule lag p99 [\d.]+ ms\); its event loop was busy 97 %/);
      expect(s.generator.causes).toEqual(['generatorBusy']);
      expect(s.generator.warnings.join('\n')).not.toMatch(/first measured second|warm-up/);
    }
  });
});
