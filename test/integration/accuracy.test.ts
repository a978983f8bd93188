/**
 * Accuracy against real servers on port 0: does servebench report what really happened? The
 * truths are computed from the schedule and the server's behaviour, never hard-coded.
 */
import { createServer, type Server } from 'node:http';
import { listenLocal } from '../helpers/listen.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';
import { decode } from '../../src/metrics/hdr.js';
import { SlotIterator } from '../../src/schedule/plan.js';
import { CLOSED_LOOP_NOTE } from '../../src/metrics/health.js';
import { scenario } from '../helpers/scenario.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { ResolvedLoad } from '../../src/scenario/types.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function server(opts: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(opts);
  closers.push(() => s.close());
  return s;
}

async function run(url: string, l: Partial<ResolvedLoad>): Promise<Summary> {
  const { records } = await startRun(scenario({ target: { url }, load: l })).done;
  return buildSummary(records);
}

/** No recorded time metric may be negative (the HDR minimum, decoded, is the proof). */
function expectNoNegative(s: Summary): void {
  for (const m of ['latency', 'serviceTime', 'scheduleLag'] as const) {
    const st = s.metrics[m];
    if (!st) continue;
    expect(st.min).toBeGreaterThanOrEqual(0);
    const h = decode(st.hdr);
    expect(h.minNonZeroValue).toBeGreaterThanOrEqual(0);
    h.destroy();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

describe('coordinated omission: a server that stalls for 1 s', () => {
  it('shows the stall in latency p99 (≥ 90 % of the truth from the schedule), not only in serviceTime', async () => {
    const rps = 200;
    const durationMs = 10_000;
    const stallFromMs = 4000;
    const stallMs = 1000;
    // The stall is timed from the server's first request (slot 0), so schedule and stall share a clock.
    let firstAt = -1;
    const held: Array<() => void> = [];
    const srv = await server({
      handler: (_req, res) => {
        const t = performance.now();
        if (firstAt < 0) firstAt = t;
        const answer = () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"predictions":[0]}');
        };
        const since = t - firstAt;
        if (since >= stallFromMs && since < stallFromMs + stallMs) {
          held.push(answer);
          if (held.length === 1) setTimeout(() => held.splice(0).forEach((f) => f()), firstAt + stallFromMs + stallMs - t);
        } else answer();
      },
    });
    const l: Partial<ResolvedLoad> = { rps, durationMs, connections: 16, maxInFlight: 1000 };
    const s = await run(srv.url, l);
    expect(s.totals.ok).toBe(rps * (durationMs / 1000));

    // The truth: a slot scheduled during the stall completes when the stall ends; the others at once.
    const it = new SlotIterator(scenario({ load: l }).load, 0, 1);
    const truth: number[] = [];
    for (let t = it.next(); t >= 0; t = it.next()) truth.push(t >= stallFromMs && t < stallFromMs + stallMs ? stallFromMs + stallMs - t : 0);
    truth.sort((a, b) => a - b);
    const trueP99 = percentile(truth, 99);
    expect(trueP99).toBeGreaterThan(800);
    expect(s.metrics.latency!.p99).toBeGreaterThanOrEqual(0.9 * trueP99);
    expect(s.metrics.latency!.max).toBeGreaterThanOrEqual(0.9 * stallMs);
    // The pool has 16 connections: the other requests queued in the generator, so their service
    // time (from the send) misses most of the stall — the omission that latency corrects.
    expect(s.metrics.serviceTime!.p99).toBeLessThan(s.metrics.latency!.p99);
    expectNoNegative(s);
  }, 40_000);
});

describe('deterministic delays', () => {
  it('9 requests of 1 ms then one of 150 ms give p50 near 1 ms, p95 and p99 near 150 ms, and exactly 10 % slow', async () => {
    const srv = await server({ delayMs: (n) => (n % 10 === 9 ? 150 : 1) });
    const s = await run(srv.url, { rps: 100, durationMs: 3000, connections: 32 });
    const lat = s.metrics.latency!;
    expect(lat.count).toBe(300);
    // Bands, not points: the machine is shared, and a 1 ms timer on a busy core can take 20 ms.
    expect(lat.p50).toBeGreaterThanOrEqual(0.9);
    expect(lat.p50).toBeLessThan(30);
    for (const p of [lat.p95, lat.p99, lat.max]) {
      expect(p).toBeGreaterThanOrEqual(149);
      expect(p).toBeLessThan(250);
    }
    // Every slow request is reported as slow (none hidden), and hardly any fast one.
    const slow = ranked(lat.hdr).filter((us) => us > 100_000).length;
    expect(slow).toBeGreaterThanOrEqual(30);
    expect(slow).toBeLessThanOrEqual(36);
    expectNoNegative(s);
  });
});

/** Every recorded value in rank order, read back from the HDR histogram (value k at rank k). */
function ranked(b64: string): number[] {
  const h = decode(b64);
  const n = h.totalCount;
  const out: number[] = [];
  for (let k = 1; k <= n; k++) out.push(h.getValueAtPercentile(((k - 0.5) / n) * 100));
  h.destroy();
  return out;
}

describe('open plans deliver their planned count', () => {
  it('ramp: sends the integral of the rate curve (within 1 %)', async () => {
    const srv = await server({ delayMs: () => 1 });
    const l: Partial<ResolvedLoad> = { type: 'ramp', rps: 50, durationMs: 2500, stages: [{ durationMs: 1500, targetRps: 300 }, { durationMs: 1000, targetRps: 300 }] };
    const s = await run(srv.url, l);
    const planned = (50 + 300) / 2 * 1.5 + 300;
    expect(Math.abs(s.totals.sent - planned)).toBeLessThanOrEqual(planned * 0.01 + 1);
    expect(srv.count).toBe(s.totals.sent);
    expect(s.totals.dropped).toBe(0);
    expectNoNegative(s);
  });

  it('poisson: sends every slot of its seeded plan, about rate × duration, across two workers', async () => {
    const srv = await server({ delayMs: () => 1 });
    const l: Partial<ResolvedLoad> = { type: 'poisson', rps: 300, durationMs: 2000, workers: 2, seed: 42 };
    const s = await run(srv.url, l);
    const it = new SlotIterator(scenario({ load: l }).load, 0, 1);
    let planned = 0;
    while (it.next() >= 0) planned++;
    expect(s.totals.sent).toBe(planned);
    expect(srv.count).toBe(planned);
    expect(Math.abs(planned - 600)).toBeLessThan(600 * 0.1);
    // Judged against its own count, not rate × duration: the seed's count is not "behind".
    expect(s.generator.plannedSlots).toBe(planned);
    // (A loaded machine may still send them late: that is judged against the plan's own rate.)
    expect(s.generator.warnings.join('\n')).not.toMatch(/of 300 (planned slots|rps)|reached \d+ of the plan's/);
    expect(s.generator.workers).toHaveLength(2);
    for (const w of s.generator.workers!) expect(w.eventLoopLagMs.count).toBeGreaterThan(0);
    expectNoNegative(s);
  });
});

describe('onSaturation', () => {
  it('queue: slots beyond maxInFlight wait (schedule lag), none is dropped, and the wait is named (the server\'s, not the generator\'s)', async () => {
    const srv = await server({ delayMs: () => 100 });
    const s = await run(srv.url, { rps: 100, durationMs: 1000, maxInFlight: 5, connections: 5, onSaturation: 'queue' });
    expect(s.totals.dropped).toBe(0);
    expect(s.totals.sent).toBe(100);
    expect(s.metrics.scheduleLag!.p99).toBeGreaterThan(100);
    expect(s.metrics.latency!.p99).toBeGreaterThan(s.metrics.serviceTime!.p99 + 100);
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.causes).toContain('queueWait');
    expect(s.generator.warnings.join('\n')).toMatch(/slots waited for maxInFlight \(5, onSaturation: queue\)/);
  });

  // The achieved rate counts requests on the wire over the time it took to put them there. Sent
  // late, the 100 slots of 1 s took about 2 s at the server's 50 rps (5 connections × 100 ms).
  it('queue: the achieved rate is what went on the wire, not what was planned', async () => {
    const srv = await server({ delayMs: () => 100 });
    const s = await run(srv.url, { rps: 100, durationMs: 1000, maxInFlight: 5, connections: 5, onSaturation: 'queue' });
    expect(s.totals.sent).toBe(100);
    expect(s.load.achievedRps).toBeGreaterThan(50 * 0.8);
    expect(s.load.achievedRps).toBeLessThan(50 * 1.2);
    expect(s.generator.warnings.join('\n')).toMatch(/under target.*the last request went out \d+(\.\d+)? ms after its slot/);
  });

  it('a request waiting in the pool for a connection is not on the wire yet: achieved falls to what the connections carry', async () => {
    // maxInFlight far above the connections: every slot is dispatched on time (dispatch lag ~0),
    // then waits inside the pool; 2 connections × 20 ms carry 100 rps of the 300 planned.
    const srv = await server({ delayMs: () => 20 });
    const s = await run(srv.url, { rps: 300, durationMs: 1000, maxInFlight: 10_000, connections: 2, onSaturation: 'queue' });
    expect(s.totals.sent).toBe(300);
    expect(srv.count).toBe(300);
    expect(s.load.achievedRps).toBeGreaterThan(100 * 0.7);
    expect(s.load.achievedRps).toBeLessThan(100 * 1.2);
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.causes).toContain('connectionWait');
    expect(s.generator.warnings.join('\n')).toMatch(/the last request went out/);
  });

  it('drop: the dropped slots are counted and the achieved rate is flagged as under target', async () => {
    const srv = await server({ delayMs: () => 100 });
    const s = await run(srv.url, { rps: 100, durationMs: 1000, maxInFlight: 5, connections: 5, onSaturation: 'drop' });
    expect(s.totals.scheduled).toBe(100);
    expect(s.totals.dropped).toBeGreaterThan(50);
    expect(s.totals.sent + s.totals.dropped).toBe(100);
    expect(s.generator.saturated).toBe(false);
    expect(s.generator.warnings.join('\n')).toMatch(/more than 1 % under target/);
  });
});

/** A server that tracks how many requests it holds at once. */
async function concurrencyServer(delayMs: number): Promise<{ url: string; max: () => number; count: () => number; meanInFlight: () => number }> {
  let cur = 0;
  let max = 0;
  let count = 0;
  // Time-weighted number of requests held (Little's law), from the first arrival on.
  let area = 0;
  let since = 0;
  let first = 0;
  const change = (d: number) => {
    const t = performance.now();
    if (first === 0) first = since = t;
    area += cur * (t - since);
    since = t;
    cur += d;
  };
  const srv: Server = createServer((req, res) => {
    if (req.method !== 'POST') return res.end('{}');
    count++;
    change(+1);
    max = Math.max(max, cur);
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        change(-1);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"predictions":[0]}');
      }, delayMs),
    );
  });
  const { url, close } = await listenLocal(srv);
  closers.push(close);
  return { url, max: () => max, count: () => count, meanInFlight: () => area / Math.max(1e-9, since - first) };
}

describe('concurrency (closed loop)', () => {
  it('keeps exactly N requests in flight, never more, with latency equal to serviceTime', async () => {
    const srv = await concurrencyServer(20);
    const s = await run(srv.url, { type: 'concurrency', rps: 0, concurrency: 6, durationMs: 2000, warmupMs: 300, workers: 2, connections: 2 });
    expect(srv.max()).toBe(6);
    // The loop keeps all N users busy: the server holds about N requests on average, less only the
    // client's turnaround between a response and the next send (a share of the 20 ms on a busy machine).
    // Users that never started, or stopped sending, would pull this down to their own number.
    expect(srv.meanInFlight()).toBeGreaterThan(6 * 0.7);
    const lat = s.metrics.latency!;
    const svc = s.metrics.serviceTime!;
    expect(lat.count).toBe(svc.count);
    expect([lat.min, lat.p50, lat.p99, lat.max, lat.mean]).toEqual([svc.min, svc.p50, svc.p99, svc.max, svc.mean]);
    // At most N / service time: 6 users × 1000/20 ms.
    expect(s.load.achievedRps).toBeLessThanOrEqual(300 * 1.05);
    expect(s.load.achievedRps).toBeGreaterThan(300 * 0.5);
    expect(s.load.concurrency).toBe(6);
    expect(s.load.targetRps).toBe(0);
    expect(s.generator.notes).toEqual([CLOSED_LOOP_NOTE]);
    // No target rate in a closed loop: no rate-based saturation warning (lag-based ones may appear on a busy machine).
    expect(s.generator.warnings.join('\n')).not.toMatch(/under target|planned slots/);
    expect(s.totals.dropped).toBe(0);
    expectNoNegative(s);
  });

  it('stops after exactly `requests` measured requests, split over workers, and waits the think time', async () => {
    const srv = await concurrencyServer(5);
    const s = await run(srv.url, { type: 'concurrency', rps: 0, concurrency: 3, requests: 61, durationMs: 60_000, workers: 2, thinkTimeMs: 20 });
    expect(s.totals.sent).toBe(61);
    expect(s.totals.ok).toBe(61);
    expect(srv.count()).toBe(61);
    // Each user does one request per ≥ 25 ms (5 ms service + 20 ms think): 3 users ≤ 120 rps.
    expect(s.load.achievedRps).toBeLessThan(120 * 1.1);
    expect(s.durationS).toBeGreaterThan(0.4);
  });
});
