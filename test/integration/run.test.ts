import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { scenario, testClient } from '../helpers/scenario.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('the run path against a real server on port 0', () => {
  it('sends exactly what the server counts, at the target rate', async () => {
    server = await startTestServer({ delayMs: () => 1 });
    const s = scenario({ target: { url: server.url }, load: { rps: 400, durationMs: 3000, warmupMs: 500 } });
    const { records } = await startRun(s).done;
    const sum = buildSummary(records);
    // Warm-up requests reach the server but are not counted.
    const warm = 0.5 * 400;
    expect(server.count).toBe(sum.totals.sent + warm);
    expect(sum.totals.sent).toBe(1200);
    expect(sum.totals.ok).toBe(1200);
    expect(sum.totals.errors).toBe(0);
    expect(sum.totals.scheduled).toBe(sum.totals.sent + sum.totals.dropped);
    expect(sum.load.achievedRps).toBeGreaterThan(400 * 0.99);
    expect(sum.load.achievedRps).toBeLessThan(400 * 1.01);
    expect(sum.metrics.latency!.count).toBe(1200);
    // The server holds every request at least 1 ms by the clock, so no latency can be shorter
    // (the histogram's precision allows a hair under).
    expect(sum.metrics.latency!.min).toBeGreaterThan(0.99);
    expect(sum.timeseries.length).toBeGreaterThanOrEqual(3);
    expect(server.paths.get('/v1/test/fraud/v1/models/fraud:predict')).toBe(server.count);
    // The summary says which HTTP client sent the load (vitest's lean project runs this with the other one).
    expect(sum.target.client).toBe(testClient());
  });

  it('splits the plan over two workers without losing or doubling a slot', async () => {
    server = await startTestServer();
    const s = scenario({ target: { url: server.url }, load: { rps: 500, durationMs: 2000, workers: 2 } });
    const sum = buildSummary((await startRun(s).done).records);
    expect(sum.totals.sent).toBe(1000);
    expect(server.count).toBe(1000);
  });

  it('sends the Host header of host routing', async () => {
    server = await startTestServer();
    const s = scenario({ target: { url: server.url, routing: 'host', project: 'My_Proj', deployment: 'fraud' }, load: { rps: 50, durationMs: 1000 } });
    const sum = buildSummary((await startRun(s).done).records);
    expect(sum.totals.ok).toBe(50);
    expect(server.hosts.get('fraud.my-proj.hopsworks.ai')).toBe(50);
    expect(server.paths.get('/v1/models/fraud:predict')).toBe(50);
  });

  it('counts slots beyond maxInFlight as dropped, not delayed', async () => {
    server = await startTestServer({ delayMs: () => 400 });
    const s = scenario({ target: { url: server.url }, load: { rps: 100, durationMs: 1000, maxInFlight: 10, connections: 10 } });
    const sum = buildSummary((await startRun(s).done).records);
    expect(sum.totals.scheduled).toBe(100);
    expect(sum.totals.sent + sum.totals.dropped).toBe(100);
    expect(sum.totals.dropped).toBeGreaterThan(60);
    expect(server.count).toBe(sum.totals.sent);
    expect(sum.generator.warnings.some((w) => w.includes('dropped'))).toBe(true);
  });

  it('classifies HTTP errors and keeps the first message of each class', async () => {
    server = await startTestServer({
      handler: (_req, res, n) => {
        if (n % 2 === 0) {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'model is loading' }));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"oops": 1}');
        }
      },
    });
    const s = scenario({ target: { url: server.url }, load: { rps: 50, durationMs: 1000 } });
    const sum = buildSummary((await startRun(s).done).records);
    expect(sum.errors.http_503).toBe(25);
    expect(sum.errors.invalid_response).toBe(25);
    expect(sum.totals.sent).toBe(sum.totals.ok + sum.totals.errors);
    expect(sum.errorSamples.http_503).toBe('HTTP 503: model is loading');
  });

  it('fails before the run with E_TARGET when nothing listens', async () => {
    const s = scenario({ target: { url: 'http://127.0.0.1:9' }, load: { rps: 10, durationMs: 500 } });
    await expect(startRun(s).done).rejects.toMatchObject({ code: 'E_TARGET', exitCode: 3 });
  });
});
