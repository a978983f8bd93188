import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { listenLocal } from './listen.js';

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
  const { url, close } = await listenLocal(server);
  return {
    url,
    get count() {
      return count;
    },
    refuse: close,
    close,
  };
}

/**
 * Calls `onHead` with the head of each request that arrived whole (head and content-length body) on
 * `socket`, in order; keep-alive connections carry several.
 */
export function onRequestHeads(socket: Socket, onHead: (head: string) => void, onChunk?: () => void): void {
  let buf = '';
  socket.on('data', (d) => {
    onChunk?.();
    buf += d.toString('latin1');
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      buf = buf.slice(end + 4 + len);
      onHead(head);
    }
  });
}

/**
 * A raw TCP server for answers no HTTP server would give. `onRequest(socket, n, isPost)` is called
 * once per request head received (keep-alive connections may carry several).
 */
export async function startRawServer(onRequest: (socket: Socket, n: number, isPost: boolean) => void): Promise<{ url: string; readonly count: number; close(): Promise<void> }> {
  let count = 0;
  const server: NetServer = createNetServer((socket) => {
    socket.on('error', () => undefined);
    onRequestHeads(socket, (head) => {
      if (!head.startsWith('POST')) {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
        return;
      }
      onRequest(socket, count++, true);
    });
  });
  const { url, close } = await listenLocal(server);
  return {
    url,
    get count() {
      return count;
    },
    close,
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
