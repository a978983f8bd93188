/**
 * servebench's own transport contract: what the engine asks of an HTTP client. Each client (undici's
 * Pool in undici.ts, the lean HTTP/1.1 client in h1.ts) implements `Transport` and calls a
 * `TransportHandler`; nothing above this folder knows which client runs or what its API looks like.
 *
 * Hot-path contract: the engine hands the same request and handler objects to `dispatch` again and
 * again (they are pooled), so a transport must not keep per-request state on anything it allocates
 * per call.
 */

/** One request as the engine prepared it (bodies and headers are built once, before the run). */
export interface TransportRequest {
  readonly path: string;
  readonly method: string;
  /** Flat [name, value, name, value, …]; a `host` entry replaces the origin's. */
  readonly headers: readonly string[];
  readonly body: Buffer | null;
}

/** Callbacks of one request, in this order: onSend, onHead, onBody…, then onEnd or onFail (once). */
export interface TransportHandler {
  /** The request is going on the wire now; `abort` ends it (onFail follows with the error given). */
  onSend(abort: (err?: Error) => void): void;
  /**
   * The final response head. `rawHeaders` is the flat name/value list when the transport was asked
   * for headers (TransportOptions.rawHeaders), else null or whatever the client has at no cost.
   * Returning false asks the transport to stop reading (the handler aborted).
   */
  onHead(statusCode: number, rawHeaders: ReadonlyArray<string | Buffer> | null): boolean;
  /** A piece of the body; the handler may keep the buffer. Returning false: as for onHead. */
  onBody(chunk: Buffer): boolean;
  onEnd(): void;
  onFail(err: Error): void;
}

export interface Transport {
  /** Sends `request` (or queues it for a free connection); its outcome reaches `handler`. */
  dispatch(request: TransportRequest, handler: TransportHandler): void;
  /** Fails whatever is queued or in flight and closes every connection. */
  close(): Promise<void>;
}

/** TLS settings of a connection (tls.ts builds them from the scenario). */
export interface TlsSettings {
  readonly rejectUnauthorized: boolean;
  readonly ca?: string | Buffer;
  /** SNI name; absent for IP literals (see tls.ts). */
  readonly servername?: string;
}

export type TransportKind = 'undici' | 'lean';

export interface TransportOptions {
  /** scheme://host[:port] */
  readonly origin: string;
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** Idle sockets older than this are not reused (the server's `keep-alive: timeout` may lower it). */
  readonly keepAliveTimeoutMs: number;
  /** Whether handlers need the response headers in onHead (a stream's content-type). */
  readonly rawHeaders: boolean;
  /** For https origins. */
  readonly tls: TlsSettings;
  /**
   * The engine enforces its own deadlines; a client with timeouts of its own gets this as a backstop
   * (the longest deadline of any workload plus a margin).
   */
  readonly backstopTimeoutMs: number;
}
