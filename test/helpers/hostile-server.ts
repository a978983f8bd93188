/**
 * A hostile HTTP/1.1 server: a raw `net` server on 127.0.0.1 port 0 that answers every POST in one
 * chosen wrong (or unusual but valid) way, so that each case of the error classification table
 * (docs/http-errors.md) can be run against both HTTP clients. GETs (the run's target check) get a
 * plain 200. `received` counts POSTs whose head and body arrived, including those that reached a
 * socket the server had already half-closed: a client may count as sent only what the server got.
 */
import { createServer, type Socket } from 'node:net';
import { onRequestHeads } from './faults.js';
import { listenLocal } from './listen.js';

export type HostileMode =
  /** Keep-alive without a hint; an idle socket is half-closed after idleMs (as gateways do). */
  | 'idle-half-close'
  /** Every answer is followed by a FIN finDelayMs later, without `Connection: close`. */
  | 'fin-after-response'
  /** Announces `Keep-Alive: timeout=keepAliveS` and half-closes a socket idle that long. */
  | 'keep-alive-timeout'
  /** An unsolicited `100 Continue` before each answer (valid HTTP: clients must accept 1xx). */
  | 'continue-100'
  /** 5,000 header lines (about 120 KB of head). */
  | 'many-headers'
  /** One header of 1 MB. */
  | 'huge-header'
  /** Line endings of a bare LF instead of CRLF. */
  | 'bare-lf'
  /** A Content-Length no integer type holds; the socket then stays open. */
  | 'bad-content-length'
  /** `HTTP/1.1 2:0 OK`. */
  | 'bad-status-line'
  /** `Transfer-Encoding: xchunked` (an unknown coding), then a chunked body; the socket stays open. */
  | 'xchunked'
  /** A chunk-size line `13 garbage`. */
  | 'garbage-chunk-size'
  /** Two Content-Length headers that differ. */
  | 'duplicate-content-length'
  /** Statuses outside HTTP's 100–599. */
  | 'status-600'
  | 'status-999'
  /** A well-behaved keep-alive server (the control case). */
  | 'ok';

export interface HostileOptions {
  /** idle-half-close: the idle time before the FIN, drawn uniformly from [min, max] ms. */
  readonly idleMs?: readonly [number, number];
  /** fin-after-response: the delay between an answer and the FIN, drawn from [min, max] ms. */
  readonly finDelayMs?: readonly [number, number];
  /** keep-alive-timeout: the announced (and enforced) idle timeout, whole seconds. */
  readonly keepAliveS?: number;
}

export interface HostileServer {
  readonly url: string;
  /** POST requests whose head and body arrived. */
  readonly received: number;
  /** TCP connections accepted. */
  readonly connections: number;
  close(): Promise<void>;
}

export const OK_BODY = '{"predictions":[1]}';
const okResponse = (extra = ''): string => `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${OK_BODY.length}\r\n${extra}\r\n${OK_BODY}`;

function between([min, max]: readonly [number, number]): number {
  return min + Math.random() * (max - min);
}

/** What the server writes for one POST (null: modes that write a plain answer and act on the socket). */
function answer(mode: HostileMode, keepAliveS: number): string {
  switch (mode) {
    case 'continue-100':
      return `HTTP/1.1 100 Continue\r\n\r\n${okResponse()}`;
    case 'many-headers': {
      let h = '';
      for (let i = 0; i < 5000; i++) h += `x-filler-${i}: value-${i}\r\n`;
      return okResponse(h);
    }
    case 'huge-header':
      return okResponse(`x-huge: ${'a'.repeat(1024 * 1024)}\r\n`);
    case 'bare-lf':
      return `HTTP/1.1 200 OK\ncontent-type: application/json\ncontent-length: ${OK_BODY.length}\n\n${OK_BODY}`;
    case 'bad-content-length':
      return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 99999999999999999999999999\r\n\r\n${OK_BODY}`;
    case 'bad-status-line':
      return `HTTP/1.1 2:0 OK\r\ncontent-type: application/json\r\ncontent-length: ${OK_BODY.length}\r\n\r\n${OK_BODY}`;
    case 'xchunked':
      return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: xchunked\r\n\r\n${OK_BODY.length.toString(16)}\r\n${OK_BODY}\r\n0\r\n\r\n`;
    case 'garbage-chunk-size':
      return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n13 garbage\r\n${OK_BODY}\r\n0\r\n\r\n`;
    case 'duplicate-content-length':
      return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${OK_BODY.length}\r\ncontent-length: ${OK_BODY.length + 1}\r\n\r\n${OK_BODY} `;
    case 'status-600':
    case 'status-999':
      return `HTTP/1.1 ${mode.slice(7)} Strange\r\ncontent-length: 0\r\n\r\n`;
    case 'keep-alive-timeout':
      return okResponse(`keep-alive: timeout=${keepAliveS}\r\n`);
    default:
      return okResponse();
  }
}

export async function startHostileServer(mode: HostileMode, opts: HostileOptions = {}): Promise<HostileServer> {
  let received = 0;
  let connections = 0;
  const keepAliveS = opts.keepAliveS ?? 1;
  const idleMs: readonly [number, number] | null = mode === 'keep-alive-timeout' ? ([keepAliveS * 1000, keepAliveS * 1000] as const) : mode === 'idle-half-close' ? (opts.idleMs ?? [99, 101]) : null;
  const server = createServer((socket: Socket) => {
    connections++;
    socket.on('error', () => undefined);
    let idle: NodeJS.Timeout | null = null;
    let halfClosed = false;
    const finish = (): void => {
      if (halfClosed) return;
      halfClosed = true;
      if (idle) clearTimeout(idle);
      socket.end();
    };
    const armIdle = (): void => {
      if (idleMs !== null) idle = setTimeout(finish, between(idleMs));
    };
    socket.on('close', () => idle && clearTimeout(idle));
    // The idle timer runs from the last byte received; each request is answered as it completes.
    onRequestHeads(
      socket,
      (head) => {
        if (!head.startsWith('POST')) {
          if (!halfClosed) socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}`);
        } else {
          received++;
          // A request that reached a half-closed socket is received but never answered.
          if (halfClosed) return;
          socket.write(answer(mode, keepAliveS));
          if (mode === 'fin-after-response') {
            const ms = between(opts.finDelayMs ?? [0, 3]);
            if (ms < 0.5) finish();
            else setTimeout(finish, ms);
          }
        }
        if (idle) clearTimeout(idle);
        if (!halfClosed) armIdle();
      },
      () => {
        if (idle) clearTimeout(idle);
        idle = null;
      },
    );
  });
  const { url, close } = await listenLocal(server);
  return {
    url,
    get received() {
      return received;
    },
    get connections() {
      return connections;
    },
    close,
  };
}
