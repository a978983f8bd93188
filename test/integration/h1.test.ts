/**
 * The lean HTTP/1.1 client (transport/h1.ts) against a raw TCP server on port 0 that records the bytes
 * it got and answers with scripted bytes: what goes on the wire, how each framing is read (also
 * when it arrives one byte at a time), when a socket is reused and when not, and the errors that
 * engine/classify.ts must put in the same classes as undici's. The whole run path with this client
 * is checked by vitest's `lean` project (the transport suites run again with target.client: lean).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { H1Pool } from '../../src/transport/h1.js';
import type { TransportHandler, TransportRequest } from '../../src/transport/types.js';
import { classifyError } from '../../src/engine/classify.js';
import { listenLocal } from '../helpers/listen.js';

interface Seen {
  /** Requests as the server read them, and the index of the socket each came on. */
  readonly requests: Array<{ head: string; body: string; socket: number }>;
  sockets: number;
}

/** Answers the n-th request with answer(n, socket); requests are framed by content-length. */
async function rawServer(answer: (n: number, socket: Socket) => void | Promise<void>) {
  const seen: Seen = { requests: [], sockets: 0 };
  const server = createServer((socket) => {
    const id = seen.sockets++;
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        seen.requests.push({ head, body: buf.toString('latin1', end + 4, end + 4 + len), socket: id });
        buf = buf.subarray(end + 4 + len);
        void answer(seen.requests.length - 1, socket);
      }
    });
  });
  const l = await listenLocal(server);
  closers.push(l.close);
  return { url: l.url, seen };
}

/** Writes `bytes` one byte per write, 1 ms apart: every split point a reader can meet. */
async function trickle(socket: Socket, bytes: string): Promise<void> {
  socket.setNoDelay(true);
  for (const ch of bytes) {
    if (socket.destroyed) return;
    socket.write(ch, 'latin1');
    await sleep(1);
  }
}

interface Outcome {
  status: number;
  headers: string[] | null;
  body: string;
  error: Error | null;
}

/** Sends one request and resolves with what the handler heard; fails if it hears twice. */
function send(pool: H1Pool, req: TransportRequest, onConnect?: (abort: (e?: Error) => void) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const out: Outcome = { status: 0, headers: null, body: '', error: null };
    let ended = false;
    const end = () => {
      if (ended) reject(new Error('handler ended twice'));
      ended = true;
      resolve(out);
    };
    const h: TransportHandler = {
      onSend: (abort) => onConnect?.(abort),
      onHead: (status, raw) => ((out.status = status), (out.headers = raw as string[] | null), true),
      onBody: (chunk) => ((out.body += chunk.toString('latin1')), true),
      onEnd: () => end(),
      onFail: (e) => ((out.error = e), end()),
    };
    pool.dispatch(req, h);
  });
}

const closers: Array<() => Promise<void>> = [];
const pools: H1Pool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
  for (const c of closers.splice(0)) await c();
});

function pool(url: string, over: Partial<ConstructorParameters<typeof H1Pool>[1]> = {}): H1Pool {
  const p = new H1Pool(url, { connections: 4, connectTimeoutMs: 2000, keepAliveTimeoutMs: 30_000, rawHeaders: true, ...over });
  pools.push(p);
  return p;
}

const post = (body = '{"inputs":[[1]]}', headers: string[] = ['content-type', 'application/json', 'authorization', 'ApiKey k']): TransportRequest => ({
  path: '/v1/p/d/v1/models/m:predict',
  method: 'POST',
  headers,
  body: Buffer.from(body),
});

const OK = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17\r\n\r\n{"predictions":1}';

describe('the lean HTTP/1.1 client', () => {
  it('writes the request head and body as undici does, with the origin as Host unless a host header is given', async () => {
    const { url, seen } = await rawServer((_n, s) => void s.write(OK));
    const p = pool(url);
    expect((await send(p, post())).status).toBe(200);
    await send(p, post('{}', ['host', 'fraud.test.hopsworks.ai', 'content-type', 'application/json']));
    const port = new URL(url).port;
    expect(seen.requests[0].head).toBe(
      `POST /v1/p/d/v1/models/m:predict HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\nauthorization: ApiKey k\r\ncontent-length: 16\r\nconnection: keep-alive`,
    );
    expect(seen.requests[0].body).toBe('{"inputs":[[1]]}');
    expect(seen.requests[1].head).toBe('POST /v1/p/d/v1/models/m:predict HTTP/1.1\r\nhost: fraud.test.hopsworks.ai\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: keep-alive');
    // Keep-alive: both requests went over one socket.
    expect(seen.requests.map((r) => r.socket)).toEqual([0, 0]);
  });

  it('writes a body too large to keep serialized after its head, whole', async () => {
    const { url, seen } = await rawServer((_n, s) => void s.write(OK));
    const big = `{"inputs":"${'x'.repeat(100 * 1024)}"}`;
    const p = pool(url);
    for (let i = 0; i < 2; i++) expect((await send(p, post(big))).status).toBe(200);
    expect(seen.requests.map((r) => [r.body.length, /content-length: (\d+)/.exec(r.head)?.[1]])).toEqual([
      [big.length, String(big.length)],
      [big.length, String(big.length)],
    ]);
  });

  it('reads every framing correctly when it arrives one byte at a time, and keeps the socket', async () => {
    const answers = [
      // chunked, with a chunk extension, a trailer and upper-case hex
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\n{"pre\r\n1C\r\ndictions":[1,2,3,4,5,6,7,8]}\r\n0\r\nx-trailer: t\r\n\r\n',
      // 100 Continue, then the answer with a content-length
      `HTTP/1.1 100 Continue\r\n\r\n${OK}`,
      // headers folded with odd spacing and case
      'HTTP/1.1 503 Service Unavailable\r\nCONTENT-LENGTH:   19  \r\nContent-Type:text/plain\r\n\r\nno healthy upstream',
      // no body
      'HTTP/1.1 204 No Content\r\n\r\n',
    ];
    const { url, seen } = await rawServer((n, s) => trickle(s, answers[n]));
    const p = pool(url);
    const got = [];
    for (let i = 0; i < answers.length; i++) got.push(await send(p, post()));
    expect(got.map((o) => [o.status, o.body, o.error])).toEqual([
      [200, '{"predictions":[1,2,3,4,5,6,7,8]}', null],
      [200, '{"predictions":1}', null],
      [503, 'no healthy upstream', null],
      [204, '', null],
    ]);
    expect(got[2].headers).toEqual(['CONTENT-LENGTH', '19', 'Content-Type', 'text/plain']);
    expect(new Set(seen.requests.map((r) => r.socket)).size).toBe(1);
  });

  it('reads a body without a length up to the close, and opens a new socket for the next request', async () => {
    const { url, seen } = await rawServer((_n, s) => {
      s.write('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{"predictions":');
      setTimeout(() => s.end('[1]}'), 20);
    });
    const p = pool(url);
    const a = await send(p, post());
    const b = await send(p, post());
    expect([a.body, b.body, a.error, b.error]).toEqual(['{"predictions":[1]}', '{"predictions":[1]}', null, null]);
    expect(seen.requests.map((r) => r.socket)).toEqual([0, 1]);
  });

  it('does not reuse a socket after connection: close, an HTTP/1.0 answer, or bytes nobody asked for', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}',
      'HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}',
    ];
    const { url, seen } = await rawServer((n, s) => void s.write(answers[n]));
    const p = pool(url);
    for (let i = 0; i < answers.length; i++) expect((await send(p, post())).error).toBeNull();
    expect(seen.requests.map((r) => r.socket)).toEqual([0, 1, 2, 3]);
  });

  it("does not reuse an idle socket the server's keep-alive timeout is about to close", async () => {
    const { url, seen } = await rawServer((_n, s) => void s.write('HTTP/1.1 200 OK\r\nkeep-alive: timeout=1\r\ncontent-length: 2\r\n\r\n{}'));
    const p = pool(url);
    await send(p, post());
    await send(p, post());
    // timeout=1 less undici's 1 s margin leaves no time to reuse the socket in.
    expect(seen.requests.map((r) => r.socket)).toEqual([0, 1]);
  });

  it('queues requests beyond its connections and sends them in order as sockets free up', async () => {
    const { url, seen } = await rawServer((n, s) => void setTimeout(() => s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${String(n).length}\r\n\r\n${n}`), 10));
    const p = pool(url, { connections: 2 });
    const got = await Promise.all(Array.from({ length: 6 }, (_, i) => send(p, post(`{"i":${i}}`))));
    expect(got.every((o) => o.status === 200 && o.error === null)).toBe(true);
    expect(seen.sockets).toBe(2);
    // FIFO: the first two went out at once, the others in the order they were dispatched.
    expect(seen.requests.slice(2).map((r) => r.body)).toEqual(['{"i":2}', '{"i":3}', '{"i":4}', '{"i":5}']);
  });

  it('keeps the order of a queue long enough to be compacted on the way (5,000 requests on one socket)', async () => {
    const { url, seen } = await rawServer((_n, s) => void s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}'));
    const p = pool(url, { connections: 1 });
    const n = 5000;
    const got = await Promise.all(Array.from({ length: n }, (_, i) => send(p, post(`{"i":${i}}`))));
    expect(got.filter((o) => o.status === 200).length).toBe(n);
    expect(seen.requests.map((r) => r.body)).toEqual(Array.from({ length: n }, (_, i) => `{"i":${i}}`));
  });

  it('aborts a request in flight with the error it is given, and the next one gets a fresh socket', async () => {
    const { url, seen } = await rawServer((n, s) => void (n === 0 ? undefined : s.write(OK)));
    const p = pool(url);
    const deadline = Object.assign(new Error('servebench-timeout'), { name: 'servebench-timeout' });
    const a = await send(p, post(), (abort) => setTimeout(() => abort(deadline), 30));
    expect(a.error).toBe(deadline);
    expect(classifyError(a.error)).toBe('timeout');
    const b = await send(p, post());
    expect(b.status).toBe(200);
    expect(seen.requests.map((r) => r.socket)).toEqual([0, 1]);
  });

  it.each([
    ['a status line that is not HTTP', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', 'invalid_response'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', 'invalid_response'],
    ['two different content-lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}', 'invalid_response'],
    ['a close in the middle of the body', 'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"predictions"', 'reset'],
  ])('fails on %s with the class undici gets', async (_what, bytes, cls) => {
    const { url } = await rawServer((_n, s) => void s.end(bytes));
    const o = await send(pool(url), post());
    expect(o.error).not.toBeNull();
    expect(classifyError(o.error)).toBe(cls);
  });

  it('counts a refused connection as connect, and a TLS handshake that never completes as connect at connectTimeout', async () => {
    const l = await listenLocal(createServer());
    await l.close();
    const refused = await send(pool(l.url), post());
    expect(classifyError(refused.error)).toBe('connect');
    // Accepts the TCP connection and then says nothing: the handshake waits for the deadline.
    const { url } = await rawServer(() => undefined);
    const t0 = performance.now();
    const hung = await send(pool(url, { connectTimeoutMs: 100, tls: { rejectUnauthorized: false } }), post());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    expect((hung.error as { code?: string }).code).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(classifyError(hung.error)).toBe('connect');
  });

  it('fails what is queued when destroyed', async () => {
    const { url } = await rawServer(() => undefined);
    const p = pool(url, { connections: 1 });
    const a = send(p, post());
    const b = send(p, post());
    await sleep(20);
    await p.close();
    const [x, y] = await Promise.all([a, b]);
    expect([x.error && (x.error as { code?: string }).code, y.error && (y.error as { code?: string }).code]).toEqual(['UND_ERR_DESTROYED', 'UND_ERR_DESTROYED']);
  });
});
