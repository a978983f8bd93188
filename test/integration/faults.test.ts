/**
 * Bad servers: each misbehaviour is a real server on port 0. Every case checks that the run
 * finishes, that the failure lands in the right error class with a readable first message, and
 * that the totals still add up (sent = ok + errors, scheduled = sent + dropped, and the server saw
 * every request that was counted as sent).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';
import type { ResolvedScenario, ResolvedTarget, ResolvedWorkload } from '../../src/scenario/types.js';
import { scenario, chatWorkload } from '../helpers/scenario.js';
import { SSE_HEADERS, chatChunk, goodStream, startFaultServer, startRawServer, type FaultHandler } from '../helpers/faults.js';
import { makeSelfSignedCert } from '../helpers/tls.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** 20 requests over one second. */
const RPS = 20;
const N = 20;

function plan(url: string, opts: { target?: Partial<ResolvedTarget>; workloads?: ResolvedWorkload[] } = {}): ResolvedScenario {
  return scenario({ target: { url, timeoutMs: 800, ...opts.target }, load: { rps: RPS, durationMs: 1000 }, workloads: opts.workloads });
}

async function runAgainst(handler: FaultHandler, opts: { target?: Partial<ResolvedTarget>; workloads?: ResolvedWorkload[] } = {}): Promise<{ sum: Summary; count: number }> {
  const server = await startFaultServer(handler);
  closers.push(() => server.close());
  const { records } = await startRun(plan(server.url, opts)).done;
  return { sum: buildSummary(records), count: server.count };
}

/** The invariants every run keeps, whatever the server did. */
function addsUp(sum: Summary, serverCount?: number): void {
  const t = sum.totals;
  expect(t.sent).toBe(N);
  expect(t.sent).toBe(t.ok + t.errors);
  expect(t.scheduled).toBe(t.sent + t.dropped);
  expect(t.errors).toBe(Object.values(sum.errors).reduce((a, b) => a + b, 0));
  if (serverCount !== undefined) expect(serverCount).toBe(t.sent + t.retries);
}

const jsonOk = (res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"predictions":[1]}');
};

describe('transport faults', () => {
  it('counts connections refused in the middle of a run as connect', async () => {
    const server = await startFaultServer((_req, res, n) => {
      jsonOk(res);
      // After the 5th answer nothing listens any more: later requests are refused.
      if (n === 4) setTimeout(() => void server.refuse(), 5);
    });
    closers.push(() => server.close());
    const { records } = await startRun(plan(server.url)).done;
    const sum = buildSummary(records);
    addsUp(sum);
    expect(sum.totals.ok).toBeGreaterThanOrEqual(5);
    expect(sum.errors.connect).toBeGreaterThan(10);
    expect(sum.errorSamples.connect).toMatch(/ECONNREFUSED/);
  });

  it('counts a reset before the response headers as reset', async () => {
    const { sum, count } = await runAgainst((req) => req.socket.resetAndDestroy());
    addsUp(sum, count);
    expect(sum.errors).toEqual({ reset: N });
  });

  it('counts a reset in the middle of a body as reset', async () => {
    const { sum, count } = await runAgainst((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
      res.write('{"predictions": [1, 2, ');
      setTimeout(() => req.socket.resetAndDestroy(), 20);
    });
    addsUp(sum, count);
    expect(sum.errors).toEqual({ reset: N });
  });

  it('counts a reset in the middle of a stream as reset, not as a short stream', async () => {
    const { sum, count } = await runAgainst(
      (req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(chatChunk('a'));
        res.write(chatChunk('b'));
        setTimeout(() => req.socket.resetAndDestroy(), 20);
      },
      { workloads: [chatWorkload()] },
    );
    addsUp(sum, count);
    expect(sum.errors).toEqual({ reset: N });
    // A failed stream's tokens are not reported as output.
    expect(sum.totals.outputTokens).toBe(0);
  });

  it('counts an answer that is not HTTP at all (another service on the port) as invalid_response', async () => {
    const server = await startRawServer((socket) => socket.write('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    closers.push(() => server.close());
    const sum = buildSummary((await startRun(plan(server.url)).done).records);
    addsUp(sum);
    expect(sum.errors).toEqual({ invalid_response: N });
    expect(sum.errorSamples.invalid_response).toMatch(/does not match the HTTP\/1\.1 protocol/);
  });
});

describe('servers that never answer', () => {
  it('aborts a request with no answer at the whole-request timeout', async () => {
    const { sum, count } = await runAgainst(() => undefined, { target: { timeoutMs: 300 } });
    addsUp(sum, count);
    expect(sum.errors).toEqual({ timeout: N });
    expect(sum.errorSamples.timeout).toBe('request timed out');
  });

  it('aborts at firstByteTimeout when the headers do not come', async () => {
    const { sum, count } = await runAgainst(() => undefined, { target: { timeoutMs: 5000, firstByteTimeoutMs: 200 } });
    addsUp(sum, count);
    expect(sum.errors).toEqual({ timeout: N });
    expect(sum.errorSamples.timeout).toMatch(/firstByteTimeout/);
  });

  it('aborts a stream at firstTokenTimeout when its headers come but no token does; firstByteTimeout is met by the headers', async () => {
    const { sum, count } = await runAgainst(
      (_req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(': keep-alive\n\n');
      },
      { workloads: [chatWorkload()], target: { timeoutMs: 5000, firstByteTimeoutMs: 100, firstTokenTimeoutMs: 300 } },
    );
    addsUp(sum, count);
    expect(sum.errors).toEqual({ timeout: N });
    expect(sum.errorSamples.timeout).toMatch(/no first token within 300 ms/);
  });

  it('counts a TLS handshake that never completes as connect (connectTimeout)', async () => {
    const cert = makeSelfSignedCert();
    // The first connection (the run's check request) gets a real TLS server; every later one hangs.
    const https = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => {
      res.writeHead(200);
      res.end('{}');
    });
    let conns = 0;
    const hung = new Set<Socket>();
    const raw = createNetServer((socket) => {
      if (conns++ === 0) https.emit('connection', socket);
      else hung.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise<void>((r) => {
          for (const s of hung) s.destroy();
          https.closeAllConnections();
          raw.close(() => r());
        }),
    );
    const url = `https://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    const s = plan(url, { target: { tls: { insecure: true }, connectTimeoutMs: 200, timeoutMs: 2000 } });
    const sum = buildSummary((await startRun(s).done).records);
    addsUp(sum);
    expect(sum.errors).toEqual({ connect: N });
    expect(sum.errorSamples.connect).toMatch(/CONNECT_TIMEOUT|timeout/i);
  });

  it('a body trickled slower than the timeout allows ends as timeout, however lively the socket', async () => {
    const { sum, count } = await runAgainst(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"predictions": [');
        let i = 0;
        const t = setInterval(() => {
          if (res.destroyed || i++ > 40) {
            clearInterval(t);
            if (!res.destroyed) res.end('1]}');
            return;
          }
          res.write('1,');
        }, 25);
      },
      { target: { timeoutMs: 400 } },
    );
    addsUp(sum, count);
    expect(sum.errors).toEqual({ timeout: N });
  });
});

describe('bad bodies', () => {
  it('stops reading a body past maxResponseBytes and counts invalid_response', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x31);
    const { sum, count } = await runAgainst(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"predictions": "');
        let sent = 0;
        const more = () => {
          while (sent < 64 && !res.destroyed) {
            sent++;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          if (!res.destroyed) res.end('"}');
        };
        more();
      },
      { target: { maxResponseBytes: 256 * 1024 } },
    );
    addsUp(sum, count);
    expect(sum.errors).toEqual({ invalid_response: N });
    expect(sum.errorSamples.invalid_response).toMatch(/maxResponseBytes/);
  });

  it('caps a stream too', async () => {
    const { sum } = await runAgainst(
      (_req, res) => {
        res.writeHead(200, SSE_HEADERS);
        const big = chatChunk('x'.repeat(8 * 1024));
        for (let i = 0; i < 20; i++) res.write(big);
        res.end('data: [DONE]\n\n');
      },
      { workloads: [chatWorkload()], target: { maxResponseBytes: 64 * 1024 } },
    );
    addsUp(sum);
    expect(sum.errors).toEqual({ invalid_response: N });
  });

  it('counts a 200 that is not JSON as invalid_response', async () => {
    const { sum, count } = await runAgainst((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"predictions": [1, 2');
    });
    addsUp(sum, count);
    expect(sum.errors).toEqual({ invalid_response: N });
    expect(sum.errorSamples.invalid_response).toBe('response is not valid JSON');
  });

  it('counts an HTML page (a login redirect target) as invalid_response', async () => {
    const { sum, count } = await runAgainst((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Sign in to Hopsworks</body></html>');
    });
    addsUp(sum, count);
    expect(sum.errors).toEqual({ invalid_response: N });
  });

  it('counts a JSON answer to a stream request as invalid_response and says what came', async () => {
    const { sum, count } = await runAgainst(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', choices: [{ message: { role: 'assistant', content: 'hi' } }] }));
      },
      { workloads: [chatWorkload()] },
    );
    addsUp(sum, count);
    expect(sum.errors).toEqual({ invalid_response: N });
    expect(sum.errorSamples.invalid_response).toMatch(/^expected text\/event-stream, got application\/json/);
  });
});

describe('HTTP errors', () => {
  for (const status of [429, 500, 503, 504]) {
    it(`counts ${status} with a JSON body as http_${status} with its message`, async () => {
      const { sum, count } = await runAgainst((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `failure ${status}` }));
      });
      addsUp(sum, count);
      expect(sum.errors).toEqual({ [`http_${status}`]: N });
      expect(sum.errorSamples[`http_${status}`]).toBe(`HTTP ${status}: failure ${status}`);
    });

    it(`counts ${status} without a body as http_${status}`, async () => {
      const { sum, count } = await runAgainst((_req, res) => {
        res.writeHead(status, { 'content-length': 0 });
        res.end();
      });
      addsUp(sum, count);
      expect(sum.errors).toEqual({ [`http_${status}`]: N });
      expect(sum.errorSamples[`http_${status}`]).toBe(`HTTP ${status}`);
    });
  }

  it("keeps Envoy's plain-text 503 body as the message", async () => {
    const envoy = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111';
    const { sum, count } = await runAgainst((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain', server: 'istio-envoy' });
      res.end(envoy);
    });
    addsUp(sum, count);
    expect(sum.errors).toEqual({ http_503: N });
    expect(sum.errorSamples.http_503).toBe(`HTTP 503: ${envoy}`);
  });

  it('counts an error status on a stream request as that status', async () => {
    const { sum, count } = await runAgainst(
      (_req, res) => {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('no healthy upstream');
      },
      { workloads: [chatWorkload()] },
    );
    addsUp(sum, count);
    expect(sum.errors).toEqual({ http_503: N });
    expect(sum.errorSamples.http_503).toBe('HTTP 503: no healthy upstream');
  });
});

describe('broken streams', () => {
  it('ignores comments and unknown fields, and fails on a data line that is not JSON', async () => {
    const { sum, count } = await runAgainst(
      (_req, res, n) => {
        res.writeHead(200, SSE_HEADERS);
        // Comment and unknown-field lines are legal SSE and must be skipped.
        res.write(': ping\n\ngarbage-field-line\n\nevent: noise\n\n');
        if (n % 2 === 0) res.write('data: {not json at all\n\n');
        res.end(goodStream());
      },
      { workloads: [chatWorkload()] },
    );
    addsUp(sum, count);
    expect(sum.totals.ok).toBe(N / 2);
    expect(sum.errors).toEqual({ invalid_response: N / 2 });
    expect(sum.errorSamples.invalid_response).toMatch(/not valid JSON/);
  });

  it('counts a stream cut without [DONE] as stream_error', async () => {
    const { sum, count } = await runAgainst(
      (_req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(chatChunk('a'));
        res.end(chatChunk('b'));
      },
      { workloads: [chatWorkload()] },
    );
    addsUp(sum, count);
    expect(sum.errors).toEqual({ stream_error: N });
    expect(sum.errorSamples.stream_error).toMatch(/without \[DONE\]/);
  });

  it('counts a 200 stream that carries an error event as stream_error with its message', async () => {
    const { sum, count } = await runAgainst(
      (_req, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(chatChunk('a'));
        res.write(`data: ${JSON.stringify({ error: { message: 'CUDA out of memory', type: 'InternalServerError', code: 500 } })}\n\n`);
        res.end('data: [DONE]\n\n');
      },
      { workloads: [chatWorkload()] },
    );
    addsUp(sum, count);
    expect(sum.errors).toEqual({ stream_error: N });
    expect(sum.errorSamples.stream_error).toBe('CUDA out of memory');
  });
});
