/**
 * The undici transport (target.client: undici): undici's Pool behind servebench's Transport. The
 * only file that touches undici's dispatcher and handler API.
 *
 * Why the legacy handler methods (onConnect/onHeaders/onData/onComplete/onError, @deprecated in
 * undici 7): undici 7's core still calls them natively, and wraps a handler written against the
 * current API (onRequestStart/onResponseStart/…) per request in an UnwrapHandler, which allocates a
 * wrapper, a controller and a parsed header object for every request. Measured side by side (the
 * same adapter on either API, interleaved runs in one process, client CPU per request) the current
 * API cost 3–12 % more per request, so it stays out of the hot path until undici's core speaks it
 * (undici 8, Node 22). Moving then changes this file only.
 */
import { Pool, type Dispatcher } from 'undici';
import { MAX_RESPONSE_HEAD_BYTES, transferCodingError } from './errors.js';
import { KEEP_ALIVE_MARGIN_MS } from './h1-parser.js';
import type { Transport, TransportHandler, TransportOptions, TransportRequest } from './types.js';

type LegacyHandler = Dispatcher.DispatchHandler & {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Buffer[] | null): void;
  onError(err: Error): void;
};

/**
 * One per servebench handler, made on its first dispatch and reused with it (handlers are pooled):
 * undici's dispatch options and the legacy callbacks, forwarded.
 */
class Exchange implements LegacyHandler {
  readonly opts: Dispatcher.DispatchOptions & { path: string; body: Buffer | null };
  private abortFn: ((err?: Error) => void) | null = null;

  constructor(
    private readonly h: TransportHandler,
    servername: string | undefined,
  ) {
    // servername per request: without it undici names the Host header (host routing's) in SNI.
    this.opts = { path: '/', method: 'POST', headers: [], body: null, ...(servername !== undefined ? { servername } : {}) };
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    this.h.onSend(abort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // undici reads a body of an unknown transfer coding until the close (the lean client refuses it).
    const bad = rawHeaders ? transferCodingError(rawHeaders) : null;
    if (bad !== null) {
      this.abortFn!(bad);
      return false;
    }
    return this.h.onHead(statusCode, rawHeaders);
  }

  onData(chunk: Buffer): boolean {
    return this.h.onBody(chunk);
  }

  onComplete(): void {
    this.h.onEnd();
  }

  onError(err: Error): void {
    this.h.onFail(err);
  }
}

export class UndiciTransport implements Transport {
  private readonly pool: Pool;
  private readonly exchanges = new WeakMap<TransportHandler, Exchange>();
  private readonly servername: string | undefined;

  constructor(o: TransportOptions) {
    this.servername = o.tls.servername;
    this.pool = new Pool(o.origin, {
      connections: o.connections,
      pipelining: 1,
      headersTimeout: o.backstopTimeoutMs,
      bodyTimeout: o.backstopTimeoutMs,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      // The lean client's limit and keep-alive margin too (h1-parser.ts), so both refuse and retire alike.
      maxHeaderSize: MAX_RESPONSE_HEAD_BYTES,
      keepAliveTimeoutThreshold: KEEP_ALIVE_MARGIN_MS,
      // TLS SNI names the gateway, not the Host header of host routing (undici would use the latter).
      connect: { timeout: o.connectTimeoutMs, ...o.tls },
    });
  }

  dispatch(req: TransportRequest, h: TransportHandler): void {
    let x = this.exchanges.get(h);
    if (x === undefined) {
      x = new Exchange(h, this.servername);
      this.exchanges.set(h, x);
    }
    const o = x.opts;
    o.path = req.path;
    o.method = req.method as Dispatcher.HttpMethod;
    // undici reads the flat list and does not change it.
    o.headers = req.headers as string[];
    o.body = req.body;
    this.pool.dispatch(o, x);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
