/**
 * The response side of one lean HTTP/1.1 connection (h1.ts): frames a response by scanning bytes
 * (status line, content-length, chunked, or until close) and calls the transport handler. Only the
 * headers a handler or the framing needs become strings. The socket's life cycle (connect, reuse,
 * close) is the subclass's, in h1.ts; this class only says when a response completed or failed.
 */
import type { TransportHandler } from './types.js';
import { MAX_RESPONSE_HEAD_BYTES, protocolError, transportError, unsupportedCoding } from './errors.js';
import { BAD_EOL, chunkSize, decimal, hasToken, lineEnd, nameIs, skipOws, statusCode, trimOws } from './h1-bytes.js';

/** head() could not finish: the head continues in the next read. */
const INCOMPLETE = -2;
/** A response head larger than this is refused (undici is given the same limit). */
const MAX_HEAD_BYTES = MAX_RESPONSE_HEAD_BYTES;
/** The head is over MAX_HEAD_BYTES: the code undici gives the same failure. */
function headOverflow(): Error {
  return transportError('UND_ERR_HEADERS_OVERFLOW', `response head over ${MAX_HEAD_BYTES} bytes`);
}
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

export interface ParserOptions {
  /** Whether handlers get the response headers (as strings) in onHead; else null, and none are built. */
  readonly rawHeaders: boolean;
  /** The pool's keep-alive limit, which the server's `keep-alive: timeout` may lower. */
  readonly keepAliveTimeoutMs: number;
}

export abstract class H1ResponseParser {
  /** The request whose response is being read; null when the connection is idle. */
  handler: TransportHandler | null = null;
  private st = St.Head;
  /** Bytes left of a body with a length, or of the current chunk. */
  private remaining = 0;
  /** The unparsed tail of the last read (a head, chunk-size or trailer line cut by the packet). */
  private carry: Buffer | null = null;
  /** Whether the connection may carry another request once this response ends. */
  protected keepAlive = true;
  private noBody = false;
  /** The server's keep-alive hint, else the pool's: how long this socket may stay idle. */
  keepAliveMs: number;

  constructor(private readonly parserOptions: ParserOptions) {
    this.keepAliveMs = parserOptions.keepAliveTimeoutMs;
  }

  /** The response ended at buf[pos]: hand the connection back (or away), then tell the handler. */
  protected abstract complete(buf: Buffer, pos: number): void;
  /** Ends the connection; the request on it (if any) fails with `err`. */
  abstract fail(err: Error): void;
  /** Bytes arrived that no request asked for: the connection's framing can no longer be trusted. */
  protected abstract stray(): void;

  /** A new request goes out on this connection: its response starts with a head. */
  protected beginResponse(noBody: boolean): void {
    this.st = St.Head;
    this.keepAlive = true;
    this.noBody = noBody;
  }

  /** Back to waiting for a head (the response completed). */
  protected resetFraming(): void {
    this.st = St.Head;
  }

  /** The response's body runs until the server closes (no length, not chunked). */
  protected get endsAtClose(): boolean {
    return this.st === St.UntilClose;
  }

  protected dropCarry(): void {
    this.carry = null;
  }

  /** Reads one chunk of the response (the socket's read buffer: copied before a handler keeps it). */
  protected onBytes(chunk: Buffer): void {
    if (this.handler === null) {
      // Bytes nobody asked for (no pipelining here): the socket's framing can no longer be trusted.
      this.stray();
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
          h.onBody(this.own(buf, pos, n));
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
          const size = chunkSize(buf, pos, eol);
          if (size < 0) return this.fail(protocolError('invalid chunk size'));
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
          h.onBody(this.own(buf, pos, buf.length - pos));
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
  private head(buf: Buffer, start: number, h: TransportHandler): number {
    const statusEnd = lineEnd(buf, start);
    if (statusEnd === BAD_EOL) return this.failHead(badEol());
    if (statusEnd < 0) return INCOMPLETE;
    const status = statusCode(buf, start, statusEnd);
    if (status < 0) {
      this.fail(protocolError('bad status line'));
      return -1;
    }
    const minor = buf[start + 7] - 0x30;
    let length = -1;
    let chunked = false;
    let keepAlive = minor === 1;
    let keepAliveMs = this.keepAliveMs;
    const raw: string[] | null = this.parserOptions.rawHeaders ? [] : null;
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
        const n = decimal(buf, vs, ve);
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
        if (m) keepAliveMs = Math.min(this.parserOptions.keepAliveTimeoutMs, Number(m[1]) * 1000 - KEEP_ALIVE_MARGIN_MS);
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
    h.onHead(status, raw);
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
}
