/**
 * What the scraper and the PromQL client share: headers (ApiKey as the Hopsworks gateway takes
 * it), one small connection pool with the endpoint's TLS settings, and short error texts.
 */
import { Agent } from 'undici';
import type { ResolvedTls } from '../scenario/types.js';

export interface HttpSettings {
  readonly headers: Readonly<Record<string, string>>;
  readonly apiKey?: string;
  readonly tls: ResolvedTls;
  readonly timeoutMs: number;
}

export function authHeaders(e: HttpSettings): Record<string, string> {
  return { ...e.headers, ...(e.apiKey ? { authorization: `ApiKey ${e.apiKey}` } : {}) };
}

/** One connection: a scrape a second needs no more, and it leaves the target's sockets to the load. */
export function httpAgent(e: HttpSettings): Agent {
  return new Agent({
    connections: 1,
    connect: { timeout: e.timeoutMs, rejectUnauthorized: !e.tls.insecure, ...(e.tls.ca ? { ca: e.tls.ca } : {}) },
  });
}

export function shortError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT') return `timed out after ${timeoutMs} ms`;
  const code = e?.cause?.code ?? e?.code;
  const msg = e?.cause?.message ?? e?.message ?? String(err);
  return (code && !msg.includes(code) ? `${code}: ${msg}` : msg).slice(0, 200);
}
