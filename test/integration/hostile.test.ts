/**
 * Hostile servers against both HTTP clients: every case of docs/http-errors.md's table, run once
 * with undici and once with the lean client. Each checks the class (and that its sample is filed
 * under the class counted), the exact totals (sent = ok + errors, and the server received exactly
 * what was counted as sent), and that the run ends within a bound.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';
import type { HttpClient, ResolvedLoad } from '../../src/scenario/types.js';
import { scenario } from '../helpers/scenario.js';
import { startHostileServer, type HostileMode, type HostileOptions, type HostileServer } from '../helpers/hostile-server.js';

const CLIENTS: HttpClient[] = ['undici', 'lean'];

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

interface Outcome {
  sum: Summary;
  server: HostileServer;
  elapsedMs: number;
}

async function run(client: HttpClient, mode: HostileMode, load: Partial<ResolvedLoad>, opts: HostileOptions = {}): Promise<Outcome> {
  const server = await startHostileServer(mode, opts);
  closers.push(() => server.close());
  const t0 = performance.now();
  const { records } = await startRun(scenario({ target: { url: server.url, client, timeoutMs: 10_000 }, load })).done;
  return { sum: buildSummary(records), server, elapsedMs: performance.now() - t0 };
}

/** The totals add up, the server got exactly what was sent, and every sample is under a counted class. */
function addsUp({ sum, server }: Outcome): void {
  const t = sum.totals;
  expect(t.sent).toBe(t.ok + t.errors);
  expect(t.unfinished).toBe(0);
  expect(t.errors).toBe(Object.values(sum.errors).reduce((a, b) => a + b, 0));
  expect(server.received).toBe(t.sent + t.retries);
  expect(Object.keys(sum.errorSamples).sort()).toEqual(Object.keys(sum.errors).sort());
}

/** Malformed (or refused) answers: 10 requests over half a second, each one invalid_response. */
const MALFORMED: Array<{ mode: HostileMode; sample: RegExp }> = [
  { mode: 'many-headers', sample: /response head over 65536 bytes/ },
  { mode: 'huge-header', sample: /response head over 65536 bytes/ },
  { mode: 'bare-lf', sample: /./ },
  { mode: 'bad-content-length', sample: /content-length/i },
  { mode: 'bad-status-line', sample: /./ },
  { mode: 'xchunked', sample: /transfer-encoding/i },
  { mode: 'garbage-chunk-size', sample: /chunk/i },
  { mode: 'duplicate-content-length', sample: /content-length/i },
  { mode: 'status-600', sample: /status 600 is outside 100–599/ },
  { mode: 'status-999', sample: /status 999 is outside 100–599/ },
];

describe.each(CLIENTS)('hostile servers, %s client', (client) => {
  for (const { mode, sample } of MALFORMED) {
    it(`classes ${mode} as invalid_response`, async () => {
      const o = await run(client, mode, { rps: 20, durationMs: 500, connections: 4 });
      addsUp(o);
      expect(o.sum.totals.sent).toBe(10);
      expect(o.sum.errors).toEqual({ invalid_response: 10 });
      expect(o.sum.errorSamples.invalid_response).toMatch(sample);
      // Framing errors end at once: nothing waits for the 10 s request timeout.
      expect(o.elapsedMs).toBeLessThan(9000);
    });
  }

  it('accepts an unsolicited 100 Continue before the answer', async () => {
    const o = await run(client, 'continue-100', { rps: 20, durationMs: 500, connections: 4 });
    addsUp(o);
    expect(o.sum.totals.sent).toBe(10);
    if (client === 'lean') expect(o.sum.totals.ok).toBe(10);
    // undici destroys the socket on a 100 it did not ask for (see docs/http-errors.md).
    else expect(o.sum.errors).toEqual({ invalid_response: 10 });
  });

  it('never sends on a socket the server half-closed while idle', async () => {
    // One connection at 10 rps, the server drops it after 99–101 ms idle: every gap is a race.
    const o = await run(client, 'idle-half-close', { rps: 10, durationMs: 3000, connections: 1 }, { idleMs: [97, 101] });
    addsUp(o);
    expect(o.sum.totals.sent).toBe(30);
    expect(Object.keys(o.sum.errors).filter((k) => k !== 'reset')).toEqual([]);
  });

  it('retires an idle socket before the announced Keep-Alive timeout', async () => {
    // timeout=1, and the server closes at exactly 1 s idle while requests come 1 s apart.
    const o = await run(client, 'keep-alive-timeout', { rps: 1, durationMs: 3000, connections: 1 }, { keepAliveS: 1 });
    addsUp(o);
    expect(o.sum.totals.ok).toBe(3);
    // One connection per request, plus the run's start-up check.
    expect(o.server.connections).toBe(o.sum.totals.sent + 1);
  });

  it('counts a FIN just after each answer as reset, and only what reached the server as sent', async () => {
    const o = await run(client, 'fin-after-response', { type: 'concurrency', rps: 0, concurrency: 1, requests: 200, durationMs: 20_000, connections: 1 });
    addsUp(o);
    expect(o.sum.totals.sent).toBe(200);
    expect(Object.keys(o.sum.errors).filter((k) => k !== 'reset')).toEqual([]);
    // A request written before the FIN arrived is a real reset (the server got it and closed
    // without answering); how many there are depends on the client's speed, not on its accounting.
    expect(o.sum.totals.ok).toBeGreaterThan(100);
  });
});
