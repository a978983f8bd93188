import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ResolvedWorkload } from '../../src/scenario/types.js';

/** A misbehaving server on 127.0.0.1 port 0. POSTs (the load) are counted; the run's GET check gets a plain 200. */
export interface FaultServer {
  url: string;
  readonly count: number;
  /** Stops listening and drops every connection: later connects are refused. */
  refuse(): Promise<void>;
  close(): Promise<void>;
}

export type FaultHandler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export async function startFaultServer(handler: FaultHandler): Promise<FaultServer> {
  let count = 0;
  let closed = false;
  const server: Server = createHttpServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      return;
    }
    const n = count++;
    req.resume();
    req.on('end', () => handler(req, res, n));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((r) => {
      if (closed) return r();
      closed = true;
      server.closeAllConnections();
      server.close(() => r());
    });
  return {
    url: `http://127.0.0.1:${port}`,
    get count() {
      return count;
    },
    refuse: close,
    close,
  };
}

/**
 * A raw TCP server for answers no HTTP server would give. `onRequest(socket, n, isPost)` is called
 * once per request head received (keep-alive connections may carry several).
 */
export async function startRawServer(onRequest: (socket: Socket, n: number, isPost: boolean) => void): Promise<{ url: string; readonly count: number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        buf = buf.slice(end + 4 + len);
        const isPost = head.startsWith('POST');
        if (!isPost) {
          socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
          continue;
        }
        onRequest(socket, count++, true);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get count() {
      return count;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A streamed chat workload with a fixed prompt (the server under test ignores it). */
export function chatWorkload(over: Partial<ResolvedWorkload> = {}): ResolvedWorkload {
  return {
    name: 'chat',
    kind: 'chat',
    model: 'm',
    weight: 1,
    bodies: [],
    bodiesSource: 'inline',
    stream: true,
    prompt: { inputTokens: { type: 'fixed', value: 8 }, outputTokens: { type: 'fixed', value: 3 }, prefixTokens: 0 },
    ...over,
  };
}

/** One OpenAI-style chat chunk event carrying `content`. */
export function chatChunk(content: string): string {
  return `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** A complete, well-formed stream of `tokens` chunks with usage and [DONE]. */
export function goodStream(tokens = 3): string {
  let out = '';
  for (let i = 0; i < tokens; i++) out += chatChunk(`t${i} `);
  out += `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 8, completion_tokens: tokens, total_tokens: 8 + tokens } })}\n\n`;
  return out + 'data: [DONE]\n\n';
}
