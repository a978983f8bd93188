/**
 * The generator-health diagnosis from synthetic interval records: each cause of late sends is told
 * apart by the figure that shows it, only a busy generator is "saturated", and too few late sends
 * get no verdict.
 */
import { describe, expect, it } from 'vitest';
import { encode, newRecorder } from '../../src/metrics/hdr.js';
import { countAbove, MIN_LATE } from '../../src/metrics/diagnosis.js';
import type { IntervalRecord } from '../../src/metrics/records.js';
import { htmlReport } from '../../src/report/html.js';
import { summaryText } from '../../src/report/console.js';
import { stepFrom } from '../../src/sweep/core.js';
import { answerOf } from '../../src/sweep/core.js';
import { syntheticRun, type SyntheticOptions } from '../helpers/synthetic-run.js';

/** An encoded histogram: `late` values of `lateUs` and the rest of `n` at 200 µs. */
function lags(n: number, late: number, lateUs: number): string {
  const h = newRecorder();
  if (n - late > 0) h.recordValueWithCount(200, n - late);
  if (late > 0) h.recordValueWithCount(lateUs, late);
  const b64 = encode(h);
  h.destroy();
  return b64;
}

/** A 10 s run at 100 rps whose seconds 3-6 send 20 of their 100 requests 20 ms late, with the given thread figures. */
function lateRun(health: Partial<IntervalRecord['health']>, o: SyntheticOptions = {}, late: 'dispatch' | 'conn' | 'queue' = 'dispatch') {
  return syntheticRun({
    seconds: 10,
    rps: 100,
    ...o,
    tweak: (rec) => {
      const busy = rec.index >= 3 && rec.index <= 6;
      rec.health = { wallMs: 1000, threadCpuMs: 150, runQueueMs: 1, ...rec.health, elu: 0.2, ...(busy ? health : {}) };
      rec.health.dispatchLagUs = lags(100, busy && late === 'dispatch' ? 20 : 0, 20_000);
      rec.health.connWaitUs = lags(100, busy && late === 'conn' ? 20 : 0, 20_000);
      if (late === 'queue') rec.health.queueWaitUs = lags(30, busy ? 20 : 0, 20_000);
      rec.workloads[0].hist.scheduleLag = lags(100, busy ? 20 : 0, 20_300);
    },
  }).summary;
}

describe('countAbove', () => {
  it('counts the values over a bound, and is 0 when the max is within it', () => {
    const h = newRecorder();
    h.recordValueWithCount(100, 990);
    expect(countAbove(h, 5000)).toBe(0);
    h.recordValueWithCount(9000, 10);
    expect(countAbove(h, 5000)).toBe(10);
    h.recordValueWithCount(6000, 25);
    expect(countAbove(h, 5000)).toBe(35);
  });
});

describe('the cause of late sends', () => {
  it('a busy generator: its thread on a CPU nearly all the second is "saturated", with that figure', () => {
    const s = lateRun({ threadCpuMs: 960, runQueueMs: 5, elu: 0.99 });
    expect(s.generator.saturated).toBe(true);
    expect(s.generator.causes).toEqual(['generatorBusy']);
    const w = s.generator.warnings.join('\n');
    expect(w).toMatch(/generator busy: 80 of 1000 sends went out over 5 ms late \(dispatch lag p99 20[.\d]* ms, schedule lag p99 20[.\d]* ms\); its worker thread was on a CPU 96 % of the seconds they fell in/);
    expect(w).not.toMatch(/machine busy|connection/);
    expect(summaryText(s, false)).toContain('SATURATED (generator busy)');
    expect(s.generator.threadCpuPercent).toBeGreaterThan(45);
  });

  it('a busy machine: low thread CPU while it waited on a run queue is a warning, with the share of the tail it explains', () => {
    const s = lateRun({ threadCpuMs: 180, runQueueMs: 240, elu: 0.3 });
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.causes).toEqual(['machineBusy']);
    const w = s.generator.warnings.join('\n');
    expect(w).toMatch(/machine busy: 80 of 1000 sends went out over 5 ms late \(dispatch lag p99 20[.\d]* ms, schedule lag p99 20[.\d]* ms\) while the worker thread used 18 % of a core and waited 240 ms per second for one: other processes took its core/);
    const m = /explain at most (\d+) % of latency p99 \(([\d.]+) ms\)/.exec(w);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(Math.round((s.generator.scheduleLagP99Ms / Number(m![2])) * 100));
    expect(summaryText(s, false)).not.toContain('SATURATED');
    expect(summaryText(s, false)).toContain('(machine busy)');
    const html = htmlReport.render(s);
    expect(html).toContain('Warnings (machine busy)');
    expect(html).not.toContain('The load generator was saturated');
  });

  it('requests that waited for a connection: the measured wait is named, not the generator', () => {
    const s = lateRun({}, {}, 'conn');
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.causes).toEqual(['connectionWait']);
    expect(s.generator.warnings.join('\n')).toMatch(/requests waited for a free connection: 80 of 1000 sends went out over 5 ms late .*; 80 of 1000 requests waited over 5 ms for one \(connection wait p99 20[.\d]* ms, load.connections 16\) while the worker thread used 15 % of a core/);
    expect(s.generator.connectionWaitMs!.p99).toBeCloseTo(20, 0);
  });

  it('a connection wait is the machine\'s when the thread waited for a CPU at least as long, else the server\'s', () => {
    // The starved thread reads its responses late, so its connections look busy: 240 ms of run-queue wait covers 20 ms waits.
    const starved = lateRun({ threadCpuMs: 150, runQueueMs: 240 }, {}, 'conn');
    expect(starved.generator.causes).toEqual(['machineBusy']);
    // 12 ms a second off the CPU (over the 2 % mark) cannot make a 20 ms wait: the server held the connections.
    const held = lateRun({ threadCpuMs: 150, runQueueMs: 12 }, {}, 'conn');
    expect(held.generator.causes).toEqual(['connectionWait']);
    expect(held.generator.saturated).toBe(false);
    // Kept off its CPU over half the second: the machine, whatever the waits (a server on this host starves too).
    const heavy = syntheticRun({
      seconds: 10,
      rps: 100,
      tweak: (rec) => {
        const busy = rec.index >= 3 && rec.index <= 6;
        rec.health = { elu: 0.5, wallMs: 1000, threadCpuMs: 50, runQueueMs: busy ? 600 : 1, connWaitUs: lags(100, busy ? 20 : 0, 900_000) };
        rec.workloads[0].hist.scheduleLag = lags(100, busy ? 20 : 0, 900_300);
      },
    }).summary;
    expect(heavy.generator.causes).toEqual(['machineBusy']);
  });

  it('slots that waited for maxInFlight: the queue wait is named', () => {
    const s = lateRun({}, { load: { onSaturation: 'queue', maxInFlight: 8 } }, 'queue');
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.causes).toEqual(['queueWait']);
    expect(s.generator.warnings.join('\n')).toMatch(/slots waited for maxInFlight \(8, onSaturation: queue\): 80 of 1000 sends went out over 5 ms late .*; 80 waited over 5 ms \(queue wait p99 20[.\d]* ms\)/);
  });

  it('late sends with neither a busy thread nor a run queue are a warning that says so', () => {
    const s = lateRun({ threadCpuMs: 100, runQueueMs: 2 });
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.causes).toEqual(['lateUnexplained']);
    expect(s.generator.warnings.join('\n')).toMatch(/neither busy \(10 % of a core\) nor waiting for a CPU \(2 ms per second\)/);
  });

  it('without per-thread CPU figures, event-loop utilization stands in', () => {
    const busy = lateRun({ threadCpuMs: undefined, runQueueMs: undefined, elu: 0.97 });
    expect(busy.generator.saturated).toBe(true);
    expect(busy.generator.warnings.join('\n')).toMatch(/event loop was busy 97 % .*no per-thread CPU figures/);
    const idle = lateRun({ threadCpuMs: undefined, runQueueMs: undefined, elu: 0.3 });
    expect(idle.generator.saturated).toBe(false);
    expect(idle.generator.causes).toEqual(['lateUnexplained']);
  });
});

describe('a run\'s short last interval', () => {
  it('is judged with the second before it: a few ms of CPU over a few ms is not a busy generator', () => {
    const s = syntheticRun({
      seconds: 6,
      rps: 100,
      tweak: (rec) => {
        const last = rec.index === 5;
        rec.health = last
          ? { elu: 1, wallMs: 8, threadCpuMs: 8, runQueueMs: 0, dispatchLagUs: lags(100, 30, 20_000) }
          : { elu: 0.2, wallMs: 1000, threadCpuMs: 150, runQueueMs: 1, dispatchLagUs: lags(100, 0, 0) };
      },
    }).summary;
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.causes).toEqual(['lateUnexplained']);
  });
});

describe('too few samples', () => {
  it('one late send in a run of 80 is no verdict, and a note says why', () => {
    const s = syntheticRun({
      seconds: 10,
      rps: 8,
      tweak: (rec) => {
        const one = rec.index === 4;
        rec.health = { elu: 0.1, wallMs: 1000, threadCpuMs: 30, runQueueMs: 1, dispatchLagUs: lags(8, one ? 1 : 0, 9000), connWaitUs: lags(8, 0, 0) };
        rec.workloads[0].hist.scheduleLag = lags(8, one ? 1 : 0, 9200);
      },
    }).summary;
    expect(s.generator.scheduleLagP99Ms).toBeGreaterThan(5);
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.warnings).toEqual([]);
    expect(s.generator.causes).toEqual([]);
    expect(s.generator.notes!.join('\n')).toMatch(/dispatch lag p99 [\d.]+ ms, schedule lag p99 [\d.]+ ms rests on 1 late send of 80: too few for a verdict/);
  });

  it(`needs ${MIN_LATE} late sends even when they are more than 1 %`, () => {
    const atMin = (late: number) =>
      syntheticRun({
        seconds: 5,
        rps: 100,
        tweak: (rec) => {
          rec.health = { elu: 0.99, wallMs: 1000, threadCpuMs: 990, runQueueMs: 0, dispatchLagUs: lags(100, rec.index === 0 ? late : 0, 30_000) };
        },
      }).summary.generator;
    expect(atMin(MIN_LATE - 1).saturated).toBe(false);
    expect(atMin(MIN_LATE).saturated).toBe(true);
  });
});

describe('the plan against its own slot count', () => {
  it('a Poisson plan with fewer arrivals than rate × duration is not behind', () => {
    // 66 arrivals of an 8 rps × 10 s plan: what the seed gave, all sent on time.
    const s = syntheticRun({ seconds: 10, rps: 8, load: { type: 'poisson' }, sentPerSecond: (i) => (i < 6 ? 7 : 6), end: { plannedSlots: 66 } }).summary;
    expect(s.totals.sent).toBe(66);
    expect(s.generator.plannedSlots).toBe(66);
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.warnings).toEqual([]);
    // A file without the count: a finished run walked its whole plan, so its scheduled slots are the plan.
    const old = syntheticRun({ seconds: 10, rps: 8, load: { type: 'poisson' }, sentPerSecond: (i) => (i < 6 ? 7 : 6) }).summary;
    expect(old.generator.warnings).toEqual([]);
  });

  it('a plan sent slower than its own count is a warning, not saturation, when the generator was not busy', () => {
    const s = syntheticRun({ seconds: 10, rps: 100, end: { plannedSlots: 1000, sendOverrunMs: 2000 } }).summary;
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.warnings.join('\n')).toMatch(/achieved [\d.]+ of the plan's 100 rps \(1000 slots in 10 s; more than 1 % under target\): the last request went out 2000 ms after its slot/);
  });
});

describe('the sweep', () => {
  const stepOf = (summary: ReturnType<typeof lateRun>, value: number) =>
    stepFrom({ index: 0, value, unit: 'rps', attempts: 1, summary, windows: [], meanInFlight: 1, conditions: [], stability: 0.1, baselineErrorRate: null, previous: null });

  it('marks a failing step generator-bound only when the generator, not the server, fell behind', () => {
    const ok = stepOf(lateRun({}, {}, 'conn'), 50);
    ok.pass = true;
    const serverBound = stepOf(lateRun({}, { end: { sendOverrunMs: 3000 } }, 'conn'), 100);
    expect(serverBound.pass).toBe(false);
    expect(serverBound.generatorSaturated).toBe(false);
    expect(answerOf([ok, serverBound], 'rps', 1000).generatorBound).toBe(false);
    const busy = stepOf(lateRun({ threadCpuMs: 970, elu: 0.99 }), 100);
    busy.pass = false;
    expect(busy.generatorSaturated).toBe(true);
    expect(answerOf([ok, busy], 'rps', 1000).generatorBound).toBe(true);
  });
});
