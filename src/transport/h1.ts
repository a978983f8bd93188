/**
 * The lean HTTP/1.1 client (`target.client: lean`): a pool of keep-alive sockets that sends one
 * request per connection at a time and calls servebench's TransportHandler (types.ts), as the
 * undici transport (undici.ts) does, so the engine's request context is one piece of code for both.
 *
 * Why it exists: at overload undici spent 16–19 µs of user CPU per request on one core here
 * (request validation, the WASM parser's callbacks into JS, per-request timers, a deferred socket
 * reuse), and autocannon 11–16 µs; a generator built on undici cannot keep up with a closed loop
 * that costs less. This client does the least HTTP/1.1 asks of a load generator:
 * - each distinct request (path, headers, body) is serialized to one Buffer once and then written
 *   as is, in one `write`;
 * - the response is framed by scanning bytes (status line, content-length, chunked, or until
 *   close); only the headers a handler or the framing needs become strings.
 * It does not pipeline, follow redirects, retry, decompress or speak HTTP/2: servebench needs none
 * of them. Errors carry the codes undici and Node use for the same failures, so engine/classify.ts
 * puts them in the same classes.
 */
import { connect as netConnect, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { transportError } from './errors.js';
import { H1ResponseParser } from './h1-parser.js';
import { RequestBytes } from './h1-request.js';
import type { TlsSettings, Transport, TransportHandler, TransportRequest } from './types.js';

export interface H1PoolOptions {
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** Idle sockets older than this are not reused (the server's `keep-alive: timeout` may lower it). */
  readonly keepAliveTimeoutMs: number;
  /** Whether handlers get the response headers (as strings) in onHead; else null, and none are built. */
  readonly rawHeaders: boolean;
  readonly tls?: TlsSettings;
}

/** One read's worth: what libuv asks for by default. */
const READ_BUFFER_BYTES = 64 * 1024;

/** One socket: opened for a first request, then reused by the pool; its responses are read by the parser it extends. */
class Conn extends H1ResponseParser {
  readonly socket: Socket;
  /** Set while the socket is being opened: the request it opens for. */
  private pending: TransportRequest | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  idleSince = 0;
  private closedErr: Error | null = null;
  /** Bound once per socket, not per request. */
  readonly abort = (err?: Error): void => this.fail(err ?? transportError('UND_ERR_ABORTED', 'Request aborted'));

  constructor(
    private readonly pool: H1Pool,
    first: TransportRequest,
    handler: TransportHandler,
  ) {
    super(pool.options);
    const o = pool.options;
    this.pending = first;
    this.handler = handler;
    // Sockets read into the pool's one buffer and call back directly: no Buffer allocated per read
    // and no trip through the Readable stream ('data' is never emitted).
    const onread: OnReadOpts = { buffer: pool.readBuffer, callback: this.onRead };
    if (o.tls) {
      // @types/node leaves onread out of tls.connect's options; Node takes it since v15 (nodejs/node#35753).
      const tlsOptions: ConnectionOptions & { onread: OnReadOpts } = { host: pool.hostname, port: pool.port, ALPNProtocols: ['http/1.1'], onread, ...o.tls };
      this.socket = tlsConnect(tlsOptions);
    } else this.socket = netConnect({ host: pool.hostname, port: pool.port, onread });
    this.socket.setNoDelay(true);
    this.connectTimer = setTimeout(() => this.fail(transportError('UND_ERR_CONNECT_TIMEOUT', `Connect Timeout Error (attempted address: ${pool.host}, timeout: ${o.connectTimeoutMs}ms)`)), o.connectTimeoutMs);
    this.socket.once(o.tls ? 'secureConnect' : 'connect', () => this.onOpen());
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (e) => (this.closedErr ??= e));
    this.socket.on('close', () => this.onClose());
  }

  private onOpen(): void {
    clearTimeout(this.connectTimer!);
    this.connectTimer = null;
    this.socket.setKeepAlive(true, 60_000);
    const req = this.pending!;
    this.pending = null;
    this.send(req, this.handler!);
  }

  /** Whether a request may still be written here: not ended by either side, not destroyed. */
  get usable(): boolean {
    const s = this.socket;
    return s.writable && !s.readableEnded && !s.destroyed;
  }

  /** Writes a request on this (open, free) socket. */
  send(req: TransportRequest, h: TransportHandler): void {
    if (!this.usable) {
      // Found closed before a byte of the request was written: it never reached the wire, so it
      // goes out on another socket rather than failing as a reset the server never saw.
      this.pool.discard(this);
      this.pool.dispatch(req, h);
      return;
    }
    this.handler = h;
    this.beginResponse(req.method === 'HEAD');
    // The handler records its send instant here, and may abort at once (a deadline passed while queued).
    h.onSend(this.abort);
    if (this.handler !== h) return;
    try {
      this.pool.requestBytes.write(this.socket, req);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** onread's callback; true keeps the socket reading. */
  private readonly onRead = (n: number, b: Uint8Array): boolean => {
    this.onBytes((b as Buffer).subarray(0, n));
    return true;
  };

  /** The response ended at buf[pos]: the socket goes back to the pool (or away), then the handler hears. */
  protected complete(buf: Buffer, pos: number): void {
    const h = this.handler!;
    this.handler = null;
    this.resetFraming();
    // Anything after the answer was not asked for: the socket is not reused.
    if (this.keepAlive && pos === buf.length) this.pool.release(this);
    else this.pool.discard(this);
    // Released first, so that a request the handler sends from here can take this very socket once it settles.
    h.onEnd();
  }

  private onEnd(): void {
    const h = this.handler;
    // A body without a length ends with the connection: that is its end, not a failure.
    if (h !== null && this.endsAtClose) {
      this.handler = null;
      this.pool.discard(this);
      h.onEnd();
      return;
    }
    // The server closed: an idle socket leaves the pool now (not at 'close', which may come later),
    // and a request waiting for its answer fails now, as undici fails it.
    if (h === null) this.pool.discard(this);
    else this.fail(this.closedErr ?? transportError('UND_ERR_SOCKET', 'other side closed'));
  }

  private onClose(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    const err = this.closedErr;
    this.fail(err ?? transportError('UND_ERR_SOCKET', 'other side closed'));
  }

  /** Ends this socket; the request on it (if any) fails with `err`. */
  fail(err: Error): void {
    const h = this.handler;
    this.handler = null;
    this.pending = null;
    this.pool.discard(this);
    if (h !== null) h.onFail(err);
  }

  protected stray(): void {
    this.pool.discard(this);
  }

  destroy(): void {
    this.dropCarry();
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/**
 * Up to `connections` sockets to one origin; a request waits in a FIFO queue when all are busy
 * (as in undici's Pool), and takes the most recently used idle socket when one is free.
 */
export class H1Pool implements Transport {
  readonly hostname: string;
  readonly port: number;
  /** host[:port] as the Host header and error messages show it. */
  readonly host: string;
  private readonly conns = new Set<Conn>();
  private readonly idle: Conn[] = [];
  private readonly queue: Array<TransportRequest | TransportHandler | null> = [];
  private queueHead = 0;
  private destroyed = false;
  /**
   * performance.now() to a tenth of a second, for the keep-alive checks (whose margin is a second):
   * a clock read on every dispatch and every release was a share of the worker's time at high rates.
   */
  private clockMs = performance.now();
  private readonly clock = setInterval(() => (this.clockMs = performance.now()), 100).unref();
  /** Where every socket of this pool reads (one read at a time on this thread). */
  readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  /** Each distinct request serialized once. */
  readonly requestBytes: RequestBytes;

  constructor(
    origin: string,
    readonly options: H1PoolOptions,
  ) {
    const u = new URL(origin);
    this.hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    this.port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    this.host = u.host;
    this.requestBytes = new RequestBytes(this.host);
  }

  dispatch(req: TransportRequest, h: TransportHandler): void {
    if (this.destroyed) {
      h.onFail(transportError('UND_ERR_DESTROYED', 'The client is destroyed'));
      return;
    }
    const c = this.takeIdle();
    if (c !== null) c.send(req, h);
    // A socket released in this loop turn is reused at its end (release()): wait for it rather than open another.
    else if ((this.queue.length - this.queueHead) / 2 < this.settling.length) this.queue.push(req, h);
    else if (this.conns.size < this.options.connections) this.conns.add(new Conn(this, req, h));
    else this.queue.push(req, h);
  }

  private takeIdle(): Conn | null {
    const t = this.clockMs;
    while (this.idle.length > 0) {
      const c = this.idle.pop()!;
      if (t - c.idleSince < c.keepAliveMs && c.usable) return c;
      this.discard(c);
    }
    return null;
  }

  /**
   * A socket that answered and may be reused. It is handed out again only after the event loop has
   * read whatever else is pending on it (as undici does): a server that closes right after its
   * answer has its FIN seen first, and the next request goes to a fresh socket instead of one the
   * server no longer reads. One setImmediate per loop turn serves every socket released in it.
   */
  release(c: Conn): void {
    this.settling.push(c);
    if (this.settleTimer === null) this.settleTimer = setImmediate(this.settle);
  }

  private readonly settling: Conn[] = [];
  private settleTimer: NodeJS.Immediate | null = null;
  private readonly settle = (): void => {
    this.settleTimer = null;
    const list = this.settling;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      list[i] = null as never;
      if (!this.conns.has(c)) continue;
      // keepAliveMs <= 0: the server's keep-alive hint leaves no time to reuse the socket in.
      if (c.usable && c.keepAliveMs > 0) this.reuse(c);
      else this.discard(c);
    }
    list.length = 0;
  };

  /** A settled socket: the next queued request, else the idle stack. */
  private reuse(c: Conn): void {
    if (this.queueHead < this.queue.length) {
      const req = this.queue[this.queueHead] as TransportRequest;
      c.send(req, this.dequeue());
      return;
    }
    c.idleSince = this.clockMs;
    this.idle.push(c);
  }

  /**
   * Takes the oldest queued request off the queue and returns its handler (its request was read at
   * queueHead before). The consumed front is cut off once it is most of the array: under a backlog
   * that never drains the array would otherwise grow for the whole run, and copying it as it grew
   * slowed the worker that had to catch up.
   */
  private dequeue(): TransportHandler {
    const h = this.queue[this.queueHead + 1] as TransportHandler;
    this.queue[this.queueHead] = this.queue[this.queueHead + 1] = null;
    this.queueHead += 2;
    if (this.queueHead === this.queue.length) this.queue.length = this.queueHead = 0;
    else if (this.queueHead >= 4096 && this.queueHead * 2 >= this.queue.length) {
      this.queue.copyWithin(0, this.queueHead);
      this.queue.length -= this.queueHead;
      this.queueHead = 0;
    }
    return h;
  }

  /** A socket that is gone or may not be reused; a queued request gets a new one in its place. */
  discard(c: Conn): void {
    c.destroy();
    if (!this.conns.delete(c)) return;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.queueHead < this.queue.length && !this.destroyed) {
      const req = this.queue[this.queueHead] as TransportRequest;
      this.conns.add(new Conn(this, req, this.dequeue()));
    }
  }

  async close(): Promise<void> {
    this.destroyed = true;
    clearInterval(this.clock);
    if (this.settleTimer !== null) clearImmediate(this.settleTimer);
    this.settling.length = 0;
    const err = transportError('UND_ERR_DESTROYED', 'The client is destroyed');
    for (let i = this.queueHead; i < this.queue.length; i += 2) (this.queue[i + 1] as TransportHandler).onFail(err);
    this.queue.length = this.queueHead = 0;
    for (const c of [...this.conns]) c.fail(err);
    this.idle.length = 0;
  }
}
