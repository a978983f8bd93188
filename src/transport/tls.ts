/**
 * The one place TLS settings are built from a scenario's target, for the workers' transports and the
 * coordinator's check request alike.
 */
import { isIP } from 'node:net';
import type { TlsSettings } from './types.js';

/**
 * The SNI name for a URL's hostname, or undefined for an IP literal (IPv4, or IPv6 with or without
 * its brackets): SNI carries DNS names only (RFC 6066 §3), and Node warns when given an IP.
 */
export function serverNameFor(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 && bare.length > 0 ? hostname : undefined;
}

/**
 * TLS settings for connections to `origin`. The SNI name is the gateway's, not the Host header of
 * host routing (undici would take the latter when no servername is given).
 */
export function tlsSettings(origin: string, tls: { readonly insecure: boolean; readonly ca?: string }): TlsSettings {
  const servername = serverNameFor(new URL(origin).hostname);
  return { rejectUnauthorized: !tls.insecure, ...(tls.ca ? { ca: tls.ca } : {}), ...(servername !== undefined ? { servername } : {}) };
}
