/** The transports by name (target.client); the engine creates one per worker through this. */
import { H1Pool } from './h1.js';
import { UndiciTransport } from './undici.js';
import type { Transport, TransportKind, TransportOptions } from './types.js';

export type { Transport, TransportHandler, TransportKind, TransportOptions, TransportRequest, TlsSettings } from './types.js';
export { tlsSettings, serverNameFor } from './tls.js';

export function createTransport(kind: TransportKind, o: TransportOptions): Transport {
  if (kind === 'undici') return new UndiciTransport(o);
  return new H1Pool(o.origin, {
    connections: o.connections,
    connectTimeoutMs: o.connectTimeoutMs,
    keepAliveTimeoutMs: o.keepAliveTimeoutMs,
    rawHeaders: o.rawHeaders,
    ...(o.origin.startsWith('https:') ? { tls: o.tls } : {}),
  });
}
