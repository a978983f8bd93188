/**
 * The lean HTTP/1.1 client (`target.client: lean`): a pool of keep-alive sockets that sends one
 * request per connection at a time and calls the same core handler undici's `dispatch()` calls
 * (onConnect / onHeaders / onData / onComplete / onError), so the worker's request context is one
 * piece of code for both clients.
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
import { MAX_RESPONSE_HEAD_BYTES, protocolError, unsupportedCoding } from './classify.js';
import { BAD_EOL, hasToken, lineEnd, nameIs, skipOws, trimOws } from './h1-bytes.js';

/** undici's core handler interface, the part servebench's request context implements. */
export interface CoreHandler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: string[] | null): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: null): void;
  onError(err: Error): void;
}

export interface H1Request {
  readonly path: string;
  readonly method: string;
  /** Flat [name, value, name, value, …]; a `host` entry replaces the origin's. */
  readonly headers: readonly string[];
  readonly body: Buffer | null;
}

export interface H1PoolOptions {
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** Idle sockets older than this are not reused (the server's `keep-alive: timeout` may lower it). */
  readonly keepAliveTimeoutMs: number;
  /** Whether handlers get the response headers (as strings) in onHeaders; else null, and none are built. */
  readonly rawHeaders: boolean;
  readonly tls?: { readonly rejectUnauthorized: boolean; readonly ca?: string | Buffer; readonly servername?: string };
}

/** An error with the code undici gives the same failure, so classify.ts needs no second table. */
function transportError(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}


/** head() could not finish: the head continues in the next read. */
const INCOMPLETE = -2;
/** A response head larger than this is refused (undici is given the same limit). */
const MAX_HEAD_BYTES = MAX_RESPONSE_HEAD_BYTES;
/** The head is over MAX_HEAD_BYTES: the code undici gives the same failure. */
function headOverflow(): Error {
  return transportError('UND_ERR_HEADERS_OVERFLOW', `response head over ${MAX_HEAD_BYTES} bytes`);
}
/**
 * Bodies up to this size are kept serialized together with their head, until the copies add up to
 * MAX_COPIED_BYTES (a dataset of many prompts would otherwise be held twice); past either bound the
 * head is written first and the body after it, in one writev.
 */
const MAX_CACHED_BODY_BYTES = 64 * 1024;
const MAX_COPIED_BYTES = 32 * 1024 * 1024;
/** One read's worth: what libuv asks for by default. */
const READ_BUFFER_BYTES = 64 * 1024;
/** A socket the server will close within this is not worth the race (undici is given the same margin). */
export const KEEP_ALIVE_MARGIN_MS = 1000;

const enum St {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
}

const badEol = (): Error => protocolError('a line not ended by CRLF');

class Conn {
  readonly socket: Socket;
  handler: CoreHandler | null = null;
  /** Set while the socket is being opened: the request it opens for. */
  private pending: H1Request | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private st = St.Head;
  /** Bytes left of a body with a length, or of the current chunk. */
  private remaining = 0;
  /** The unparsed tail of the last read (a head, chunk-size or trailer line cut by the packet). */
  private carry: Buffer | null = null;
  private keepAlive = true;
  private noBody = false;
  /** The server's keep-alive hint, else the pool's: how long this socket may stay idle. */
  keepAliveMs: number;
  idleSince = 0;
  private closedErr: Error | null = null;
  /** Bound once per socket, not per request. */
  readonly abort = (err?: Error): void => this.fail(err ?? transportError('UND_ERR_ABORTED', 'Request aborted'));

  constructor(
    private readonly pool: H1Pool,
    first: H1Request,
    handler: CoreHandler,
  ) {
    const o = pool.options;
    this.keepAliveMs = o.keepAliveTimeoutMs;
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
  send(req: H1Request, h: CoreHandler): void {
    if (!this.usable) {
      // Found closed before a byte of the request was written: it never reached the wire, so it
      // goes out on another socket rather than failing as a reset the server never saw.
      this.pool.discard(this);
      this.pool.dispatch(req, h);
      return;
    }
    this.handler = h;
    this.st = St.Head;
    this.keepAlive = true;
    this.noBody = req.method === 'HEAD';
    // The handler records its send instant here, and may abort at once (a deadline passed while queued).
    h.onConnect(this.abort);
    if (this.handler !== h) return;
    try {
      this.pool.writeRequest(this.socket, req);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** onread's callback; true keeps the socket reading. */
  private readonly onRead = (n: number, b: Uint8Array): boolean => {
    this.onBytes((b as Buffer).subarray(0, n));
    return true;
  };

  private onBytes(chunk: Buffer): void {
    if (this.handler === null) {
      // Bytes nobody asked for (no pipelining here): the socket's framing can no longer be trusted.
      this.pool.discard(this);
      return;
    }
    let buf = chunk;
    if (this.carry !== null) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let pos = 0;
    const h = this.handler;
    while (pos < buf.length) {
      switch (this.st) {
        case St.Head: {
          const next = this.head(buf, pos, h);
          if (next === INCOMPLETE) return this.keep(buf, pos, MAX_HEAD_BYTES, 'response head');
          if (next < 0 || this.handler !== h) return;
          pos = next;
          break;
        }
        case St.Length:
        case St.ChunkData: {
          const n = Math.min(this.remaining, buf.length - pos);
          this.remaining -= n;
          h.onData(this.own(buf, pos, n));
          if (this.handler !== h) return;
          pos += n;
          if (this.remaining === 0) {
            if (this.st === St.Length) return this.complete(buf, pos);
            this.st = St.ChunkEnd;
          }
          break;
        }
        case St.ChunkEnd: {
          if (buf.length - pos < 2) return this.keep(buf, pos, 2, 'chunk');
          if (buf[pos] !== 0x0d || buf[pos + 1] !== 0x0a) return this.fail(protocolError('chunk not followed by CRLF'));
          pos += 2;
          this.st = St.ChunkSize;
          break;
        }
        case St.ChunkSize: {
          const eol = lineEnd(buf, pos);
          if (eol === BAD_EOL) return this.fail(badEol());
          if (eol < 0) return this.keep(buf, pos, 1024, 'chunk size line');
          let size = 0;
          let i = pos;
          for (; i < eol; i++) {
            const c = buf[i] | 0x20;
            const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
            if (d < 0) break;
            size = size * 16 + d;
          }
          // Chunk extensions (after optional whitespace and ';') are allowed and ignored; anything else is not HTTP.
          const ext = skipOws(buf, i, eol);
          if (i === pos || (ext < eol && buf[ext] !== 0x3b) || size > Number.MAX_SAFE_INTEGER / 32) {
            return this.fail(protocolError('invalid chunk size'));
          }
          pos = eol + 2;
          if (size === 0) this.st = St.Trailers;
          else {
            this.remaining = size;
            this.st = St.ChunkData;
          }
          break;
        }
        case St.Trailers: {
          const eol = lineEnd(buf, pos);
          if (eol === BAD_EOL) return this.fail(badEol());
          if (eol < 0) return this.keep(buf, pos, MAX_HEAD_BYTES, 'trailers');
          const empty = eol === pos;
          pos = eol + 2;
          if (empty) return this.complete(buf, pos);
          break;
        }
        case St.UntilClose: {
          h.onData(this.own(buf, pos, buf.length - pos));
          return;
        }
      }
    }
  }

  /**
   * A copy of buf[pos, pos + n) that the handler may keep (undici hands out fresh buffers, and the
   * body collector keeps them), since the next read overwrites the pool's read buffer.
   */
  private own(buf: Buffer, pos: number, n: number): Buffer {
    // allocUnsafe takes small buffers from Node's pool; a model's answer is often tens of bytes,
    // where a byte loop beats a call into memcpy (Buffer.copyBytesFrom was 4.6 % of the worker).
    const out = Buffer.allocUnsafe(n);
    if (n <= 64) for (let i = 0; i < n; i++) out[i] = buf[pos + i];
    else out.set(buf.subarray(pos, pos + n));
    return out;
  }

  /** Keeps buf[pos…] for the next read, unless it is already longer than a line may be. */
  private keep(buf: Buffer, pos: number, max: number, what: string): void {
    if (buf.length - pos > max) return this.fail(what === 'response head' ? headOverflow() : protocolError(`${what} over ${max} bytes`));
    this.carry = this.own(buf, pos, buf.length - pos);
  }

  /**
   * Parses the head that starts at buf[start], calls onHeaders and returns where the body starts;
   * INCOMPLETE when the head goes on in the next read (nothing is kept from this attempt), -1 when
   * the response failed or completed. One pass over the bytes; strings only for rawHeaders.
   */
  private head(buf: Buffer, start: number, h: CoreHandler): number {
    const statusEnd = lineEnd(buf, start);
    if (statusEnd === BAD_EOL) return this.failHead(badEol());
    if (statusEnd < 0) return INCOMPLETE;
    // "HTTP/1.x SSS[ reason]"
    const minor = buf[start + 7] - 0x30;
    const d0 = buf[start + 9] - 0x30;
    const d1 = buf[start + 10] - 0x30;
    const d2 = buf[start + 11] - 0x30;
    const status = d0 * 100 + d1 * 10 + d2;
    if (
      statusEnd - start < 12 ||
      buf[start] !== 0x48 || buf[start + 1] !== 0x54 || buf[start + 2] !== 0x54 || buf[start + 3] !== 0x50 ||
      buf[start + 4] !== 0x2f || buf[start + 5] !== 0x31 || buf[start + 6] !== 0x2e || buf[start + 8] !== 0x20 ||
      (minor !== 0 && minor !== 1) || d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 ||
      (statusEnd - start > 12 && buf[start + 12] !== 0x20)
    ) {
      this.fail(protocolError('bad status line'));
      return -1;
    }
    let length = -1;
    let chunked = false;
    let keepAlive = minor === 1;
    let keepAliveMs = this.keepAliveMs;
    const raw: string[] | null = this.pool.options.rawHeaders ? [] : null;
    let ls = statusEnd + 2;
    for (;;) {
      const le = lineEnd(buf, ls);
      if (le === BAD_EOL) return this.failHead(badEol());
      if (le < 0) return INCOMPLETE;
      if (le === ls) break;
      let colon = ls;
      while (colon < le && buf[colon] !== 0x3a) colon++;
      if (colon === le || colon === ls) {
        this.fail(protocolError('bad header line'));
        return -1;
      }
      const vs = skipOws(buf, colon + 1, le);
      const ve = trimOws(buf, vs, le);
      if (nameIs(buf, ls, colon, 'content-length')) {
        let n = 0;
        for (let i = vs; i < ve; i++) {
          const d = buf[i] - 0x30;
          if (d < 0 || d > 9) {
            n = -1;
            break;
          }
          n = n * 10 + d;
          // Past 2^53 the length is no longer exact: refuse it rather than wait for petabytes.
          if (n > Number.MAX_SAFE_INTEGER) {
            n = -1;
            break;
          }
        }
        if (n < 0 || ve === vs || (length >= 0 && length !== n)) {
          this.fail(protocolError('invalid content-length'));
          return -1;
        }
        length = n;
      } else if (nameIs(buf, ls, colon, 'transfer-encoding')) {
        // Only a body whose last coding is chunked can be framed; any other coding is one no client
        // here decodes (undici's parser would read it until the close, and a kept-alive socket hangs).
        let cs = ve;
        while (cs > vs && buf[cs - 1] !== 0x2c) cs--;
        cs = skipOws(buf, cs, ve);
        if (!nameIs(buf, cs, ve, 'chunked')) return this.failHead(unsupportedCoding(buf.toString('latin1', vs, ve)));
        chunked = true;
      } else if (nameIs(buf, ls, colon, 'connection')) {
        if (hasToken(buf, vs, ve, 'close')) keepAlive = false;
        else if (hasToken(buf, vs, ve, 'keep-alive')) keepAlive = true;
      } else if (nameIs(buf, ls, colon, 'keep-alive')) {
        const m = /timeout=(\d+)/i.exec(buf.toString('latin1', vs, ve));
        if (m) keepAliveMs = Math.min(this.pool.options.keepAliveTimeoutMs, Number(m[1]) * 1000 - KEEP_ALIVE_MARGIN_MS);
      }
      if (raw !== null) raw.push(buf.toString('latin1', ls, colon), buf.toString('latin1', vs, ve));
      ls = le + 2;
    }
    const pos = ls + 2;
    // A whole head in one read is never kept (keep() checks only heads cut by a read).
    if (pos - start > MAX_HEAD_BYTES) return this.failHead(headOverflow());
    this.keepAlive = keepAlive;
    this.keepAliveMs = keepAliveMs;
    // 1xx (100 Continue, 103 Early Hints) come before the answer and carry no body.
    if (status < 200 && status !== 101) return pos;
    h.onHeaders(status, raw);
    if (this.handler !== h) return -1;
    if (this.noBody || status === 204 || status === 304 || length === 0) {
      this.complete(buf, pos);
      return -1;
    }
    if (chunked) this.st = St.ChunkSize;
    else if (length > 0) {
      this.st = St.Length;
      this.remaining = length;
    } else {
      this.st = St.UntilClose;
      this.keepAlive = false;
    }
    return pos;
  }

  private failHead(err: Error): number {
    this.fail(err);
    return -1;
  }

  /** The response ended at buf[pos]: the socket goes back to the pool (or away), then the handler hears. */
  private complete(buf: Buffer, pos: number): void {
    const h = this.handler!;
    this.handler = null;
    this.st = St.Head;
    // Anything after the answer was not asked for: the socket is not reused.
    if (this.keepAlive && pos === buf.length) this.pool.release(this);
    else this.pool.discard(this);
    // Released first, so that a request the handler sends from here can take this very socket once it settles.
    h.onComplete(null);
  }

  private onEnd(): void {
    const h = this.handler;
    // A body without a length ends with the connection: that is its end, not a failure.
    if (h !== null && this.st === St.UntilClose) {
      this.handler = null;
      this.pool.discard(this);
      h.onComplete(null);
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
    if (h !== null) h.onError(err);
  }

  destroy(): void {
    this.carry = null;
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/**
 * Up to `connections` sockets to one origin; a request waits in a FIFO queue when all are busy
 * (as in undici's Pool), and takes the most recently used idle socket when one is free.
 */
export class H1Pool {
  readonly hostname: string;
  readonly port: number;
  /** host[:port] as the Host header and error messages show it. */
  readonly host: string;
  private readonly conns = new Set<Conn>();
  private readonly idle: Conn[] = [];
  private readonly queue: Array<H1Request | CoreHandler | null> = [];
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
  /** Bytes of bodies copied into serialized requests so far (against MAX_COPIED_BYTES). */
  private copiedBytes = 0;
  /** Serialized requests, by body (and one entry for requests without a body, by headers). */
  private readonly bytes = new WeakMap<object, { path: string; headers: readonly string[]; method: string; buf: Buffer; head: Buffer | null }>();

  constructor(
    origin: string,
    readonly options: H1PoolOptions,
  ) {
    const u = new URL(origin);
    this.hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    this.port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    this.host = u.host;
  }

  dispatch(req: H1Request, h: CoreHandler): boolean {
    if (this.destroyed) {
      h.onError(transportError('UND_ERR_DESTROYED', 'The client is destroyed'));
      return false;
    }
    const c = this.takeIdle();
    if (c !== null) c.send(req, h);
    // A socket released in this loop turn is reused at its end (release()): wait for it rather than open another.
    else if ((this.queue.length - this.queueHead) / 2 < this.settling.length) this.queue.push(req, h);
    else if (this.conns.size < this.options.connections) this.conns.add(new Conn(this, req, h));
    else this.queue.push(req, h);
    return true;
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
      const req = this.queue[this.queueHead] as H1Request;
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
  private dequeue(): CoreHandler {
    const h = this.queue[this.queueHead + 1] as CoreHandler;
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
      const req = this.queue[this.queueHead] as H1Request;
      this.conns.add(new Conn(this, req, this.dequeue()));
    }
  }

  /** Writes `req` in one write: its head and body serialized once, on first use, and kept. */
  writeRequest(socket: Socket, req: H1Request): void {
    const key: object = req.body ?? req.headers;
    let e = this.bytes.get(key);
    if (e === undefined || e.path !== req.path || e.headers !== req.headers || e.method !== req.method) {
      e = this.serialize(req);
      this.bytes.set(key, e);
    }
    if (e.head === null) socket.write(e.buf);
    else {
      socket.cork();
      socket.write(e.head);
      socket.write(e.buf);
      socket.uncork();
    }
  }

  private serialize(req: H1Request): { path: string; headers: readonly string[]; method: string; buf: Buffer; head: Buffer | null } {
    // Built from the scenario, which validation already checked; a line break here would split the request.
    if (req.headers.some((x) => /[\r\n]/.test(x)) || /[\s]/.test(req.path) || /[\s]/.test(req.method)) {
      throw transportError('UND_ERR_INVALID_ARG', 'invalid request: a line break or space in its path, method or headers');
    }
    let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
    let hasHost = false;
    for (let i = 0; i + 1 < req.headers.length; i += 2) {
      const k = req.headers[i];
      if (k.toLowerCase() === 'host') hasHost = true;
      head += `${k}: ${req.headers[i + 1]}\r\n`;
    }
    if (!hasHost) head = head.replace('\r\n', `\r\nhost: ${this.host}\r\n`);
    const body = req.body;
    if (body !== null || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') head += `content-length: ${body?.length ?? 0}\r\n`;
    head += 'connection: keep-alive\r\n\r\n';
    const h = Buffer.from(head, 'latin1');
    const key = { path: req.path, headers: req.headers, method: req.method };
    if (body === null) return { ...key, buf: h, head: null };
    if (body.length > MAX_CACHED_BODY_BYTES || this.copiedBytes + body.length > MAX_COPIED_BYTES) return { ...key, buf: body, head: h };
    this.copiedBytes += body.length;
    return { ...key, buf: Buffer.concat([h, body]), head: null };
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    clearInterval(this.clock);
    if (this.settleTimer !== null) clearImmediate(this.settleTimer);
    this.settling.length = 0;
    const err = transportError('UND_ERR_DESTROYED', 'The client is destroyed');
    for (let i = this.queueHead; i < this.queue.length; i += 2) (this.queue[i + 1] as CoreHandler).onError(err);
    this.queue.length = this.queueHead = 0;
    for (const c of [...this.conns]) c.fail(err);
    this.idle.length = 0;
  }
}
