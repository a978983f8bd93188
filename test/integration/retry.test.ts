/**
 * target.retry: off by default; failed attempts of the listed classes are tried again after a
 * backoff; a stream whose 200 headers arrived is never tried again; `sent` counts requests and
 * `retries` the extra attempts, so the server sees sent + retries; latency runs from the first
 * attempt's intended instant.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';
import { parseScenarioText } from '../../src/workload/scenario.js';
import type { ResolvedRetry, ResolvedWorkload } from '../../src/scenario/types.js';
import { ServebenchError } from '../../src/errors.js';
import { scenario, chatWorkload } from '../helpers/scenario.js';
import { SSE_HEADERS, chatChunk, startFaultServer, type FaultHandler } from '../helpers/faults.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const N = 20;

async function runWith(handler: FaultHandler, retry: ResolvedRetry | undefined, workloads?: ResolvedWorkload[]): Promise<{ sum: Summary; count: number }> {
  const server = await startFaultServer(handler);
  closers.push(() => server.close());
  const s = scenario({ target: { url: server.url, timeoutMs: 2000, ...(retry ? { retry } : {}) }, load: { rps: N, durationMs: 1000 }, workloads });
  const sum = buildSummary((await startRun(s).done).records);
  expect(sum.totals.sent).toBe(N);
  expect(sum.totals.sent).toBe(sum.totals.ok + sum.totals.errors);
  expect(sum.totals.scheduled).toBe(sum.totals.sent + sum.totals.dropped);
  // The server saw every attempt: requests plus extra attempts, nothing more, nothing less.
  expect(server.count).toBe(sum.totals.sent + sum.totals.retries);
  return { sum, count: server.count };
}

const always503: FaultHandler = (_req, res) => {
  res.writeHead(503, { 'content-type': 'text/plain' });
  res.end('upstream connect error or disconnect/reset before headers');
};

describe('target.retry', () => {
  it('is off by default: a 503 is final', async () => {
    const { sum, count } = await runWith(always503, undefined);
    expect(sum.totals.retries).toBe(0);
    expect(count).toBe(N);
    expect(sum.errors).toEqual({ http_503: N });
  });

  it('tries a listed status max more times, then counts the final outcome once', async () => {
    const { sum, count } = await runWith(always503, { on: [503, 504, 'connect'], max: 2, backoffMs: 20 });
    expect(count).toBe(3 * N);
    expect(sum.totals.retries).toBe(2 * N);
    expect(sum.errors).toEqual({ http_503: N });
    expect(sum.workloads[0].totals.retries).toBe(2 * N);
  });

  it('does not retry a status it was not told to', async () => {
    const { sum } = await runWith(
      (_req, res) => {
        res.writeHead(500);
        res.end();
      },
      { on: [503], max: 2, backoffMs: 20 },
    );
    expect(sum.totals.retries).toBe(0);
    expect(sum.errors).toEqual({ http_500: N });
  });

  it('a request that succeeds on retry is ok, and its latency includes the backoff', async () => {
    const backoffMs = 150;
    const { sum } = await runWith(
      (_req, res, n) => {
        // The first three attempts the server sees fail; everything after succeeds.
        res.writeHead(n < 3 ? 503 : 200, { 'content-type': 'application/json' });
        res.end(n < 3 ? '{"error":"model is loading"}' : '{"predictions":[1]}');
      },
      { on: [503], max: 2, backoffMs },
    );
    expect(sum.totals.ok).toBe(N);
    expect(sum.totals.errors).toBe(0);
    expect(sum.totals.retries).toBe(3);
    expect(sum.metrics.latency!.count).toBe(N);
    // Measured from the first attempt's intended instant, not from the retry.
    expect(sum.metrics.latency!.max).toBeGreaterThanOrEqual(backoffMs * 0.95);
  });

  it('retries a reset before any answer', async () => {
    const { sum } = await runWith((req) => req.socket.resetAndDestroy(), { on: ['reset'], max: 1, backoffMs: 10 });
    expect(sum.totals.retries).toBe(N);
    expect(sum.errors).toEqual({ reset: N });
  });

  it('never retries a stream once its 200 headers arrived', async () => {
    const { sum } = await runWith(
      (req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(chatChunk('a'));
        setTimeout(() => req.socket.resetAndDestroy(), 10);
      },
      { on: ['reset', 503], max: 2, backoffMs: 10 },
      [chatWorkload()],
    );
    expect(sum.totals.retries).toBe(0);
    expect(sum.errors).toEqual({ reset: N });
  });

  it('retries a stream request that was refused before it started', async () => {
    const { sum } = await runWith(always503, { on: [503], max: 1, backoffMs: 10 }, [chatWorkload()]);
    expect(sum.totals.retries).toBe(N);
    expect(sum.errors).toEqual({ http_503: N });
  });
});

describe('target.retry in a scenario file', () => {
  const base = (retry: string) => `name: r\ntarget:\n  url: embedded\n  deployment: d\n  retry: ${retry}\nworkloads:\n  - {name: w, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 1, duration: 1s}\n`;

  it('resolves statuses, classes, max and backoff', () => {
    const { scenario: s } = parseScenarioText(base('{on: [503, 504, connect], max: 2, backoff: 100ms}'), '');
    expect(s.target.retry).toEqual({ on: [503, 504, 'connect'], max: 2, backoffMs: 100 });
  });

  it('names the field of a bad trigger', () => {
    let err: unknown;
    try {
      parseScenarioText(base('{on: [200, teapot]}'), 'r.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ServebenchError);
    const probs = (err as ServebenchError).problems.map((p) => `${p.path}: ${p.message}`);
    expect(probs).toContain(`target.retry.on[0]: expected an HTTP status from 400 to 599 or one of connect | reset | timeout, got 200`);
    expect(probs).toContain(`target.retry.on[1]: expected an HTTP status from 400 to 599 or one of connect | reset | timeout, got 'teapot'`);
  });
});
