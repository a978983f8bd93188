import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenLocal } from './listen.js';

export interface TestServer {
  url: string;
  count: number;
  hosts: Map<string, number>;
  paths: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Calls `fn` once at least `ms` have passed on the monotonic clock. A libuv timer alone may fire
 * early: it counts from the loop's cached time, which can be most of a millisecond stale, and a
 * test that asserts a latency floor from the server's delay must not depend on that.
 */
function holdFor(ms: number, fn: () => void): void {
  const until = performance.now() + ms;
  const check = (): void => {
    const left = until - performance.now();
    if (left <= 0) fn();
    else setTimeout(check, left);
  };
  setTimeout(check, ms);
}

/**
 * A KServe-like server on 127.0.0.1 port 0 that counts what it receives. `delayMs(n)` gives the
 * service time of the n-th request (0-based); `handler` overrides the answer entirely.
 */
export async function startTestServer(opts: { delayMs?: (n: number) => number; handler?: (req: IncomingMessage, res: ServerResponse, n: number) => void } = {}): Promise<TestServer> {
  const body = Buffer.from(JSON.stringify({ predictions: [0] }));
  const state = { count: 0, hosts: new Map<string, number>(), paths: new Map<string, number>() };
  const server: Server = createServer((req, res) => {
    // The run's one GET check request is not load: count POSTs only.
    const n = req.method === 'POST' ? state.count++ : -1;
    const host = req.headers.host ?? '';
    if (n < 0) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); return; }
    state.hosts.set(host, (state.hosts.get(host) ?? 0) + 1);
    state.paths.set(req.url ?? '', (state.paths.get(req.url ?? '') ?? 0) + 1);
    req.resume();
    req.on('end', () => {
      if (opts.handler) return opts.handler(req, res, n);
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.end(body);
      };
      const d = opts.delayMs?.(n) ?? 0;
      if (d > 0) holdFor(d, answer);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  const { url, close } = await listenLocal(server);
  return {
    url,
    get count() {
      return state.count;
    },
    hosts: state.hosts,
    paths: state.paths,
    close,
  };
}
