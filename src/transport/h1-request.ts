/**
 * Request bytes of the lean HTTP/1.1 client: each distinct request (path, headers, body) is
 * serialized to one Buffer once and then written as is, in one `write`.
 */
import type { Socket } from 'node:net';
import type { TransportRequest } from './types.js';
import { transportError } from './errors.js';

/**
 * Bodies up to this size are kept serialized together with their head, until the copies add up to
 * MAX_COPIED_BYTES (a dataset of many prompts would otherwise be held twice); past either bound the
 * head is written first and the body after it, in one writev.
 */
const MAX_CACHED_BODY_BYTES = 64 * 1024;
const MAX_COPIED_BYTES = 32 * 1024 * 1024;

interface Serialized {
  path: string;
  headers: readonly string[];
  method: string;
  buf: Buffer;
  head: Buffer | null;
}

export class RequestBytes {
  /** Bytes of bodies copied into serialized requests so far (against MAX_COPIED_BYTES). */
  private copiedBytes = 0;
  /** Serialized requests, by body (and one entry for requests without a body, by headers). */
  private readonly bytes = new WeakMap<object, Serialized>();

  /** @param host host[:port], the Host header when the request names none. */
  constructor(private readonly host: string) {}

  /** Writes `req` in one write: its head and body serialized once, on first use, and kept. */
  write(socket: Socket, req: TransportRequest): void {
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

  private serialize(req: TransportRequest): Serialized {
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
}
